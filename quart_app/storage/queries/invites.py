"""Invites: one-time links by which admins add users, and what became of each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..base import Connection
from .rows import first_row


@dataclass(frozen=True)
class Invite:
    id: int
    jti: str
    created_by: int | None  # None: made on the command line
    creator_name: str | None
    is_admin: bool
    label: str
    created_at: float
    expires_at: float
    used_at: float | None
    revoked_at: float | None
    creator_disabled: bool

    def is_open(self, now: float) -> bool:
        """Whether the invite may still make an account."""
        closed = self.used_at is not None or self.revoked_at is not None
        return not closed and not self.creator_disabled and now < self.expires_at


_SELECT = """SELECT i.id, i.jti, i.created_by, u.name, i.is_admin, i.label, i.created_at,
        i.expires_at, i.used_at, i.revoked_at, u.disabled_at IS NOT NULL
    FROM invites i LEFT JOIN users u ON u.id = i.created_by"""
# An invite may be used while it is unused, not revoked, not expired, and its admin is not
# disabled (disabling someone voids what they handed out).
_OPEN = """i.used_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > ? AND NOT EXISTS (
    SELECT 1 FROM users c WHERE c.id = i.created_by AND c.disabled_at IS NOT NULL)"""


def _invite(row: Any) -> Invite:
    return Invite(
        row[0],
        row[1],
        row[2],
        row[3],
        bool(row[4]),
        row[5],
        row[6],
        row[7],
        row[8],
        row[9],
        bool(row[10]),
    )


async def insert_invite(
    conn: Connection,
    jti: str,
    created_by: int | None,
    *,
    is_admin: bool,
    label: str,
    now: float,
    expires_at: float,
    form_nonce: str | None,
) -> int | None:
    """Add an invite; None if its admin already made one with a form of this nonce."""
    row = await first_row(
        conn,
        """INSERT INTO invites(jti, created_by, is_admin, label, created_at, expires_at,
                               form_nonce)
           VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (created_by, form_nonce) DO NOTHING RETURNING id""",
        (jti, created_by, int(is_admin), label, now, expires_at, form_nonce),
    )
    return None if row is None else int(row[0])


async def _one(conn: Connection, where: str, params: tuple[Any, ...]) -> Invite | None:
    row = await first_row(conn, f"{_SELECT} WHERE {where}", params)
    return None if row is None else _invite(row)


async def invite_by_jti(conn: Connection, jti: str) -> Invite | None:
    """The invite a link names."""
    return await _one(conn, "i.jti = ?", (jti,))


async def invite_by_id(conn: Connection, invite_id: int) -> Invite | None:
    return await _one(conn, "i.id = ?", (invite_id,))


async def invite_by_form_nonce(conn: Connection, created_by: int, form_nonce: str) -> Invite | None:
    return await _one(conn, "i.created_by = ? AND i.form_nonce = ?", (created_by, form_nonce))


async def open_invites(conn: Connection, *, now: float) -> list[Invite]:
    """Invites that may still be used, newest first."""
    rows = await conn.execute_fetchall(
        f"{_SELECT} WHERE {_OPEN} ORDER BY i.id DESC",
        (now,),
    )
    return [_invite(row) for row in rows]


async def claim_invite(conn: Connection, jti: str, *, now: float) -> bool | None:
    """Mark the invite used, if it is open: whether it makes an admin, for exactly one
    caller; None for every other. (In PostgreSQL a racing claim waits on the row, then
    checks the outer conditions again on what the winner wrote, and finds it used.)"""
    row = await first_row(
        conn,
        f"""UPDATE invites SET used_at = ? WHERE id = (
                SELECT i.id FROM invites i WHERE i.jti = ? AND {_OPEN})
            AND used_at IS NULL AND revoked_at IS NULL RETURNING is_admin""",  # noqa: S608
        (now, jti, now),
    )
    return None if row is None else bool(row[0])


async def record_invitee(conn: Connection, jti: str, user_id: int) -> None:
    await conn.execute("UPDATE invites SET used_by = ? WHERE jti = ?", (user_id, jti))


async def revoke_invite(conn: Connection, invite_id: int, *, now: float) -> bool:
    """False if there is no such invite, or it was used or revoked already."""
    cursor = await conn.execute(
        """UPDATE invites SET revoked_at = ?
           WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL""",
        (now, invite_id),
    )
    return cursor.rowcount == 1


async def delete_expired_invites(conn: Connection, *, before: float) -> None:
    """Invites whose links expired before ``before``: their links no longer verify."""
    await conn.execute("DELETE FROM invites WHERE expires_at < ?", (before,))
