"""Front-end files: vendored ones are the versions recorded, and nothing is inline that the
Content-Security-Policy would block."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "static" / "vendor"
TEMPLATES = sorted((ROOT / "templates").glob("*.html"))


def recorded_versions() -> list[tuple[str, str]]:
    rows = []
    for line in (VENDOR / "VERSIONS").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _version, digest = line.split()
            rows.append((name, digest))
    return rows


def test_every_vendored_file_is_recorded() -> None:
    recorded = {name for name, _ in recorded_versions()}
    present = {path.name for path in VENDOR.iterdir() if path.name != "VERSIONS"}
    assert recorded == present


@pytest.mark.parametrize(("name", "digest"), recorded_versions())
def test_vendored_file_matches_its_recorded_hash(name: str, digest: str) -> None:
    actual = base64.b64encode(hashlib.sha384((VENDOR / name).read_bytes()).digest()).decode()
    assert digest == f"sha384-{actual}"


@pytest.mark.parametrize("template", TEMPLATES, ids=[t.name for t in TEMPLATES])
def test_templates_hold_no_inline_script_or_style(template: Path) -> None:
    text = template.read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)", text), "inline <script>"
    assert "<style" not in text
    assert not re.search(r"\sstyle=", text), "style attribute"
    assert not re.search(r"\son[a-z]+=", text), "event handler attribute"
    assert not re.search(r"\shx-on[:-]", text), "hx-on needs eval"
