"""The SQLite backend: for one process a serialized writer and a reader.

Writes go through one connection guarded by a lock, each inside ``BEGIN IMMEDIATE`` so that
SQLite's own lock (with ``busy_timeout``) orders writers across processes too. Reads use a
second connection; in WAL mode they never wait for the writer.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib.resources import files
from pathlib import Path

from ..base import Connection, Database, Migration, schema_versions
from ..changes import ChangeHub
from ..queries.users import change_counters
from .change_feed import CounterPoller
from .checkpoints import Checkpointer, Locks
from .connections import SqliteConnection, connect
from .writelock import SEND, SWEEP, WriteLock

SWEEP_LOCK_POLL = 0.1  # seconds between looks while another process sweeps


def schema() -> list[tuple[int, list[str]]]:
    """The numbered sections of this backend's schema.sql."""
    return schema_versions(files(__package__).joinpath("schema.sql").read_text(), "schema.sql")


async def migrate(conn: SqliteConnection) -> Migration:
    """Bring the schema up to date; safe when several processes start at once, since the
    version is read and bumped inside one BEGIN IMMEDIATE."""
    await conn.execute("BEGIN IMMEDIATE")
    try:
        (before,) = next(iter(await conn.execute_fetchall("PRAGMA user_version")))
        after = before
        for number, statements in schema():
            if number > before:
                for statement in statements:
                    await conn.execute(statement)
                await conn.execute(f"PRAGMA user_version = {number}")
                after = number
        await conn.execute("COMMIT")
    except BaseException:
        await conn.execute("ROLLBACK")
        raise
    return Migration(before, after)


async def _rollback(conn: SqliteConnection) -> None:
    # Cancellation can land after BEGIN was queued but before it ran; the connection runs
    # calls in order, so this ROLLBACK still follows it. If BEGIN never ran, there is
    # nothing to undo.
    with contextlib.suppress(sqlite3.OperationalError):
        await conn.execute("ROLLBACK")


class SqliteDatabase(Database):
    """The process's connections to one SQLite file."""

    announces = False  # triggers count every change in users.changes

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer: SqliteConnection | None = None
        self._reader: SqliteConnection | None = None
        self._write_lock = asyncio.Lock()
        self._cross_process_lock = WriteLock(path)
        self.changes = ChangeHub()
        self.changes.feed = CounterPoller(self.changes, lambda: self.reader)
        self._sweep_lock = WriteLock(path, purpose=SWEEP)
        self._send_lock = WriteLock(path, purpose=SEND)
        self._sending = asyncio.Lock()  # the file lock is this process's for any of its tasks
        self._checkpointer = Checkpointer(lambda: connect(path), Locks.of(path))

    async def open(self) -> None:
        self._writer = await connect(self.path)
        await migrate(self._writer)
        self._reader = await connect(self.path)
        self._cross_process_lock.open()
        self._sweep_lock.open()
        self._send_lock.open()
        await self._checkpointer.start()
        self.changes.reopen()

    async def migrate(self) -> Migration:
        conn = await connect(self.path)
        try:
            return await migrate(conn)
        finally:
            await conn.close()

    async def close(self) -> None:
        await self.changes.close()
        await self._checkpointer.stop()
        for conn in (self._reader, self._writer):
            if conn is not None:
                await conn.close()
        self._reader = self._writer = None
        self._cross_process_lock.close()
        self._sweep_lock.close()
        self._send_lock.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqliteConnection]:
        if self._writer is None:
            raise RuntimeError("database is not open")
        async with self._write_lock, self._cross_process_lock.held_async():
            try:
                await self._writer.execute("BEGIN IMMEDIATE")
                yield self._writer
            except BaseException:
                await asyncio.shield(_rollback(self._writer))
                raise
            await self._writer.execute("COMMIT")

    @asynccontextmanager
    async def sweeping(self) -> AsyncIterator[None]:
        async with self._sweep_lock.held_by_polling(SWEEP_LOCK_POLL):
            yield

    @asynccontextmanager
    async def sending(self) -> AsyncIterator[_Turn | None]:
        # Without waiting: a process that finds another sending comes back on its next turn.
        if self._sending.locked() or not self._send_lock.try_acquire():
            yield None
            return
        try:
            async with self._sending:
                yield _Turn(self)
        finally:
            self._send_lock.release()

    async def change_stamp(self, user_id: int) -> int:
        return (await change_counters(self.reader, [user_id])).get(user_id, 0)

    async def announce_change(self, user_id: int) -> None:
        """Nothing to do: triggers count every change in ``users.changes``, which the
        ``CounterPoller`` of every process reads."""

    @property
    def reader(self) -> SqliteConnection:
        if self._reader is None:
            raise RuntimeError("database is not open")
        return self._reader


class _Turn:
    """A turn at the outbox: due rows are read without a transaction (nobody else sends
    meanwhile), and what was done is written in a short transaction of its own."""

    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    @property
    def conn(self) -> SqliteConnection:
        return self._db.reader

    async def write(self, step: Callable[[Connection], Awaitable[None]]) -> None:
        async with self._db.transaction() as conn:
            await step(conn)
