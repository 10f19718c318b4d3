"""Main users: their accounts, the generation every link of theirs carries, and the change
counter live views follow."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..base import Connection, Dialect
from .rows import first_row


@dataclass(frozen=True)
class User:
    id: int
    name: str
    password_hash: str
    is_admin: bool
    link_generation: int
    created_at: float
    disabled_at: float | None


USER_COLUMNS = "id, name, password_hash, is_admin, link_generation, created_at, disabled_at"
# The same columns of users joined as "u".
JOINED_USER_COLUMNS = ", ".join(f"u.{c.strip()}" for c in USER_COLUMNS.split(","))


def user_from(row: Any) -> User:
    return User(row[0], row[1], row[2], bool(row[3]), row[4], row[5], row[6])


async def count_users(conn: Connection) -> int:
    return int((await first_row(conn, "SELECT count(*) FROM users"))[0])


async def insert_user(
    conn: Connection,
    name: str,
    password_hash: str,
    *,
    is_admin: bool,
    now: float,
    only_if_first: bool,
) -> int | None:
    """Add a user; None if the name is taken (or, with only_if_first, if any user exists)."""
    guard = "WHERE NOT EXISTS (SELECT 1 FROM users)" if only_if_first else ""
    if only_if_first and conn.dialect is Dialect.POSTGRESQL:
        # Dialect: under READ COMMITTED two first users could each see no user yet; this
        # lock lets them in one at a time, and the second then sees the first. SQLite's
        # BEGIN IMMEDIATE has already done the same.
        await conn.execute("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE")
    # No conflict target: the unique name is a column constraint in SQLite and an index on
    # lower(name) in PostgreSQL. The casts tell PostgreSQL what the SELECT's values are.
    row = await first_row(
        conn,
        f"""INSERT INTO users(name, password_hash, is_admin, created_at)
            SELECT ?, ?, CAST(? AS INTEGER), CAST(? AS DOUBLE PRECISION) {guard}
            ON CONFLICT DO NOTHING RETURNING id""",
        (name, password_hash, int(is_admin), now),
    )
    return None if row is None else int(row[0])


async def user_by_name(conn: Connection, name: str) -> User | None:
    """The user of this name, whatever its case."""
    # Dialect: in SQLite the column itself compares without case (COLLATE NOCASE); in
    # PostgreSQL the unique index is on lower(name), and this is how a query uses it.
    same_name = "lower(name) = lower(?)" if conn.dialect is Dialect.POSTGRESQL else "name = ?"
    sql = f"SELECT {USER_COLUMNS} FROM users WHERE {same_name}"  # noqa: S608
    row = await first_row(conn, sql, (name,))
    return None if row is None else user_from(row)


async def user_by_id(conn: Connection, user_id: int) -> User | None:
    sql = f"SELECT {USER_COLUMNS} FROM users WHERE id = ?"  # noqa: S608
    row = await first_row(conn, sql, (user_id,))
    return None if row is None else user_from(row)


async def list_users(conn: Connection) -> list[User]:
    rows = await conn.execute_fetchall(f"SELECT {USER_COLUMNS} FROM users ORDER BY lower(name)")  # noqa: S608
    return [user_from(row) for row in rows]


async def set_password_hash(conn: Connection, user_id: int, password_hash: str) -> None:
    await conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id))


async def set_disabled(conn: Connection, user_id: int, *, disabled_at: float | None) -> None:
    await conn.execute("UPDATE users SET disabled_at = ? WHERE id = ?", (disabled_at, user_id))


async def change_counters(conn: Connection, user_ids: Sequence[int]) -> dict[int, int]:
    """Each user's change counter, which goes up whenever any of their shares changes
    (SQLite only: triggers keep it)."""
    if not user_ids:
        return {}
    marks = ",".join("?" * len(user_ids))
    rows = await conn.execute_fetchall(
        f"SELECT id, changes FROM users WHERE id IN ({marks})",  # noqa: S608
        list(user_ids),
    )
    return {user_id: changes for user_id, changes in rows}


async def bump_link_generation(conn: Connection, user_id: int) -> None:
    await conn.execute(
        "UPDATE users SET link_generation = link_generation + 1 WHERE id = ?", (user_id,)
    )
