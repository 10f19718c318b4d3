"""Sealed copies of redeemed notes, kept for a few minutes so the redeeming browser may
read the note again; only that browser holds the key that opens them."""

from __future__ import annotations

from dataclasses import dataclass

from ..base import Connection
from .rows import first_row


@dataclass(frozen=True)
class Reveal:
    sealed_note: bytes
    reveal_until: float


async def insert_reveal(conn: Connection, jti: str, sealed_note: bytes, *, until: float) -> None:
    await conn.execute(
        "INSERT INTO reveals(jti, sealed_note, reveal_until) VALUES (?, ?, ?)",
        (jti, sealed_note, until),
    )


async def reveal_of(conn: Connection, jti: str, *, now: float) -> Reveal | None:
    row = await first_row(
        conn,
        "SELECT sealed_note, reveal_until FROM reveals WHERE jti = ? AND reveal_until > ?",
        (jti, now),
    )
    return None if row is None else Reveal(bytes(row[0]), row[1])


async def delete_expired_reveals(conn: Connection, *, now: float) -> int:
    cursor = await conn.execute("DELETE FROM reveals WHERE reveal_until <= ?", (now,))
    return cursor.rowcount
