"""The SQLite backend: for one process a serialized writer and a reader.

Writes go through one connection guarded by a lock, each inside ``BEGIN IMMEDIATE`` so that
SQLite's own lock (with ``busy_timeout``) orders writers across processes too. Reads use a
second connection; in WAL mode they never wait for the writer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from . import store
from .background import stop_task
from .changes import ChangeHub
from .database import Database, Migration, schema_versions
from .sqlite_checkpoints import Checkpointer
from .writelock import WriteLock

BUSY_TIMEOUT_MS = 10_000
SCHEMA = "schema.sql"
# How often open live views look for commits made by other processes.
CHANGE_POLL_INTERVAL = 0.5
SWEEP_LOCK_POLL = 0.1  # seconds between looks while another process sweeps

log = logging.getLogger(__name__)


async def connect(path: Path) -> aiosqlite.Connection:
    """Open a connection with the PRAGMAs every connection needs."""
    _create_private(path)
    # isolation_level=None: we issue BEGIN/COMMIT ourselves, so sqlite3 never opens a
    # transaction behind our back and holds the write lock longer than we meant.
    conn = await aiosqlite.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    await _use_wal(conn)
    await conn.execute("PRAGMA synchronous = FULL")
    await conn.execute("PRAGMA foreign_keys = ON")
    await conn.execute("PRAGMA wal_autocheckpoint = 0")  # see sqlite_checkpoints
    return conn


def connect_sync(path: Path, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> sqlite3.Connection:
    """A plain sqlite3 connection with the same settings.

    The file must already be in WAL mode (``Database.open`` sees to that)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA wal_autocheckpoint = 0")  # see sqlite_checkpoints
    return conn


async def _use_wal(conn: aiosqlite.Connection) -> None:
    """Switch a new database to WAL. The switch needs an exclusive lock and SQLite may
    refuse it at once, without waiting, while another process opens the same new file."""
    for attempt in range(50):
        try:
            await conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError:
            if attempt == 49:
                raise
            await asyncio.sleep(0.01 * (attempt + 1))


def _create_private(path: Path) -> None:
    """Create the database file readable by its owner only: it holds the notes. SQLite
    gives its -wal and -shm files the same permissions."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


async def migrate(conn: aiosqlite.Connection) -> Migration:
    """Bring the schema up to date; safe when several processes start at once, since the
    version is read and bumped inside one BEGIN IMMEDIATE."""
    await conn.execute("BEGIN IMMEDIATE")
    try:
        (before,) = next(iter(await conn.execute_fetchall("PRAGMA user_version")))
        after = before
        for number, statements in schema_versions(SCHEMA):
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


async def _rollback(conn: aiosqlite.Connection) -> None:
    # Cancellation can land after BEGIN was queued but before it ran; the connection runs
    # calls in order, so this ROLLBACK still follows it. If BEGIN never ran, there is
    # nothing to undo.
    with contextlib.suppress(sqlite3.OperationalError):
        await conn.execute("ROLLBACK")


class SqliteDatabase(Database):
    """The process's connections to one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()
        self._cross_process_lock = WriteLock(path)
        self.changes = ChangeHub()
        self.changes.feed = CounterPoller(self)
        self._sweep_lock = WriteLock(path, purpose="sweep")
        self._checkpointer = Checkpointer(
            lambda: connect(path), WriteLock(path), WriteLock(path, purpose="sweep")
        )

    async def open(self) -> None:
        self._writer = await connect(self.path)
        await migrate(self._writer)
        self._reader = await connect(self.path)
        self._cross_process_lock.open()
        self._sweep_lock.open()
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

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
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

    async def change_stamp(self, user_id: int) -> int:
        return (await store.change_counters(self.reader, [user_id])).get(user_id, 0)

    async def announce_change(self, user_id: int) -> None:
        """Nothing to do: triggers count every change in ``users.changes``, which the
        ``CounterPoller`` of every process reads."""

    @property
    def reader(self) -> aiosqlite.Connection:
        if self._reader is None:
            raise RuntimeError("database is not open")
        return self._reader


class CounterPoller:
    """SQLite's change feed. Triggers count every change to a user's shares in
    ``users.changes``, whichever process wrote; this reads the counters of the users watched
    in this process, one small query per interval, and wakes the watches of those whose
    counter moved. Polls only while some watch is open."""

    def __init__(self, db: SqliteDatabase, interval: float = CHANGE_POLL_INTERVAL) -> None:
        self._db = db
        self.interval = interval
        self._seen: dict[int, int] = {}
        self._task: asyncio.Task[None] | None = None

    async def keep_running(self) -> None:
        # A user watched for the first time gets a baseline now, before the watch is handed
        # out: a change committed between then and the next poll still moves past it.
        hub = self._db.changes
        new = [user_id for user_id in hub.watched_users if user_id not in self._seen]
        if new:
            for user_id, counter in (await store.change_counters(self._db.reader, new)).items():
                self._seen.setdefault(user_id, counter)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._poll())

    async def stop(self) -> None:
        if self._task is not None:
            await stop_task(self._task)
            self._task = None
        self._seen.clear()

    async def _poll(self) -> None:
        hub = self._db.changes
        while watched := hub.watched_users:
            await asyncio.sleep(self.interval)
            try:
                counters = await store.change_counters(self._db.reader, sorted(watched))
            except (sqlite3.Error, RuntimeError):
                # Busy, or closing: the watches time out and look again by themselves.
                log.warning("polling for changes failed", exc_info=True)
                continue
            for user_id, counter in counters.items():
                if self._seen.get(user_id, counter) != counter:
                    hub.changed(user_id)
                self._seen[user_id] = counter
            for user_id in self._seen.keys() - hub.watched_users:
                del self._seen[user_id]
