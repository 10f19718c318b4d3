"""Server-side sessions of main users: the table holds only a hash of each session id."""

from __future__ import annotations

from ..base import Connection
from .rows import first_row
from .users import JOINED_USER_COLUMNS, User, user_from


async def insert_session(
    conn: Connection, id_hash: bytes, user_id: int, *, now: float, expires_at: float
) -> None:
    await conn.execute(
        "INSERT INTO sessions(id_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
        (id_hash, user_id, now, expires_at),
    )


async def session_user(conn: Connection, id_hash: bytes, *, now: float) -> User | None:
    row = await first_row(
        conn,
        f"""SELECT {JOINED_USER_COLUMNS} FROM sessions s JOIN users u ON u.id = s.user_id
            WHERE s.id_hash = ? AND s.expires_at > ? AND u.disabled_at IS NULL""",  # noqa: S608
        (id_hash, now),
    )
    return None if row is None else user_from(row)


async def delete_session(conn: Connection, id_hash: bytes) -> None:
    await conn.execute("DELETE FROM sessions WHERE id_hash = ?", (id_hash,))


async def delete_user_sessions(conn: Connection, user_id: int) -> None:
    await conn.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))


async def delete_expired_sessions(conn: Connection, *, now: float) -> None:
    await conn.execute("DELETE FROM sessions WHERE expires_at <= ?", (now,))
