"""The notes of live shares and the unread answers to requests, as stored, encrypted at rest,
for rewrapping their keys."""

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


@dataclass(frozen=True)
class StoredAnswer:
    request_id: str
    answer: str
    answer_key: str


async def answers_after(conn: Connection, request_id: str, *, limit: int) -> list[StoredAnswer]:
    """Up to ``limit`` unread answers to requests, of the requests after ``request_id`` in id
    order; held until the transaction ends, as ``notes_after``'s."""
    locking = " FOR UPDATE" if conn.dialect is Dialect.POSTGRESQL else ""
    rows = await conn.execute_fetchall(
        "SELECT id, answer, answer_key FROM requests"  # noqa: S608
        f" WHERE answer IS NOT NULL AND id > ? ORDER BY id LIMIT ?{locking}",
        (request_id, limit),
    )
    return [StoredAnswer(row[0], row[1], row[2]) for row in rows]


async def replace_answer_key(conn: Connection, request_id: str, answer_key: str) -> None:
    await conn.execute("UPDATE requests SET answer_key = ? WHERE id = ?", (answer_key, request_id))
