"""Connections to the SQLite file, all with the same settings: aiosqlite's for the
requests' reads and writes, a plain sqlite3 one for the group commit, which runs on the
event loop."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import aiosqlite

from ..base import Dialect

BUSY_TIMEOUT_MS = 10_000
# The most the log keeps of its file once it starts again after a checkpoint, under traffic
# (the checkpointer gives all of it back once writes pause). Cutting it below what steady
# traffic writes between two checkpoint turns cost up to half the redemptions: the file is
# then cut and grown again every turn.
JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024
# Every connection's settings but busy_timeout, which the group commit sets to 0. The log
# is checkpointed in the background, not inside commits: see checkpoints. secure_delete:
# an erased note is overwritten with zeros, not left in the page's free space.
PRAGMAS = (
    "synchronous = FULL",
    "foreign_keys = ON",
    "wal_autocheckpoint = 0",
    "secure_delete = ON",
    f"journal_size_limit = {JOURNAL_SIZE_LIMIT}",
)


class SqliteConnection:
    """An aiosqlite connection as the queries see it."""

    dialect = Dialect.SQLITE

    def __init__(self, raw: aiosqlite.Connection) -> None:
        self.raw = raw

    async def execute_fetchall(
        self, sql: str, parameters: Iterable[Any] | None = None
    ) -> Iterable[Any]:
        return await self.raw.execute_fetchall(sql, parameters)

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> aiosqlite.Cursor:
        return await self.raw.execute(sql, parameters)

    async def execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self.raw.executemany(sql, rows)

    async def close(self) -> None:
        await self.raw.close()


class SyncConnection:
    """A plain sqlite3 connection as the queries see it. Its calls never wait for anything:
    a query awaited on it runs to its end without letting the event loop go, which is what
    the group commit needs (see group_commit)."""

    dialect = Dialect.SQLITE

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw

    async def execute_fetchall(
        self, sql: str, parameters: Iterable[Any] | None = None
    ) -> list[Any]:
        return self.raw.execute(sql, tuple(parameters or ())).fetchall()

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> sqlite3.Cursor:
        return self.raw.execute(sql, tuple(parameters or ()))

    async def execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self.raw.executemany(sql, rows)


async def connect(path: Path) -> SqliteConnection:
    """Open a connection with the settings every connection needs, switching a new database
    to WAL mode."""
    _create_private(path)
    # isolation_level=None: we issue BEGIN/COMMIT ourselves, so sqlite3 never opens a
    # transaction behind our back and holds the write lock longer than we meant.
    conn = await aiosqlite.connect(path, isolation_level=None)
    await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    await _use_wal(conn)
    for pragma in PRAGMAS:
        await conn.execute(f"PRAGMA {pragma}")
    return SqliteConnection(conn)


def connect_sync(path: Path, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> sqlite3.Connection:
    """A plain sqlite3 connection with the same settings.

    The file must already be in WAL mode (``Database.open`` sees to that)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
    for pragma in PRAGMAS:
        conn.execute(f"PRAGMA {pragma}")
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
