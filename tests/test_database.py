"""The database layer on each backend: migrations, transactions, and SQLite's setup."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import stat
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import aiosqlite
import pytest

from quart_app import create_app
from quart_app.clock import FrozenClock
from quart_app.links.redemption import redeem_link
from quart_app.shares import revoke_share
from quart_app.storage.opener import database_for, sqlite_path
from quart_app.storage.postgres.backend import postgres_sql
from quart_app.storage.postgres.backend import schema as postgres_schema
from quart_app.storage.sqlite import checkpoints as sqlite_checkpoints
from quart_app.storage.sqlite.backend import SqliteDatabase
from quart_app.storage.sqlite.backend import schema as sqlite_schema
from quart_app.storage.sqlite.connections import JOURNAL_SIZE_LIMIT, connect, connect_sync
from quart_app.storage.sqlite.writelock import WriteLock
from quart_app.sweep import sweep
from quart_app.web.context import services_of

from .conftest import START, make_settings, make_user, query_directly, share_for, token_of
from .servers import PostgresServer

INSERT_USER = "INSERT INTO users(name, password_hash, created_at) VALUES (?, 'h', 0)"
FULL = 2  # PRAGMA synchronous: fsync at every commit


async def test_every_sqlite_connection_is_durable_wal_with_foreign_keys(tmp_path: Path) -> None:
    conn = await connect(tmp_path / "db.sqlite3")
    try:
        pragmas = {}
        for name in (
            "journal_mode",
            "synchronous",
            "foreign_keys",
            "busy_timeout",
            "wal_autocheckpoint",
            "secure_delete",
        ):
            pragmas[name] = next(iter(await conn.execute_fetchall(f"PRAGMA {name}")))[0]
    finally:
        await conn.close()
    assert pragmas == {
        "journal_mode": "wal",
        "synchronous": FULL,
        "foreign_keys": 1,
        "busy_timeout": 10_000,
        "wal_autocheckpoint": 0,
        "secure_delete": 1,
    }


class CommitWatcher(sqlite3.Connection):
    """A sqlite3 connection that notes, at each COMMIT, how durable that commit is."""

    seen: ClassVar[list[tuple[int, int]]] = []  # (connection, synchronous) at each COMMIT

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        if sql.strip().upper().startswith(("COMMIT", "END")):
            (level,) = super().execute("PRAGMA synchronous").fetchone()
            CommitWatcher.seen.append((id(self), level))
        return super().execute(sql, parameters)


async def test_every_sqlite_connection_that_commits_waits_for_the_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whichever connection commits (a request's transaction, the group commit of
    redemptions, a migration, a sweep), it commits with synchronous = FULL: an answered
    redemption survives a power cut."""
    connect_plainly = sqlite3.connect
    monkeypatch.setattr(CommitWatcher, "seen", [])
    monkeypatch.setattr(
        sqlite3, "connect", lambda *a, **k: connect_plainly(*a, **k, factory=CommitWatcher)
    )
    app = create_app(make_settings(tmp_path), FrozenClock(START))
    async with app.test_app():
        services = services_of(app)
        owner = await make_user(services)
        created = await share_for(services, owner, links=2)
        await redeem_link(services, token_of(created.links[0].url))
        await sweep(services)
    connections = {connection for connection, _ in CommitWatcher.seen}
    assert len(connections) >= 2  # the writer and the group commit, at least
    assert {level for _, level in CommitWatcher.seen} == {FULL}


