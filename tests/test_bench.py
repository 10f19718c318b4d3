"""Each benchmark runs once at a tiny size, so the scripts cannot rot. Their figures are
printed for people; nothing here asserts a speed."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from quart_app.resources import CHECKOUT

# The scripts that put servers under load for seconds take two cores for a minute and more
# between them: `make bench-smoke` runs them, `make test` only the light ones.
UNDER_LOAD = pytest.mark.bench_smoke


@pytest.mark.parametrize(
    ("script", "heading"),
    [
        ("limits.py", "# floors"),
        pytest.param("redeem.py", "redeem/tutorial", marks=UNDER_LOAD),
        pytest.param(
            "profile.py", "# where one worker's event loop spends its time", marks=UNDER_LOAD
        ),
        pytest.param("audit_cost.py", "req/s this checkout / ", marks=UNDER_LOAD),
        pytest.param("notifications.py", "redemptions/s", marks=UNDER_LOAD),
        ("passphrase.py", "passphrase links opened a second"),
        ("create.py", "# create a share"),
        ("dashboard.py", "# dashboard with"),
        ("ledger.py", "# ledger over"),
    ],
)
def test_benchmark_runs_at_tiny_size(script: str, heading: str) -> None:
    result = run_tiny(script)
    assert heading in result.stdout


@UNDER_LOAD
def test_the_scale_out_benchmark_prints_a_row_per_backend_and_instance_count() -> None:
    done = run_tiny("scale_out.py")
    rows = [line.split() for line in done.stdout.splitlines()]
    table = [row for row in rows if row and row[0] in ("sqlite", "postgresql")]
    assert [(row[0], row[1]) for row in table] == [
        (backend, count) for backend in ("sqlite", "postgresql") for count in ("1", "2", "3")
    ]
    assert all(float(row[2]) > 0 for row in table), done.stdout


def run_tiny(script: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": f"{CHECKOUT}{os.pathsep}{CHECKOUT / 'bench'}"}
    result = subprocess.run(
        [sys.executable, str(CHECKOUT / "bench" / script), "--tiny"],
        cwd=CHECKOUT,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result
