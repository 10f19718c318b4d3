"""Shares: a note, its owner, and the counts of its links."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..base import Connection, Dialect
from .rows import first_row


@dataclass(frozen=True)
class Share:
    seq: int
    id: str
    owner_id: int
    label: str
    default_ttl: int
    created_at: float
    expires_at: float
    links_issued: int
    links_used: int
    links_revoked: int
    revoked_at: float | None
    note_erased: bool
    has_passphrase: bool = False
    unnumbered_links: int = 0  # issued before links were numbered; numbers start after them


_SHARE_COLUMNS = """seq, id, owner_id, label, default_ttl, created_at, expires_at, links_issued,
    links_used, links_revoked, revoked_at, note IS NULL, passphrase_kdf IS NOT NULL,
    unnumbered_links"""


def _share(row: Any) -> Share:
    return Share(
        seq=row[0],
        id=row[1],
        owner_id=row[2],
        label=row[3],
        default_ttl=row[4],
        created_at=row[5],
        expires_at=row[6],
        links_issued=row[7],
        links_used=row[8],
        links_revoked=row[9],
        revoked_at=row[10],
        note_erased=bool(row[11]),
        has_passphrase=bool(row[12]),
        unnumbered_links=row[13],
    )


async def insert_share(
    conn: Connection,
    share_id: str,
    owner_id: int,
    *,
    label: str,
    note: str,
    note_key: str,
    ttl: int,
    now: float,
    form_nonce: str | None = None,
    recipients: Sequence[str] = (),
    passphrase_kdf: str | None = None,
) -> bool:
    """Add a share, its note encrypted under the data key that ``note_key`` wraps (and
    sealed under ``passphrase_kdf``'s key first, when that is given); False if the owner
    already has one made by a form with this nonce."""
    row = await first_row(
        conn,
        """INSERT INTO shares(id, owner_id, label, note, note_key, default_ttl, created_at,
                              expires_at, form_nonce, recipients, passphrase_kdf)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (owner_id, form_nonce) DO NOTHING RETURNING seq""",
        (
            share_id,
            owner_id,
            label,
            note,
            note_key,
            ttl,
            now,
            now,
            form_nonce,
            json.dumps(list(recipients)) if recipients else None,
            passphrase_kdf,
        ),
    )
    return row is not None


async def share_by_form_nonce(conn: Connection, owner_id: int, form_nonce: str) -> Share | None:
    """The owner's share that the form with this nonce made."""
    row = await first_row(
        conn,
        f"SELECT {_SHARE_COLUMNS} FROM shares WHERE owner_id = ? AND form_nonce = ?",  # noqa: S608
        (owner_id, form_nonce),
    )
    return None if row is None else _share(row)


async def record_issued_links(
    conn: Connection, share_id: str, count: int, expires_at: float
) -> int | None:
    """Count newly issued links: the number of the first of them, or None if the share can
    no longer take links."""
    row = await first_row(
        conn,
        """UPDATE shares SET links_issued = links_issued + ?,
               expires_at = CASE WHEN expires_at > ? THEN expires_at ELSE ? END
           WHERE id = ? AND note IS NOT NULL AND revoked_at IS NULL
           RETURNING links_issued - unnumbered_links""",
        (count, expires_at, expires_at, share_id),
    )
    return None if row is None else int(row[0]) - count + 1


async def recipients_of(conn: Connection, share_id: str) -> list[str]:
    """The share's named recipients, link 1's first; empty if it was made for a number."""
    row = await first_row(conn, "SELECT recipients FROM shares WHERE id = ?", (share_id,))
    names = json.loads(row[0]) if row is not None and row[0] else []
    return [str(name) for name in names]


async def share_of(
    conn: Connection, owner_id: int, share_id: str, *, lock: bool = False
) -> Share | None:
    """The owner's share. With ``lock``, inside a transaction, the share's row is held as a
    redemption holds it (see ``ledger.link_target``): a transaction that will enter a link in
    the ledger and then count it must take the row first, as a redemption does, or the two
    wait for each other (the ledger entry, the row) until PostgreSQL ends one as a deadlock."""
    locking = " FOR NO KEY UPDATE" if lock and conn.dialect is Dialect.POSTGRESQL else ""
    row = await first_row(
        conn,
        f"SELECT {_SHARE_COLUMNS} FROM shares WHERE id = ? AND owner_id = ?{locking}",  # noqa: S608
        (share_id, owner_id),
    )
    return None if row is None else _share(row)


async def shares_page(
    conn: Connection, owner_id: int, *, limit: int, before: int | None = None
) -> list[Share]:
    """The owner's shares, newest first; ``before`` is the ``seq`` of the last one seen."""
    rows = await conn.execute_fetchall(
        f"""SELECT {_SHARE_COLUMNS} FROM shares
            WHERE owner_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?""",  # noqa: S608
        (owner_id, before if before is not None else 2**63 - 1, limit),
    )
    return [_share(row) for row in rows]


async def uses_of(conn: Connection, share_ids: Iterable[str]) -> dict[str, list[float]]:
    """When each of these shares' links were used, oldest first."""
    ids = list(share_ids)
    uses: dict[str, list[float]] = {share_id: [] for share_id in ids}
    if not ids:
        return uses
    marks = ",".join("?" * len(ids))
    rows = await conn.execute_fetchall(
        f"""SELECT share_id, used_at FROM redemptions
            WHERE share_id IN ({marks}) AND revoked = 0 ORDER BY share_id, used_at""",  # noqa: S608
        ids,
    )
    for share_id, used_at in rows:
        uses[share_id].append(used_at)
    return uses


async def owners_of(conn: Connection, share_ids: Iterable[str]) -> set[int]:
    ids = list(share_ids)
    if not ids:
        return set()
    rows = await conn.execute_fetchall(
        f"SELECT DISTINCT owner_id FROM shares WHERE id IN ({','.join('?' * len(ids))})",  # noqa: S608
        ids,
    )
    return {int(row[0]) for row in rows}


async def revoke_share(conn: Connection, owner_id: int, share_id: str, *, now: float) -> bool:
    """Mark the share revoked, count its unused links as revoked unless they ran out first,
    and erase its note and the copies kept for re-viewing; False if it is not the owner's."""
    cursor = await conn.execute(
        """UPDATE shares SET revoked_at = coalesce(revoked_at, ?), note = NULL,
               links_revoked = CASE WHEN revoked_at IS NULL AND expires_at > ?
                                    THEN links_issued - links_used ELSE links_revoked END,
               closed_at = coalesce(closed_at, ?)
           WHERE id = ? AND owner_id = ?""",
        (now, now, now, share_id, owner_id),
    )
    if cursor.rowcount != 1:
        return False
    await conn.execute(
        "DELETE FROM reveals WHERE jti IN (SELECT jti FROM redemptions WHERE share_id = ?)",
        (share_id,),
    )
    return True


async def open_share_ids(conn: Connection, owner_id: int, *, now: float) -> list[str]:
    """The owner's shares that have links left to use."""
    rows = await conn.execute_fetchall(
        """SELECT id FROM shares
           WHERE owner_id = ? AND note IS NOT NULL AND revoked_at IS NULL AND expires_at > ?
             AND links_used + links_revoked < links_issued""",
        (owner_id, now),
    )
    return [str(row[0]) for row in rows]


async def revoke_unspent_links(conn: Connection, owner_id: int, *, now: float) -> None:
    """Count every unused link of the owner's open shares as revoked and erase their notes.
    Shares revoked already, or whose links ran out, keep the counts they have."""
    await conn.execute(
        """UPDATE shares SET links_revoked = links_issued - links_used, note = NULL,
               closed_at = coalesce(closed_at, ?)
           WHERE owner_id = ? AND revoked_at IS NULL AND expires_at > ?
             AND links_used + links_revoked < links_issued""",
        (now, owner_id, now),
    )


async def revoke_every_share(conn: Connection, owner_id: int, *, now: float) -> None:
    """Revoke each of the owner's shares that has links left, counting those links as
    revoked; erase every note of the owner's, and the copies kept for re-viewing."""
    # Every right-hand side reads the row as it was before this UPDATE.
    await conn.execute(
        """UPDATE shares SET note = NULL, closed_at = coalesce(closed_at, ?),
               links_revoked = CASE WHEN revoked_at IS NULL AND links_used < links_issued
                   THEN links_issued - links_used ELSE links_revoked END,
               revoked_at = CASE WHEN links_used < links_issued
                   THEN coalesce(revoked_at, ?) ELSE revoked_at END
           WHERE owner_id = ?""",
        (now, now, owner_id),
    )
    await conn.execute(
        """DELETE FROM reveals WHERE jti IN (SELECT r.jti FROM redemptions r
               JOIN shares s ON s.id = r.share_id WHERE s.owner_id = ?)""",
        (owner_id,),
    )


@dataclass(frozen=True)
class ClosedShare:
    id: str
    owner_id: int
    expires_at: float
    expired_unopened: bool  # closed by running out, with links nobody used


async def erase_spent_notes(conn: Connection, *, now: float) -> list[ClosedShare]:
    """Erase notes no link can reach any more: all links used or revoked, or all expired.
    Returns each share whose note was erased."""
    rows = await conn.execute_fetchall(
        """UPDATE shares SET note = NULL,
               closed_at = CASE WHEN expires_at < ? THEN expires_at ELSE ? END
           WHERE note IS NOT NULL
             AND (expires_at < ? OR links_used + links_revoked >= links_issued)
             AND links_issued > 0
           RETURNING id, owner_id, expires_at, links_used + links_revoked < links_issued""",
        (now, now, now),
    )
    return [ClosedShare(row[0], int(row[1]), row[2], bool(row[3])) for row in rows]
