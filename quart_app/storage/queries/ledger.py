"""The ledger of used and revoked links, keyed by each token's random jti: the only state
the server keeps per link. A row, once there, stays until its token can no longer verify."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..base import Connection, Dialect
from .rows import first_row


@dataclass(frozen=True)
class LedgerEntry:
    share_id: str
    used_at: float
    revoked: bool


@dataclass(frozen=True)
class LinkTarget:
    """What redeeming or previewing a link needs to know about its share and owner."""

    share_id: str
    owner_id: int
    owner_name: str
    owner_generation: int
    note: str | None  # encrypted at rest; sealed with the passphrase's key before, if any
    revoked: bool
    passphrase_kdf: str | None = None
    note_key: str | None = None  # the note's data key, wrapped

    def is_live_for(self, generation: int) -> bool:
        """Whether a link of this share, issued under ``generation``, may still be used."""
        return not self.revoked and self.note is not None and self.owner_generation == generation


_LINK_TARGET = """SELECT s.id, u.id, u.name, u.link_generation, s.note, s.revoked_at IS NOT NULL,
    s.passphrase_kdf, s.note_key FROM shares s JOIN users u ON u.id = s.owner_id WHERE s.id = ?"""
_COUNT = """UPDATE shares SET {column} = {column} + 1,
        note = CASE WHEN links_used + links_revoked + 1 >= links_issued THEN NULL ELSE note END,
        closed_at = CASE WHEN links_used + links_revoked + 1 >= links_issued
                         THEN coalesce(closed_at, ?) ELSE closed_at END
    WHERE id = ?"""
_COUNT_USE = {
    revoked: _COUNT.format(column=column)
    for revoked, column in ((False, "links_used"), (True, "links_revoked"))
}


async def link_target(conn: Connection, share_id: str, *, lock: bool = False) -> LinkTarget | None:
    """The share and its owner. With ``lock``, inside a transaction: until it ends, nobody
    can revoke the share nor bump the owner's generation, so what was read stays true."""
    # Dialect: SQLite's BEGIN IMMEDIATE already holds the whole database against writers.
    # PostgreSQL's READ COMMITTED would let a revocation commit between this read and the
    # claim; a revocation waiting on these row locks, or one that got there first, reads
    # here as revoked. The share's lock is the one its use count needs anyway, so racing
    # redemptions of one share queue on it instead of deadlocking on an upgrade.
    postgres = conn.dialect is Dialect.POSTGRESQL
    locking = " FOR NO KEY UPDATE OF s FOR SHARE OF u" if lock and postgres else ""
    row: Any = await first_row(conn, _LINK_TARGET + locking, (share_id,))
    if row is None:
        return None
    return LinkTarget(row[0], row[1], row[2], row[3], row[4], bool(row[5]), row[6], row[7])


async def ledger_entry(conn: Connection, jti: str) -> LedgerEntry | None:
    row = await first_row(
        conn, "SELECT share_id, used_at, revoked FROM redemptions WHERE jti = ?", (jti,)
    )
    return None if row is None else LedgerEntry(row[0], row[1], bool(row[2]))


async def claim(conn: Connection, jti: str, share_id: str, *, now: float, revoke: bool) -> bool:
    """Enter a jti in the ledger. True for exactly one caller per jti, ever (until pruned)."""
    row = await first_row(
        conn,
        """INSERT INTO redemptions(jti, share_id, used_at, revoked) VALUES (?, ?, ?, ?)
           ON CONFLICT(jti) DO NOTHING RETURNING jti""",
        (jti, share_id, now, int(revoke)),
    )
    return row is not None


async def count_use(conn: Connection, share_id: str, *, revoked: bool, now: float) -> None:
    """Count a claimed link and erase the note once no link of the share is left."""
    await conn.execute(_COUNT_USE[revoked], (now, share_id))


async def prune_ledger(conn: Connection, *, before: float, batch: int) -> int:
    """Delete up to ``batch`` ledger rows used before ``before``; returns how many."""
    cursor = await conn.execute(
        """DELETE FROM redemptions WHERE jti IN (
               SELECT jti FROM redemptions WHERE used_at < ? ORDER BY used_at LIMIT ?)""",
        (before, batch),
    )
    return cursor.rowcount
