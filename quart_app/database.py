"""SQLite connections for one process: a serialized writer and a reader.

Writes go through one connection guarded by a lock, each inside ``BEGIN IMMEDIATE`` so that
SQLite's own lock (with ``busy_timeout``) orders writers across processes too. Reads use a
second connection; in WAL mode they never wait for the writer.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files
from pathlib import Path

import aiosqlite

from .writelock import WriteLock

BUSY_TIMEOUT_MS = 10_000


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
    return conn


def connect_sync(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection with the same settings, for a thread of its own.

    The file must already be in WAL mode (``Database.open`` sees to that)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
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


async def migrate(conn: aiosqlite.Connection) -> None:
    """Bring the schema up to date; safe when several processes start at once, since the
    version is read and bumped inside one BEGIN IMMEDIATE."""
    await conn.execute("BEGIN IMMEDIATE")
    try:
        (version,) = next(iter(await conn.execute_fetchall("PRAGMA user_version")))
        for number, statements in schema_versions():
            if number > version:
                for statement in statements:
                    await conn.execute(statement)
                await conn.execute(f"PRAGMA user_version = {number}")
        await conn.execute("COMMIT")
    except BaseException:
        await conn.execute("ROLLBACK")
        raise


_VERSION_MARK = re.compile(r"^-- version (\d+)\s*$", re.MULTILINE)


def schema_versions() -> list[tuple[int, list[str]]]:
    """``schema.sql`` cut into its numbered sections, each a list of statements."""
    text = files("quart_app").joinpath("schema.sql").read_text()
    marks = list(_VERSION_MARK.finditer(text))
    sections = []
    for mark, following in zip(marks, [*marks[1:], None], strict=True):
        body = text[mark.end() : following.start() if following else len(text)]
        lines = [line for line in body.splitlines() if not line.lstrip().startswith("--")]
        sections.append((int(mark.group(1)), _statements(lines)))
    return sections


def _statements(lines: list[str]) -> list[str]:
    """Whole statements, so that a trigger's ``BEGIN ...; ...; END;`` stays in one piece."""
    statements: list[str] = []
    pending = ""
    for line in lines:
        pending += line + "\n"
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    if pending.strip():
        raise ValueError(f"schema.sql ends inside a statement: {pending.strip()[:60]!r}")
    return statements


async def _rollback(conn: aiosqlite.Connection) -> None:
    # Cancellation can land after BEGIN was queued but before it ran; the connection runs
    # calls in order, so this ROLLBACK still follows it. If BEGIN never ran, there is
    # nothing to undo.
    with contextlib.suppress(sqlite3.OperationalError):
        await conn.execute("ROLLBACK")


class Database:
    """The process's connections; open in ``before_serving``, close in ``after_serving``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()
        self._cross_process_lock = WriteLock(path)

    async def open(self) -> None:
        self._writer = await connect(self.path)
        await migrate(self._writer)
        self._reader = await connect(self.path)
        self._cross_process_lock.open()

    async def close(self) -> None:
        for conn in (self._reader, self._writer):
            if conn is not None:
                await conn.close()
        self._reader = self._writer = None
        self._cross_process_lock.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction: committed if the block returns, rolled back if it raises."""
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

    @property
    def reader(self) -> aiosqlite.Connection:
        if self._reader is None:
            raise RuntimeError("database is not open")
        return self._reader
