"""The built package works on its own: a wheel installed outside the repository serves its
pages, its static files and its links."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path

import httpx
import pytest

from quart_app.resources import CHECKOUT

from .live import live_server

pytestmark = pytest.mark.skipif(
    not (CHECKOUT / "setup.py").exists(), reason="needs the repository to build from"
)


FIND_TEMPLATES = "from quart_app.resources import resource; print(resource('templates'))"


def build_wheel(out: Path) -> Path:
    """An sdist, and the wheel built from it, as `python -m build` makes them for a release."""
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(CHECKOUT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("oncelink-*.whl")
    return wheel


def install_in_fresh_venv(wheel: Path, venv: Path) -> Path:
    """The wheel in a new virtual environment; returns its ``oncelink`` command.

    Only the wheel itself is installed: its dependencies come from this environment's
    site-packages (a .pth line), so the test needs no download and sees nothing of the
    checkout, which this environment only reaches through its own editable install."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    new_python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(new_python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(purelib, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    pip = [sys.executable, "-m", "pip", "--python", str(new_python)]
    subprocess.run(
        [*pip, "install", "-q", "--no-deps", str(wheel)], check=True, capture_output=True
    )
    return venv / "bin" / "oncelink"


def test_the_wheel_carries_what_the_app_needs(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "dist")
    listing = subprocess.run(
        [sys.executable, "-m", "zipfile", "-l", str(wheel)], check=True, capture_output=True
    ).stdout.decode()
    for name in (
        "quart_app/templates/base.html",
        "quart_app/static/app.css",
        "quart_app/static/vendor/htmx.min.js",
        "quart_app/hypercorn.toml",
        "quart_app/storage/sqlite/schema.sql",
        "quart_app/storage/postgres/schema.sql",
    ):
        assert name in listing
    assert "axe.min.js" not in listing  # the browser tests' tool, which no page loads


def test_an_installed_wheel_serves_pages_static_files_and_links(tmp_path: Path) -> None:
    oncelink = install_in_fresh_venv(build_wheel(tmp_path / "dist"), tmp_path / "venv")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    with live_server(tmp_path / "instance", workers=1, program=oncelink, cwd=elsewhere) as server:
        login = httpx.get(server.base_url + "/login")
        assert login.status_code == 200
        assert "Log in" in login.text
        css = httpx.get(server.base_url + "/static/app.css")
        assert css.status_code == 200
        assert css.headers["content-type"].startswith("text/css")
        assert css.content == (CHECKOUT / "static" / "app.css").read_bytes()
        link = httpx.get(server.base_url + "/connect/not-a-token")
        assert link.status_code == 404
        assert "This link is not valid" in link.text
    # What it served came from the installed package, not from the checkout.
    found = subprocess.run(
        [str(oncelink.with_name("python")), "-c", FIND_TEMPLATES],
        check=True,
        capture_output=True,
        text=True,
        cwd=elsewhere,
    ).stdout
    assert Path(found.strip()).is_relative_to(tmp_path / "venv")
