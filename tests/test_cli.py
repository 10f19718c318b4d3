"""The oncelink command, run as a user would run it."""

from __future__ import annotations

import functools
import io
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from quart_app.serving import hand_out_setup_link
from quart_app.storage.sqlite.backend import schema as sqlite_schema

from .live import ONCELINK

Cli = Callable[..., subprocess.CompletedProcess[str]]


def oncelink(
    instance: Path, *args: str, stdin: str = "", database: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the command as a user would, with the instance folder and the database given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONCELINK_")}
    env["ONCELINK_INSTANCE"] = str(instance)
    if database is not None:
        env["ONCELINK_DATABASE"] = database
    return subprocess.run(
        [str(ONCELINK), *args], input=stdin, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def cli(tmp_path: Path, database: str) -> Cli:
    """The command on this test's instance folder and database."""
    return functools.partial(oncelink, tmp_path, database=database)


def test_user_add_and_list(cli: Cli) -> None:
    added = cli(
        "user",
        "add",
        "ada",
        "--admin",
        "--password-stdin",
        stdin="a long enough password\n",
    )
    assert added.returncode == 0, added.stderr
    assert "a long enough password" not in added.stdout + added.stderr
    cli("user", "add", "bob", "--password-stdin", stdin="another password\n")
    listed = cli("user", "list")
    assert listed.stdout.splitlines() == ["ada\tadmin", "bob\tuser"]


def test_user_add_refuses_a_taken_name_and_a_short_password(cli: Cli) -> None:
    cli("user", "add", "ada", "--password-stdin", stdin="a long enough password\n")
    again = cli("user", "add", "ADA", "--password-stdin", stdin="xxxxxxxxxxxxxx\n")
    assert again.returncode == 1
    assert "already exists" in again.stderr
    short = cli("user", "add", "eve", "--password-stdin", stdin="short\n")
    assert short.returncode == 2
    assert "at least 10 characters" in short.stderr


def test_prune_reports_what_it_did(cli: Cli) -> None:
    result = cli("prune")
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


def test_disabling_a_user_from_the_command_line(cli: Cli) -> None:
    cli("user", "add", "ada", "--password-stdin", stdin="a long enough password\n")
    assert cli("user", "disable", "ada").stdout.strip() == "disabled ada"
    assert cli("user", "disable", "nobody").returncode == 1
    assert cli("user", "enable", "ada").stdout.strip() == "enabled ada"


def test_migrate_brings_a_new_database_up_to_date_once(tmp_path: Path, empty_database: str) -> None:
    latest = sqlite_schema()[-1][0]
    first = oncelink(tmp_path, "migrate", database=empty_database)
    assert first.returncode == 0, first.stderr
    assert first.stdout == f"migrated the schema from version 0 to {latest}\n"
    again = oncelink(tmp_path, "migrate", database=empty_database)
    assert again.stdout == f"the schema is up to date (version {latest})\n"


def test_an_unknown_kind_of_database_url_is_a_clear_error(tmp_path: Path) -> None:
    result = oncelink(tmp_path, "migrate", database="mysql://db.example/oncelink")
    assert result.returncode == 2
    assert result.stderr.startswith("oncelink: ONCELINK_DATABASE must be a file path")


LINK = "http://127.0.0.1:8000/setup/eyJqIjoiYWJjIn0.AAAAAA.signature"


def test_the_setup_link_is_printed_on_its_own_stream(tmp_path: Path) -> None:
    console = io.StringIO()
    hand_out_setup_link(LINK, console)
    assert f"\n    {LINK}\n" in console.getvalue()
    assert list(tmp_path.iterdir()) == []  # kept nowhere else
