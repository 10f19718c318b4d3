"""Moving SQLite's write-ahead log into the database file, away from the writers.

By default SQLite checkpoints inside whichever COMMIT finds the log grown past 1000 pages:
that COMMIT then copies the pages and fsyncs the database file while it still holds the
write lock, and every redemption behind it waits (up to a quarter of a second behind the
pruner, in ``bench/ledger.py``). oncelink's connections turn that off; instead each serving
process checkpoints now and then on a connection of its own.

A turn starts with a PASSIVE pass that copies the bulk of the log while writers go on; when
processes checkpoint at the same moment, one does the work and the others skip a turn. Under
steady writes such a pass never catches up, and SQLite starts the log again from its
beginning only once every page in it is copied: the log grew for as long as the writes went
on (190 MB in five seconds of ``bench/redeem.py``). So the turn ends with a pass that holds
every oncelink writer back on the write lock and copies what they appended meanwhile; the
next commit then writes from the log's beginning again. To keep that hold short (it delayed
redemptions by a quarter of a second behind the pruner's bulk deletes), more unlocked passes
come first, each copying what was appended while the one before ran, until that is little;
and while a sweep deletes in bulk, the turn ends after its first pass.

A log that starts again keeps its file's size, that of its busiest moment: a turn that finds
the log copied in full and nothing written since truncates the file. Truncating it under
traffic instead (a small journal_size_limit) cost up to half the redemptions, as the file
was then cut and grown again every turn.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import NamedTuple

from ...background import stop_task
from .connections import SqliteConnection
from .writelock import SWEEP, WriteLock

INTERVAL = 1.0  # seconds; the log holds about this much of the writes
# The writers are held back only to copy a remainder this small (a few milliseconds' work);
# under a bulk delete the passes may never get there, and the log waits for a later turn.
REMAINDER_PAGES = 512
CATCH_UP_PASSES = 4

log = logging.getLogger(__name__)


class Checkpointer:
    def __init__(
        self,
        connect: Callable[[], Awaitable[SqliteConnection]],
        locks: Locks,
    ) -> None:
        self._connect = connect
        self._locks = locks
        self._conn: SqliteConnection | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._conn = await self._connect()
        for lock in self._locks:
            lock.open()
        self._task = asyncio.create_task(self._run(self._conn, self._locks, INTERVAL))

    async def stop(self) -> None:
        try:
            if self._task is not None:
                await stop_task(self._task)
        finally:
            self._task = None
            if self._conn is not None:
                await self._conn.close()
                self._conn = None
            for lock in self._locks:
                lock.close()

    @staticmethod
    async def _run(conn: SqliteConnection, locks: Locks, interval: float) -> None:
        copied_in_full = 0
        while True:
            await asyncio.sleep(interval)
            try:
                copied_in_full = await checkpoint_in_full(conn, locks, copied_in_full)
            except Exception:
                # The next turn tries again; meanwhile the log only grows a little. Nothing
                # here is a secret, so the traceback is safe to log.
                log.warning("checkpoint failed", exc_info=True)


class Locks(NamedTuple):
    """The checkpointer's own handles on the writers' and the sweeps' locks."""

    writers: WriteLock
    sweeps: WriteLock

    @classmethod
    def of(cls, database: Path) -> Locks:
        return cls(WriteLock(database), WriteLock(database, purpose=SWEEP))


async def checkpoint_in_full(conn: SqliteConnection, locks: Locks, done: int) -> int:
    """Copy the log into the file, all of it if readers allow; returns the log's length if
    it was copied in full, else 0. ``done`` is what the last turn returned: a log of that
    length has not moved since, and holding writers back for it would gain nothing."""
    in_log, _ = await checkpoint(conn)
    if 0 < in_log == done:  # copied in full last turn, and nothing written since
        return 0 if await _truncate(conn, locks.writers) else done
    if in_log <= 0 or in_log == done:  # -1: another process is checkpointing
        return done
    # While a sweep deletes in bulk, copying is slow (passes of a quarter second in
    # bench/ledger.py) and slows the writers' own fsyncs: leave the rest to a later turn.
    if not locks.sweeps.try_acquire():
        return 0
    try:
        return await _finish(conn, locks.writers, in_log)
    finally:
        locks.sweeps.release()


async def _truncate(conn: SqliteConnection, writers: WriteLock) -> bool:
    """Give the log's file back to the disk while no one writes; it would otherwise keep the
    size of its busiest moment for good (journal_size_limit caps it under traffic). Writers
    that come meanwhile wait on their lock for the moment it takes. False if one is at work:
    a later quiet turn tries again."""
    if not writers.try_acquire():
        return False
    try:
        await conn.execute_fetchall("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        writers.release()
    return True


async def _finish(conn: SqliteConnection, writers: WriteLock, in_log: int) -> int:
    for _ in range(CATCH_UP_PASSES):
        # Each pass copies what the writers appended while the one before ran, less and
        # less as long as copying outpaces writing.
        previous, (in_log, copied) = in_log, await checkpoint(conn)
        if in_log < previous:  # -1, or the log has started again: nothing left to finish
            return 0
        if copied < in_log:  # a reader still needs old pages: the log cannot start again
            return 0
        if in_log - previous <= REMAINDER_PAGES:
            break
    else:
        return 0  # the writers outpace the copying (a bulk delete): a later turn finishes
    async with writers.held_async():
        in_log, copied = await checkpoint(conn)
    return in_log if in_log > 0 and in_log == copied else 0


async def checkpoint(conn: SqliteConnection) -> tuple[int, int]:
    """Copy what it can of the log into the file; the log's pages and how many of them are
    in the file now (both -1 when another process was checkpointing)."""
    rows = await conn.execute_fetchall("PRAGMA wal_checkpoint(PASSIVE)")
    _busy, in_log, copied = next(iter(rows))
    return int(in_log), int(copied)
