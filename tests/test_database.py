"""The SQLite setup every connection gets, and schema migrations."""

from __future__ import annotations

import asyncio
import sqlite3
import stat
from pathlib import Path

from quart_app.database import Database, connect, schema_versions


async def test_every_connection_is_durable_wal_with_foreign_keys(tmp_path: Path) -> None:
    conn = await connect(tmp_path / "db.sqlite3")
    try:
        pragmas = {}
        for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout"):
            pragmas[name] = next(iter(await conn.execute_fetchall(f"PRAGMA {name}")))[0]
    finally:
        await conn.close()
    assert pragmas == {
        "journal_mode": "wal",
        "synchronous": 2,
        "foreign_keys": 1,
        "busy_timeout": 10_000,
    }


async def test_database_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    db = Database(tmp_path / "new" / "db.sqlite3")
    await db.open()
    await db.close()
    assert stat.S_IMODE((tmp_path / "new" / "db.sqlite3").stat().st_mode) == 0o600


async def test_processes_starting_together_migrate_once(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    databases = [Database(path) for _ in range(4)]
    try:
        await asyncio.gather(*(db.open() for db in databases))
    finally:
        await asyncio.gather(*(db.close() for db in databases))
    latest = schema_versions()[-1][0]
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (latest,)


def test_schema_versions_are_numbered_upwards() -> None:
    # Branches reserve version numbers ahead, so a gap may show until they are merged.
    numbers = [number for number, _ in schema_versions()]
    assert numbers == sorted(set(numbers))
    assert numbers[0] == 1
    assert all(statements for _, statements in schema_versions())


def test_a_trigger_in_the_schema_is_kept_as_one_statement() -> None:
    statements = [s for _, section in schema_versions() for s in section]
    triggers = [s for s in statements if s.startswith("CREATE TRIGGER")]
    assert triggers
    assert all(t.endswith("END;") and t.count(";") >= 2 for t in triggers)
    assert not any(s in ("END", "END;") for s in statements)


async def test_a_failed_transaction_leaves_nothing_behind(tmp_path: Path) -> None:
    db = Database(tmp_path / "db.sqlite3")
    await db.open()
    try:
        try:
            async with db.transaction() as conn:
                await conn.execute(
                    "INSERT INTO users(name, password_hash, created_at) VALUES ('x', 'h', 0)"
                )
                raise RuntimeError("boom")
        except RuntimeError:
            pass
        rows = await db.reader.execute_fetchall("SELECT count(*) FROM users")
        assert next(iter(rows))[0] == 0
        async with db.transaction() as conn:  # the writer is usable again
            await conn.execute(
                "INSERT INTO users(name, password_hash, created_at) VALUES ('y', 'h', 0)"
            )
    finally:
        await db.close()
