"""Moving SQLite's write-ahead log into the database file, away from the writers.

By default SQLite checkpoints inside whichever COMMIT finds the log grown past 1000 pages:
that COMMIT then copies the pages and fsyncs the database file while it still holds the
write lock, and every redemption behind it waits (up to a quarter of a second behind the
pruner, in ``bench/ledger.py``). oncelink's connections turn that off; instead each serving
process checkpoints now and then on a connection of its own.

A turn has two passes. The first, PASSIVE, copies the bulk of the log while writers go on;
when processes checkpoint at the same moment, one does the work and the others skip a turn.
Under steady writes that pass never catches up, and SQLite starts the log again from its
beginning only once every page in it is copied: the log grew for as long as the writes went
on (190 MB in five seconds of ``bench/redeem.py``), each commit appended to a growing file,
and an fsync that grows a file also commits the file system's journal. So the second pass
holds every oncelink writer back on the write lock and copies the little they appended
meanwhile (a few milliseconds); the next commit then writes from the log's beginning, over
pages the file already has.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Awaitable, Callable

import aiosqlite

from .background import stop_task
from .writelock import WriteLock

INTERVAL = 1.0  # seconds; the log holds about this much of the writes

log = logging.getLogger(__name__)


class Checkpointer:
    def __init__(
        self, connect: Callable[[], Awaitable[aiosqlite.Connection]], lock: WriteLock
    ) -> None:
        self._connect = connect
        self._lock = lock
        self._conn: aiosqlite.Connection | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._conn = await self._connect()
        self._lock.open()
        self._task = asyncio.create_task(self._run(self._conn, self._lock, INTERVAL))

    async def stop(self) -> None:
        if self._task is not None:
            await stop_task(self._task)
            self._task = None
        if self._conn is not None:
            await self._conn.close()
            self._conn = None
        self._lock.close()

    @staticmethod
    async def _run(conn: aiosqlite.Connection, lock: WriteLock, interval: float) -> None:
        copied_in_full = 0
        while True:
            await asyncio.sleep(interval)
            try:
                copied_in_full = await checkpoint_in_full(conn, lock, copied_in_full)
            except sqlite3.Error:
                # The next turn tries again; meanwhile the log only grows a little.
                log.warning("checkpoint failed", exc_info=True)


async def checkpoint_in_full(conn: aiosqlite.Connection, lock: WriteLock, done: int) -> int:
    """Copy the log into the file, all of it if readers allow; returns the log's length if
    it was copied in full, else 0. ``done`` is what the last turn returned: a log of that
    length has not moved since, and holding writers back for it would gain nothing."""
    in_log, _ = await checkpoint(conn)
    if in_log <= 0 or in_log == done:  # -1: another process is checkpointing
        return done
    async with lock.held_async():
        in_log, copied = await checkpoint(conn)
    return in_log if in_log == copied else 0


async def checkpoint(conn: aiosqlite.Connection) -> tuple[int, int]:
    """Copy what it can of the log into the file; the log's pages and how many of them are
    in the file now (both -1 when another process was checkpointing)."""
    rows = await conn.execute_fetchall("PRAGMA wal_checkpoint(PASSIVE)")
    _busy, in_log, copied = next(iter(rows))
    return int(in_log), int(copied)
