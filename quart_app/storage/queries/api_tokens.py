"""API tokens of main users: the table holds only a hash of each token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..base import Connection
from .rows import first_row
from .users import JOINED_USER_COLUMNS, User, user_from


@dataclass(frozen=True)
class ApiToken:
    id: int
    user_id: int
    name: str
    created_at: float


async def insert_api_token(
    conn: Connection,
    user_id: int,
    name: str,
    token_hash: bytes,
    *,
    now: float,
    form_nonce: str | None = None,
) -> bool:
    """Add a token; False if the user already made one with a form of this nonce."""
    row = await first_row(
        conn,
        """INSERT INTO api_tokens(user_id, name, token_hash, created_at, form_nonce)
           VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (user_id, form_nonce) DO NOTHING RETURNING id""",
        (user_id, name, token_hash, now, form_nonce),
    )
    return row is not None


_COLUMNS = "id, user_id, name, created_at"


def _api_token(row: Any) -> ApiToken:
    return ApiToken(row[0], row[1], row[2], row[3])


async def api_tokens_of(conn: Connection, user_id: int) -> list[ApiToken]:
    """The user's API tokens, newest first."""
    rows = await conn.execute_fetchall(
        f"SELECT {_COLUMNS} FROM api_tokens WHERE user_id = ? ORDER BY id DESC",  # noqa: S608
        (user_id,),
    )
    return [_api_token(row) for row in rows]


async def api_token_of(conn: Connection, user_id: int, token_id: int) -> ApiToken | None:
    row = await first_row(
        conn,
        f"SELECT {_COLUMNS} FROM api_tokens WHERE id = ? AND user_id = ?",  # noqa: S608
        (token_id, user_id),
    )
    return None if row is None else _api_token(row)


async def api_token_user(conn: Connection, token_hash: bytes) -> User | None:
    row = await first_row(
        conn,
        f"""SELECT {JOINED_USER_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id
            WHERE t.token_hash = ? AND u.disabled_at IS NULL""",  # noqa: S608
        (token_hash,),
    )
    return None if row is None else user_from(row)


async def delete_user_api_tokens(conn: Connection, user_id: int) -> None:
    await conn.execute("DELETE FROM api_tokens WHERE user_id = ?", (user_id,))


async def delete_api_token(conn: Connection, user_id: int, token_id: int) -> bool:
    """False if there is no such token of this user."""
    cursor = await conn.execute(
        "DELETE FROM api_tokens WHERE id = ? AND user_id = ?", (token_id, user_id)
    )
    return cursor.rowcount == 1
