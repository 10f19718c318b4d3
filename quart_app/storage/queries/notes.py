"""The notes of live shares as stored, encrypted at rest, for rewrapping their keys."""

from __future__ import annotations

from dataclasses import dataclass

from ..base import Connection, Dialect


@dataclass(frozen=True)
class StoredRow:
    share_id: str
    note: str
    note_key: str | None  # None for a note stored before notes were encrypted


async def notes_after(conn: Connection, share_id: str, *, limit: int) -> list[StoredRow]:
    """Up to ``limit`` notes not yet erased, of the shares after ``share_id`` in id order.
    Inside a transaction: held until it ends, so no claim erases one meanwhile."""
    # Dialect: SQLite's BEGIN IMMEDIATE holds the whole database against other writers.
    locking = " FOR UPDATE" if conn.dialect is Dialect.POSTGRESQL else ""
    rows = await conn.execute_fetchall(
        "SELECT id, note, note_key FROM shares WHERE note IS NOT NULL AND id > ?"  # noqa: S608
        f" ORDER BY id LIMIT ?{locking}",
        (share_id, limit),
    )
    return [StoredRow(row[0], row[1], row[2]) for row in rows]


async def replace_note(conn: Connection, share_id: str, note: str, note_key: str) -> None:
    await conn.execute(
        "UPDATE shares SET note = ?, note_key = ? WHERE id = ?", (note, note_key, share_id)
    )
