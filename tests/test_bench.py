"""Each benchmark runs once at a tiny size, so the scripts cannot rot. Their figures are
printed for people; nothing here asserts a speed."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from quart_app import PROJECT_ROOT


@pytest.mark.parametrize(
    ("script", "heading"),
    [
        ("limits.py", "# floors"),
        ("redeem.py", "redeem/tutorial"),
        ("create.py", "# create a share"),
        ("dashboard.py", "# dashboard with"),
        ("ledger.py", "# ledger over"),
    ],
)
def test_benchmark_runs_at_tiny_size(script: str, heading: str) -> None:
    env = {**os.environ, "PYTHONPATH": f"{PROJECT_ROOT}{os.pathsep}{PROJECT_ROOT / 'bench'}"}
    result = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "bench" / script), "--tiny"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert heading in result.stdout
