"""Target 5: the ledger stays small. Thirty days of traffic (over two million redemptions)
are written with a moved clock, then pruned the way the server's sweep does it, while
redemptions keep arriving; prints the sizes and how long any prune batch held them up.

    python bench/ledger.py [--tiny]
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sqlite3
import tempfile
import time
from pathlib import Path

from common import bench_owner, machine_line, table

from quart_app.clock import FrozenClock
from quart_app.config import load_settings
from quart_app.links.redemption import redeem_link
from quart_app.links.states import LinkState
from quart_app.services import build_services
from quart_app.share_requests import ShareRequest
from quart_app.shares import create_share
from quart_app.storage.opener import sqlite_path
from quart_app.sweep import PRUNE_MARGIN, sweep

DAY = 86400


def sizes(database: Path) -> tuple[float, float, int]:
    """File MiB, MiB in live pages, ledger rows."""
    with sqlite3.connect(database) as conn:
        page = conn.execute("PRAGMA page_size").fetchone()[0]
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        free = conn.execute("PRAGMA freelist_count").fetchone()[0]
        rows = conn.execute("SELECT count(*) FROM redemptions").fetchone()[0]
    mib = 1024 * 1024
    return database.stat().st_size / mib, (pages - free) * page / mib, rows


def fill(database: Path, share_id: str, rows: int, start: float, days: int) -> None:
    """``rows`` redemptions spread evenly over ``days`` days after ``start``."""
    step = days * DAY / rows
    with sqlite3.connect(database) as conn:
        conn.execute("PRAGMA synchronous = OFF")
        conn.executemany(
            "INSERT INTO redemptions(jti, share_id, used_at) VALUES (?, ?, ?)",
            ((secrets.token_urlsafe(16), share_id, start + i * step) for i in range(rows)),
        )
        conn.commit()
        # Into the file, as the months of traffic this stands for would have been.
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


async def run(rows: int) -> list[list[object]]:
    work = Path(tempfile.mkdtemp(prefix="oncelink-bench-"))
    settings = load_settings({"ONCELINK_INSTANCE": str(work), "ONCELINK_RATE_LIMITS": "off"})
    clock = FrozenClock(time.time())
    services = build_services(settings, clock)
    await services.db.open()
    await services.redeemer.start()
    try:
        user = await bench_owner(services)
        history = await create_share(services, user, ShareRequest("old", "", 3600, 1))
        start = clock()
        fill(
            sqlite_path(settings.database), history.share.id, rows, start, 60
        )  # two MAX_TTLs of traffic
        clock.advance(60 * DAY)
        before = sizes(sqlite_path(settings.database))
        live = await create_share(services, user, ShareRequest("new", "", 3600, 1000))
        waits: list[float] = []

        async def keep_redeeming() -> None:
            for link in live.links:
                began = time.perf_counter()
                view = await redeem_link(services, link.url.rsplit("/", 1)[1])
                waits.append(time.perf_counter() - began)
                assert view.state is LinkState.GRANTED
                await asyncio.sleep(0.001)

        redeemer = asyncio.create_task(keep_redeeming())
        began = time.perf_counter()
        report = await sweep(services)
        pruning = time.perf_counter() - began
        await redeemer
        after = sizes(sqlite_path(settings.database))
        oldest_kept = next(
            iter(await services.db.reader.execute_fetchall("SELECT min(used_at) FROM redemptions"))
        )[0]
    finally:
        await services.redeemer.stop()
        await services.db.close()
    cutoff = clock() - settings.max_ttl - PRUNE_MARGIN
    return [
        ["ledger rows", before[2], after[2]],
        ["file MiB (SQLite reuses freed pages)", before[0], after[0]],
        ["MiB in use", before[1], after[1]],
        ["rows pruned", "", report.ledger_rows_pruned],
        ["seconds pruning", "", pruning],
        ["oldest row kept is younger than MAX_TTL + 60 s", "", oldest_kept >= cutoff],
        ["slowest redemption during pruning, ms (target <= 50)", "", max(waits) * 1000],
        ["redemptions during pruning", "", len(waits)],
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tiny", action="store_true")
    args = parser.parse_args()
    rows = 40_000 if args.tiny else 4_000_000
    result = asyncio.run(run(rows))
    print(
        f"# ledger over 60 days of traffic ({rows:,} redemptions), pruned at day 60 — "
        f"{machine_line()}"
    )
    print(table(["", "before", "after"], result))


if __name__ == "__main__":
    main()
