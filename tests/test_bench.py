"""The benchmarks run: once, at a tiny size, so that they keep working."""

from __future__ import annotations

import subprocess
import sys

from quart_app import PROJECT_ROOT


def test_the_scale_out_benchmark_prints_a_row_per_backend_and_instance_count() -> None:
    done = subprocess.run(
        [sys.executable, "bench/scale_out.py", "--tiny"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    rows = [line.split() for line in done.stdout.splitlines()]
    table = [row for row in rows if row and row[0] in ("sqlite", "postgresql")]
    assert [(row[0], row[1]) for row in table] == [
        (backend, count) for backend in ("sqlite", "postgresql") for count in ("1", "2", "3")
    ]
    assert all(float(row[2]) > 0 for row in table), done.stdout