class BuiltWithoutSecureDelete(sqlite3.Connection):
    """A connection to a SQLite built without SECURE_DELETE (Debian's has it by default)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        super().execute("PRAGMA secure_delete = OFF")


async def test_an_erased_note_leaves_no_trace_in_the_sqlite_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    connect_plainly = sqlite3.connect
    monkeypatch.setattr(
        sqlite3,
        "connect",
        lambda *a, **k: connect_plainly(*a, **k, factory=BuiltWithoutSecureDelete),
    )
    note = "the launch code is " + "0123456789" * 20
    app = create_app(make_settings(tmp_path), FrozenClock(START))
    async with app.test_app():
        services = services_of(app)
        owner = await make_user(services)
        created = await share_for(services, owner, note=note)
        await revoke_share(services, owner, created.share.id)
    assert b"the launch code" not in bytes_on_disk(tmp_path / "oncelink.sqlite3")


def bytes_on_disk(database: Path) -> bytes:
    """The database's file and log, once the log has been copied into the file."""
    with contextlib.closing(sqlite3.connect(database)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return b"".join(path.read_bytes() for path in database.parent.glob(database.name + "*"))


async def test_sqlite_database_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    db = SqliteDatabase(tmp_path / "new" / "db.sqlite3")
    await db.open()
    await db.close()
    assert stat.S_IMODE((tmp_path / "new" / "db.sqlite3").stat().st_mode) == 0o600


def test_a_sqlite_url_names_the_same_file_as_its_path() -> None:
    assert sqlite_path("sqlite:///srv/oncelink/db.sqlite3") == Path("/srv/oncelink/db.sqlite3")
    assert sqlite_path("instance/db.sqlite3") == Path("instance/db.sqlite3")


async def test_processes_starting_together_migrate_once(empty_database: str) -> None:
    databases = [database_for(empty_database) for _ in range(4)]
    try:
        await asyncio.gather(*(db.open() for db in databases))
    finally:
        await asyncio.gather(*(db.close() for db in databases))
    latest = sqlite_schema()[-1][0]
    again = await database_for(empty_database).migrate()
    assert (again.before, again.after) == (latest, latest)


async def test_migrating_a_new_database_reports_every_version(empty_database: str) -> None:
    migration = await database_for(empty_database).migrate()
    assert (migration.before, migration.after) == (0, sqlite_schema()[-1][0])


@pytest.mark.parametrize("schema", [sqlite_schema, postgres_schema])
def test_schema_versions_are_numbered_one_by_one(
    schema: Callable[[], list[tuple[int, list[str]]]],
) -> None:
    numbers = [number for number, _ in schema()]
    assert numbers == list(range(1, len(numbers) + 1))
    assert all(statements for _, statements in schema())


def test_a_trigger_in_the_schema_is_kept_as_one_statement() -> None:
    statements = [s for _, section in sqlite_schema() for s in section]
    triggers = [s for s in statements if s.startswith("CREATE TRIGGER")]
    assert triggers
    assert all(t.endswith("END;") and t.count(";") >= 2 for t in triggers)
    assert not any(s in ("END", "END;") for s in statements)


def test_both_backends_have_every_schema_version() -> None:
    sqlite, postgres = sqlite_schema(), postgres_schema()
    assert [number for number, _ in sqlite] == [number for number, _ in postgres]


async def test_a_failed_transaction_leaves_nothing_behind(database: str) -> None:
    db = database_for(database)
    await db.open()
    try:
        with contextlib.suppress(RuntimeError):
            async with db.transaction() as conn:
                await conn.execute(INSERT_USER, ("x",))
                raise RuntimeError("boom")
        assert await query_directly(database, "SELECT count(*) FROM users") == [(0,)]
        async with db.transaction() as conn:  # the writer is usable again
            await conn.execute(INSERT_USER, ("y",))
        assert await query_directly(database, "SELECT name FROM users") == [("y",)]
    finally:
        await db.close()


async def test_a_closed_database_refuses_work(database: str) -> None:
    db = database_for(database)
    with pytest.raises(RuntimeError, match="not open"):
        async with db.transaction():
            pass
    with pytest.raises(RuntimeError, match="not open"):
        await db.reader.execute_fetchall("SELECT 1")


def test_placeholders_are_numbered_for_postgresql_but_not_inside_strings() -> None:
    sql = "SELECT ? WHERE a = ? AND b = 'what?' AND c IN (?, ?)"
    assert postgres_sql(sql) == "SELECT $1 WHERE a = $2 AND b = 'what?' AND c IN ($3, $4)"
    assert postgres_sql("SELECT 'it''s ?', ?") == "SELECT 'it''s ?', $1"


async def test_both_schemas_have_the_same_tables_and_columns(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    """The queries' one SQL text needs the same names on both: a column added to one schema
    and not the other fails here rather than in production."""
    sqlite_location = str(tmp_path / "db.sqlite3")
    await database_for(sqlite_location).migrate()
    in_sqlite = await query_directly(
        sqlite_location,
        """SELECT m.name, c.name FROM sqlite_master m, pragma_table_info(m.name) c
           WHERE m.type = 'table'""",
    )
    with postgres.schema() as url:
        await database_for(url).migrate()
        columns = await query_directly(
            url,
            """SELECT table_name, column_name FROM information_schema.columns
               WHERE table_schema = current_schema() AND table_name <> 'schema_migrations'""",
        )
    # SQLite's live views poll a change counter; PostgreSQL's hear NOTIFY instead.
    assert set(columns) == set(in_sqlite) - {("users", "changes")}


async def write_megabytes(db: SqliteDatabase, megabytes: float, *, first: int = 0) -> None:
    async with db.transaction() as conn:
        for number in range(first, first + round(megabytes * 500)):
            await conn.execute(INSERT_USER, (f"{number:06}" + "x" * 2000,))


async def test_commits_leave_the_log_for_the_checkpointer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A COMMIT that copied the log into the file would hold the write lock meanwhile."""
    monkeypatch.setattr(sqlite_checkpoints, "INTERVAL", 3600)
    db = SqliteDatabase(tmp_path / "db.sqlite3")
    await db.open()
    try:
        size = db.path.stat().st_size
        await write_megabytes(db, 6)  # past SQLite's own threshold of 1000 pages
        assert db.path.stat().st_size == size
    finally:
        await db.close()


async def test_the_checkpointer_moves_the_log_into_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_checkpoints, "INTERVAL", 0.1)
    db = SqliteDatabase(tmp_path / "db.sqlite3")
    await db.open()
    try:
        size = db.path.stat().st_size
        await write_megabytes(db, 2)
        async with asyncio.timeout(5):
            # A file's size cannot be awaited: look until it grows.
            while db.path.stat().st_size <= size:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
    finally:
        await db.close()


async def test_the_log_starts_again_while_writers_keep_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A checkpoint racing writers never copies the log in full by itself, and SQLite writes
    from the log's beginning again only once it has: without the second pass the log grows
    by everything written."""
    monkeypatch.setattr(sqlite_checkpoints, "INTERVAL", 0.02)
    db = SqliteDatabase(tmp_path / "db.sqlite3")
    await db.open()
    log = db.path.with_name(db.path.name + "-wal")
    try:
        largest = 0
        for turn in range(60):  # 15 MB in transactions of a quarter megabyte, back to back
            await write_megabytes(db, 0.25, first=turn * 125)
            largest = max(largest, log.stat().st_size)
    finally:
        await db.close()
    assert largest < 12_000_000, f"{largest:,} bytes"  # 4 MB here; 48 MB without the pass


@dataclass
class Checkpointing:
    db: SqliteDatabase
    conn: aiosqlite.Connection  # to checkpoint by hand, with the checkpointer's locks
    locks: sqlite_checkpoints.Locks
    writers: WriteLock  # another writer's hold on the write lock, to take


@pytest.fixture
async def checkpointing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Checkpointing]:
    monkeypatch.setattr(sqlite_checkpoints, "INTERVAL", 3600)  # its own stays idle
    db = SqliteDatabase(tmp_path / "db.sqlite3")
    await db.open()
    conn = await connect(db.path)
    locks = sqlite_checkpoints.Locks.of(db.path)
    writers = WriteLock(db.path)
    for lock in (*locks, writers):
        lock.open()
    try:
        yield Checkpointing(db, conn, locks, writers)
    finally:
        for lock in (*locks, writers):
            lock.close()
        await conn.close()
        await db.close()


async def test_a_log_that_has_not_moved_is_not_copied_again(
    checkpointing: Checkpointing,
) -> None:
    """An idle server's checkpointer does not hold the writers back every turn."""
    c = checkpointing
    await write_megabytes(c.db, 0.2)
    copied = await sqlite_checkpoints.checkpoint_in_full(c.conn, c.locks, 0)
    assert copied > 0
    assert c.writers.try_acquire()  # taking the lock now would wait for ever
    async with asyncio.timeout(2):
        assert await sqlite_checkpoints.checkpoint_in_full(c.conn, c.locks, copied) == copied


async def test_the_writers_are_not_held_back_while_a_sweep_runs(
    checkpointing: Checkpointing,
) -> None:
    """A sweep's bulk deletes make copying slow: holding the writers back then would stall
    every redemption for as long."""
    c = checkpointing
    await write_megabytes(c.db, 0.2)
    other = SqliteDatabase(c.db.path)  # as another process would open it
    await other.open()
    try:
        async with other.sweeping():
            assert c.writers.try_acquire()  # taking the lock now would wait for ever
            async with asyncio.timeout(2):
                assert await sqlite_checkpoints.checkpoint_in_full(c.conn, c.locks, 0) == 0
            c.writers.release()
    finally:
        await other.close()
    assert await sqlite_checkpoints.checkpoint_in_full(c.conn, c.locks, 0) > 0


async def test_the_writers_are_not_held_back_for_a_log_a_reader_still_needs(
    checkpointing: Checkpointing,
) -> None:
    """Pages an open read transaction may still read stay in the log, so it cannot start
    again however long the writers wait."""
    c = checkpointing
    await write_megabytes(c.db, 0.1)
    reader = await connect(c.db.path)
    try:
        await reader.execute("BEGIN")
        await reader.execute_fetchall("SELECT count(*) FROM users")  # keeps this snapshot
        await write_megabytes(c.db, 0.1, first=50)
        assert c.writers.try_acquire()  # taking the lock now would wait for ever
        async with asyncio.timeout(2):
            assert await sqlite_checkpoints.checkpoint_in_full(c.conn, c.locks, 0) == 0
    finally:
        await reader.execute("ROLLBACK")
        await reader.close()


async def test_a_lock_closed_while_a_cancelled_wait_blocks_keeps_its_file_until_then(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The waiting thread cannot be stopped. Closing the file under it would free its number
    for another file, which the thread's release would then unlock."""
    holder, waiter = WriteLock(tmp_path / "db.sqlite3"), WriteLock(tmp_path / "db.sqlite3")
    holder.open()
    waiter.open()
    assert holder.try_acquire()
    waiting = asyncio.create_task(waiter.acquire_async(barge=False))
    await asyncio.sleep(0.1)  # its thread now blocks in flock
    waiting.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await waiting
    waiter.close()
    holder.release()  # the thread takes the lock; then the file is released and closed
    async with asyncio.timeout(5):
        while not holder.try_acquire():  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    holder.close()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


async def test_the_log_gives_its_file_back_once_writes_pause(
    checkpointing: Checkpointing,
) -> None:
    """The log's file keeps the size of its busiest moment, even once copied: the first
    checkpoint turn that finds nothing new written truncates it."""
    c = checkpointing
    log = c.db.path.with_name(c.db.path.name + "-wal")
    await write_megabytes(c.db, 24)
    copied = await sqlite_checkpoints.checkpoint_in_full(c.conn, c.locks, 0)
    assert copied > 0
    assert log.stat().st_size > 24_000_000  # copied, but writes may still come
    assert await sqlite_checkpoints.checkpoint_in_full(c.conn, c.locks, copied) == 0
    assert log.stat().st_size == 0
    await write_megabytes(c.db, 0.01, first=20_000)  # and the database goes on as before
    [(count,)] = await c.db.reader.execute_fetchall("SELECT count(*) FROM users")
    assert count == 24 * 500 + 5


async def test_every_connection_caps_the_log_it_keeps_under_traffic(tmp_path: Path) -> None:
    conn = await connect(tmp_path / "db.sqlite3")
    try:
        [(limit,)] = await conn.execute_fetchall("PRAGMA journal_size_limit")
    finally:
        await conn.close()
    sync = connect_sync(tmp_path / "db.sqlite3")
    try:
        [(sync_limit,)] = sync.execute("PRAGMA journal_size_limit").fetchall()
    finally:
        sync.close()
    assert limit == sync_limit == JOURNAL_SIZE_LIMIT
