"""The oncelink command, run as a user would run it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from .live import ONCELINK


def oncelink(instance: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONCELINK_")}
    env["ONCELINK_INSTANCE"] = str(instance)
    return subprocess.run(
        [str(ONCELINK), *args], input=stdin, env=env, capture_output=True, text=True, timeout=60
    )


def test_user_add_and_list(tmp_path: Path) -> None:
    added = oncelink(
        tmp_path,
        "user",
        "add",
        "ada",
        "--admin",
        "--password-stdin",
        stdin="a long enough password\n",
    )
    assert added.returncode == 0, added.stderr
    assert "a long enough password" not in added.stdout + added.stderr
    oncelink(tmp_path, "user", "add", "bob", "--password-stdin", stdin="another password\n")
    listed = oncelink(tmp_path, "user", "list")
    assert listed.stdout.splitlines() == ["ada\tadmin", "bob\tuser"]


def test_user_add_refuses_a_taken_name_and_a_short_password(tmp_path: Path) -> None:
    oncelink(tmp_path, "user", "add", "ada", "--password-stdin", stdin="a long enough password\n")
    again = oncelink(tmp_path, "user", "add", "ADA", "--password-stdin", stdin="xxxxxxxxxxxxxx\n")
    assert again.returncode == 1
    assert "already exists" in again.stderr
    short = oncelink(tmp_path, "user", "add", "eve", "--password-stdin", stdin="short\n")
    assert short.returncode == 2
    assert "at least 10 characters" in short.stderr


def test_prune_reports_what_it_did(tmp_path: Path) -> None:
    result = oncelink(tmp_path, "prune")
    assert result.returncode == 0
    assert result.stdout.strip() == "0 notes erased, 0 ledger rows pruned"


def test_bad_configuration_is_a_clear_error_not_a_traceback(tmp_path: Path) -> None:
    env_args = ("user", "list")
    result = subprocess.run(
        [str(ONCELINK), *env_args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "ONCELINK_INSTANCE": str(tmp_path), "ONCELINK_MAX_TTL": "soon"},
    )
    assert result.returncode == 2
    assert result.stderr.startswith("oncelink: ONCELINK_MAX_TTL must be a whole number")


@pytest.mark.parametrize("args", [["user"], ["frobnicate"]])
def test_unknown_commands_print_usage(tmp_path: Path, args: list[str]) -> None:
    result = oncelink(tmp_path, *args)
    assert result.returncode == 2
    assert "usage: oncelink" in result.stderr


def test_disabling_a_user_from_the_command_line(tmp_path: Path) -> None:
    oncelink(tmp_path, "user", "add", "ada", "--password-stdin", stdin="a long enough password\n")
    assert oncelink(tmp_path, "user", "disable", "ada").stdout.strip() == "disabled ada"
    assert oncelink(tmp_path, "user", "disable", "nobody").returncode == 1
    assert oncelink(tmp_path, "user", "enable", "ada").stdout.strip() == "enabled ada"
