"""Target 4: the dashboard of a user with 100,000 shares and 1,000,000 redemptions: how long
its first page takes to render, through a real server.

    python bench/dashboard.py [--tiny]
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from common import (
    BENCH_PASSWORD,
    bench_owner,
    free_port,
    machine_line,
    oncelink_command,
    oncelink_env,
    serve,
    table,
)

from quart_app.config import load_settings
from quart_app.services import open_services
from quart_app.storage.opener import sqlite_path


async def make_owner(env: dict[str, str]) -> int:
    async with open_services(load_settings(env)) as services:
        return (await bench_owner(services)).id


def populate(database: Path, owner: int, shares: int, uses: int) -> None:
    """Bulk rows straight into the file: what months of use would leave behind."""
    now = time.time()
    ids = [secrets.token_urlsafe(12) for _ in range(shares)]
    with sqlite3.connect(database) as conn:
        conn.execute("PRAGMA synchronous = OFF")
        conn.executemany(
            """INSERT INTO shares(id, owner_id, label, note, default_ttl, created_at, expires_at,
                   links_issued, links_used) VALUES (?, ?, ?, NULL, 3600, ?, ?, 20, ?)""",
            (
                (sid, owner, f"share {i}", now - shares + i, now + 3600, uses // shares)
                for i, sid in enumerate(ids)
            ),
        )
        conn.executemany(
            "INSERT INTO redemptions(jti, share_id, used_at) VALUES (?, ?, ?)",
            ((secrets.token_urlsafe(16), ids[i % shares], now - i) for i in range(uses)),
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tiny", action="store_true")
    args = parser.parse_args()
    shares, uses, rounds = (1000, 10_000, 5) if args.tiny else (100_000, 1_000_000, 30)
    work = Path(tempfile.mkdtemp(prefix="oncelink-bench-"))
    port = free_port()
    env = oncelink_env(work / "instance", port)
    owner = asyncio.run(make_owner(env))
    started = time.perf_counter()
    populate(sqlite_path(load_settings(env).database), owner, shares, uses)
    filled = time.perf_counter() - started
    rows = []
    with serve("oncelink", oncelink_command(port, 1), port=port, env=env) as server:
        with httpx.Client(base_url=server.base_url, timeout=30) as browser:
            browser.post("/login", data={"name": "bench", "password": BENCH_PASSWORD})
            for label, path in (("first page", "/"), ("first page, list only (htmx)", "/shares")):
                times = []
                for _ in range(rounds):
                    began = time.perf_counter()
                    response = browser.get(
                        path, headers={"HX-Request": "true"} if path != "/" else {}
                    )
                    times.append((time.perf_counter() - began) * 1000)
                    assert response.status_code == 200, response.status_code
                rows.append([label, statistics.median(times), max(times)])
    print(f"# dashboard with {shares:,} shares and {uses:,} redemptions — {machine_line()}")
    print(f"(filling the database took {filled:.1f} s)")
    print(table(["request", "median ms (target < 30)", "max ms"], rows))


if __name__ == "__main__":
    main()
