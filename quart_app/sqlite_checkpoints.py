"""Moving SQLite's write-ahead log into the database file, away from the writers.

By default SQLite checkpoints inside whichever COMMIT finds the log grown past 1000 pages:
that COMMIT then copies the pages and fsyncs the database file while it still holds the
write lock, and every redemption behind it waits (up to a quarter of a second behind the
pruner, in ``bench/ledger.py``). oncelink's connections turn that off; instead each serving
process checkpoints now and then on a connection of its own, holding no write lock. A
PASSIVE checkpoint never waits for writers or readers and they never wait for it; when
processes checkpoint at the same moment, one does the work and the others skip a turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Awaitable, Callable

import aiosqlite

INTERVAL = 1.0  # seconds; at thousands of redemptions a second the log stays a few MiB

log = logging.getLogger(__name__)


class Checkpointer:
    def __init__(self, connect: Callable[[], Awaitable[aiosqlite.Connection]]) -> None:
        self._connect = connect
        self._conn: aiosqlite.Connection | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._conn = await self._connect()
        self._task = asyncio.create_task(self._run(self._conn, INTERVAL))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    @staticmethod
    async def _run(conn: aiosqlite.Connection, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await checkpoint(conn)
            except sqlite3.Error:
                # The next turn tries again; meanwhile the log only grows a little.
                log.warning("checkpoint failed", exc_info=True)


async def checkpoint(conn: aiosqlite.Connection) -> tuple[int, int]:
    """Copy what it can of the log into the file; the log's pages and how many of them are
    in the file now (both -1 when another process was checkpointing)."""
    rows = await conn.execute_fetchall("PRAGMA wal_checkpoint(PASSIVE)")
    _busy, in_log, copied = next(iter(rows))
    return int(in_log), int(copied)
