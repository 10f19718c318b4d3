"""Target 6: the floors every other figure is measured against — bare itsdangerous verify,
bare durable SQLite commits — printed so a reader sees how close the product gets.

    python bench/limits.py [--tiny]
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from pathlib import Path

from common import machine_line, table

from quart_app.clock import system_clock
from quart_app.links.tokens import LinkSigner


def per_second(work: int, run: object) -> float:
    started = time.perf_counter()
    run()  # type: ignore[operator]
    return work / (time.perf_counter() - started)


def verify_rate(count: int) -> float:
    signer = LinkSigner(("k" * 32,), max_ttl=30 * 86400, clock=system_clock)
    tokens = [signer.issue("share", ttl=3600, generation=0) for _ in range(count)]
    return per_second(count, lambda: [signer.verify(t) for t in tokens])


def issue_rate(count: int) -> float:
    signer = LinkSigner(("k" * 32,), max_ttl=30 * 86400, clock=system_clock)
    return per_second(
        count, lambda: [signer.issue("s", ttl=3600, generation=0) for _ in range(count)]
    )


def commit_rate(count: int, synchronous: str) -> float:
    """One INSERT ... ON CONFLICT DO NOTHING RETURNING per committed transaction, WAL."""
    path = Path(tempfile.mkdtemp()) / "floor.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {synchronous}")
    conn.execute("CREATE TABLE ledger (jti TEXT PRIMARY KEY, used_at REAL) WITHOUT ROWID")

    def run() -> None:
        for i in range(count):
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                "INSERT INTO ledger VALUES (?, ?) ON CONFLICT DO NOTHING RETURNING jti",
                (f"j{i}", 0.0),
            ).fetchone()
            conn.execute("COMMIT")

    return per_second(count, run)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tiny", action="store_true")
    args = parser.parse_args()
    n = 2000 if args.tiny else 50_000
    commits = 300 if args.tiny else 5000
    rows = [
        ["itsdangerous verify (LinkSigner.verify)", verify_rate(n)],
        ["itsdangerous sign (LinkSigner.issue, no zlib)", issue_rate(n)],
        ["SQLite commits/s, synchronous=FULL", commit_rate(commits, "FULL")],
        ["SQLite commits/s, synchronous=NORMAL", commit_rate(commits, "NORMAL")],
    ]
    print(f"# floors — {machine_line()}")
    print(table(["what", "per second"], rows))


if __name__ == "__main__":
    main()
