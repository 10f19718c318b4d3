"""Passphrase attempts per link, keyed by the link's jti like the ledger: each counted before
its key derivation runs, whatever its outcome, so a link never costs more than the limit's
worth of derivations, however many processes and instances race for it."""

from __future__ import annotations

from ..base import Connection
from .rows import first_row


async def attempts_on(conn: Connection, jti: str) -> int:
    row = await first_row(conn, "SELECT attempts FROM passphrase_attempts WHERE jti = ?", (jti,))
    return 0 if row is None else int(row[0])


async def count_attempt(
    conn: Connection, jti: str, share_id: str, *, limit: int, now: float
) -> int | None:
    """Count one more attempt on the link, unless ``limit`` attempts were counted already:
    the attempt's number, or None. One statement, so racing counters never pass the limit."""
    row = await first_row(
        conn,
        """INSERT INTO passphrase_attempts(jti, share_id, attempts, last_at) VALUES (?, ?, 1, ?)
           ON CONFLICT (jti) DO UPDATE
           SET attempts = passphrase_attempts.attempts + 1, last_at = excluded.last_at
           WHERE passphrase_attempts.attempts < ?
           RETURNING attempts""",
        (jti, share_id, now, limit),
    )
    return None if row is None else int(row[0])


async def prune_attempts(conn: Connection, *, before: float, batch: int) -> int:
    """Delete up to ``batch`` rows last counted before ``before``; returns how many."""
    cursor = await conn.execute(
        """DELETE FROM passphrase_attempts WHERE jti IN (
               SELECT jti FROM passphrase_attempts WHERE last_at < ? ORDER BY last_at LIMIT ?)""",
        (before, batch),
    )
    return cursor.rowcount
