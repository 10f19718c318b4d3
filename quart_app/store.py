"""Every SQL statement of oncelink, as small async functions taking a connection first.

Functions that write expect to run inside ``Database.transaction()``; the caller decides
what belongs in one transaction. The SQL is written once for SQLite and PostgreSQL, with
``?`` placeholders; the few places where the two differ are marked "Dialect".
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .database import Connection
from .postgres_database import CHANGES_CHANNEL, PostgresConnection

Conn = Connection


@dataclass(frozen=True)
class User:
    id: int
    name: str
    password_hash: str
    is_admin: bool
    link_generation: int
    created_at: float
    disabled_at: float | None


@dataclass(frozen=True)
class ApiToken:
    id: int
    user_id: int
    name: str
    created_at: float


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
    note: str | None
    revoked: bool

    def is_live_for(self, generation: int) -> bool:
        """Whether a link of this share, issued under ``generation``, may still be used."""
        return not self.revoked and self.note is not None and self.owner_generation == generation


async def _one(conn: Conn, sql: str, params: Sequence[Any] = ()) -> Any:
    rows = await conn.execute_fetchall(sql, params)
    return next(iter(rows), None)


def _on_postgres(conn: Conn) -> bool:
    return isinstance(conn, PostgresConnection)


# Users -------------------------------------------------------------------------------------

_USER_COLUMNS = "id, name, password_hash, is_admin, link_generation, created_at, disabled_at"
_JOINED_USER_COLUMNS = ", ".join(f"u.{c.strip()}" for c in _USER_COLUMNS.split(","))


def _user(row: Any) -> User:
    return User(row[0], row[1], row[2], bool(row[3]), row[4], row[5], row[6])


async def count_users(conn: Conn) -> int:
    return int((await _one(conn, "SELECT count(*) FROM users"))[0])


async def insert_user(
    conn: Conn, name: str, password_hash: str, *, is_admin: bool, now: float, only_if_first: bool
) -> int | None:
    """Add a user; None if the name is taken (or, with only_if_first, if any user exists)."""
    guard = "WHERE NOT EXISTS (SELECT 1 FROM users)" if only_if_first else ""
    if only_if_first and _on_postgres(conn):
        # Dialect: under READ COMMITTED two first users could each see no user yet; this
        # lock lets them in one at a time, and the second then sees the first. SQLite's
        # BEGIN IMMEDIATE has already done the same.
        await conn.execute("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE")
    # No conflict target: the unique name is a column constraint in SQLite and an index on
    # lower(name) in PostgreSQL. The casts tell PostgreSQL what the SELECT's values are.
    row = await _one(
        conn,
        f"""INSERT INTO users(name, password_hash, is_admin, created_at)
            SELECT ?, ?, CAST(? AS INTEGER), CAST(? AS DOUBLE PRECISION) {guard}
            ON CONFLICT DO NOTHING RETURNING id""",
        (name, password_hash, int(is_admin), now),
    )
    return None if row is None else int(row[0])


async def user_by_name(conn: Conn, name: str) -> User | None:
    """The user of this name, whatever its case."""
    # Dialect: in SQLite the column itself compares without case (COLLATE NOCASE); in
    # PostgreSQL the unique index is on lower(name), and this is how a query uses it.
    same_name = "lower(name) = lower(?)" if _on_postgres(conn) else "name = ?"
    row = await _one(conn, f"SELECT {_USER_COLUMNS} FROM users WHERE {same_name}", (name,))  # noqa: S608
    return None if row is None else _user(row)


async def user_by_id(conn: Conn, user_id: int) -> User | None:
    row = await _one(conn, f"SELECT {_USER_COLUMNS} FROM users WHERE id = ?", (user_id,))  # noqa: S608
    return None if row is None else _user(row)


async def list_users(conn: Conn) -> list[User]:
    rows = await conn.execute_fetchall(f"SELECT {_USER_COLUMNS} FROM users ORDER BY lower(name)")  # noqa: S608
    return [_user(row) for row in rows]


async def set_password_hash(conn: Conn, user_id: int, password_hash: str) -> None:
    await conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id))


async def set_disabled(conn: Conn, user_id: int, *, disabled_at: float | None) -> None:
    await conn.execute("UPDATE users SET disabled_at = ? WHERE id = ?", (disabled_at, user_id))


async def change_counters(conn: Conn, user_ids: Sequence[int]) -> dict[int, int]:
    """Each user's change counter, which goes up whenever any of their shares changes."""
    if not user_ids:
        return {}
    marks = ",".join("?" * len(user_ids))
    rows = await conn.execute_fetchall(
        f"SELECT id, changes FROM users WHERE id IN ({marks})",  # noqa: S608
        list(user_ids),
    )
    return {user_id: changes for user_id, changes in rows}


async def bump_link_generation(conn: Conn, user_id: int) -> None:
    await conn.execute(
        "UPDATE users SET link_generation = link_generation + 1 WHERE id = ?", (user_id,)
    )


# Sessions ----------------------------------------------------------------------------------


async def insert_session(
    conn: Conn, id_hash: bytes, user_id: int, *, now: float, expires_at: float
) -> None:
    await conn.execute(
        "INSERT INTO sessions(id_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
        (id_hash, user_id, now, expires_at),
    )


async def session_user(conn: Conn, id_hash: bytes, *, now: float) -> User | None:
    row = await _one(
        conn,
        f"""SELECT {_JOINED_USER_COLUMNS} FROM sessions s JOIN users u ON u.id = s.user_id
            WHERE s.id_hash = ? AND s.expires_at > ? AND u.disabled_at IS NULL""",  # noqa: S608
        (id_hash, now),
    )
    return None if row is None else _user(row)


async def delete_session(conn: Conn, id_hash: bytes) -> None:
    await conn.execute("DELETE FROM sessions WHERE id_hash = ?", (id_hash,))


async def delete_user_sessions(conn: Conn, user_id: int) -> None:
    await conn.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))


async def delete_expired_sessions(conn: Conn, *, now: float) -> None:
    await conn.execute("DELETE FROM sessions WHERE expires_at <= ?", (now,))


# API tokens --------------------------------------------------------------------------------


async def insert_api_token(
    conn: Conn, user_id: int, name: str, token_hash: bytes, *, now: float
) -> int:
    row = await _one(
        conn,
        """INSERT INTO api_tokens(user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?)
           RETURNING id""",
        (user_id, name, token_hash, now),
    )
    return int(row[0])


async def api_tokens_of(conn: Conn, user_id: int) -> list[ApiToken]:
    """The user's API tokens, newest first."""
    rows = await conn.execute_fetchall(
        """SELECT id, user_id, name, created_at FROM api_tokens
           WHERE user_id = ? ORDER BY id DESC""",
        (user_id,),
    )
    return [ApiToken(row[0], row[1], row[2], row[3]) for row in rows]


async def api_token_user(conn: Conn, token_hash: bytes) -> User | None:
    row = await _one(
        conn,
        f"""SELECT {_JOINED_USER_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id
            WHERE t.token_hash = ? AND u.disabled_at IS NULL""",  # noqa: S608
        (token_hash,),
    )
    return None if row is None else _user(row)


async def delete_user_api_tokens(conn: Conn, user_id: int) -> None:
    await conn.execute("DELETE FROM api_tokens WHERE user_id = ?", (user_id,))


async def delete_api_token(conn: Conn, user_id: int, token_id: int) -> bool:
    """False if there is no such token of this user."""
    cursor = await conn.execute(
        "DELETE FROM api_tokens WHERE id = ? AND user_id = ?", (token_id, user_id)
    )
    return cursor.rowcount == 1


# Shares ------------------------------------------------------------------------------------

_SHARE_COLUMNS = """seq, id, owner_id, label, default_ttl, created_at, expires_at, links_issued,
    links_used, links_revoked, revoked_at, note IS NULL"""


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
    )


async def insert_share(
    conn: Conn, share_id: str, owner_id: int, *, label: str, note: str, ttl: int, now: float
) -> None:
    await conn.execute(
        """INSERT INTO shares(id, owner_id, label, note, default_ttl, created_at, expires_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)""",
        (share_id, owner_id, label, note, ttl, now, now),
    )


async def record_issued_links(conn: Conn, share_id: str, count: int, expires_at: float) -> bool:
    """Count newly issued links; False if the share can no longer take links."""
    cursor = await conn.execute(
        """UPDATE shares SET links_issued = links_issued + ?,
               expires_at = CASE WHEN expires_at > ? THEN expires_at ELSE ? END
           WHERE id = ? AND note IS NOT NULL AND revoked_at IS NULL""",
        (count, expires_at, expires_at, share_id),
    )
    return cursor.rowcount == 1


async def share_of(conn: Conn, owner_id: int, share_id: str, *, lock: bool = False) -> Share | None:
    """The owner's share. With ``lock``, inside a transaction, the share's row is held as a
    redemption holds it (see ``link_target``): a transaction that will enter a link in the
    ledger and then count it must take the row first, as a redemption does, or the two wait
    for each other (the ledger entry, the row) until PostgreSQL ends one as a deadlock."""
    locking = " FOR NO KEY UPDATE" if lock and _on_postgres(conn) else ""  # Dialect, as there
    row = await _one(
        conn,
        f"SELECT {_SHARE_COLUMNS} FROM shares WHERE id = ? AND owner_id = ?{locking}",  # noqa: S608
        (share_id, owner_id),
    )
    return None if row is None else _share(row)


async def shares_page(
    conn: Conn, owner_id: int, *, limit: int, before: int | None = None
) -> list[Share]:
    """The owner's shares, newest first; ``before`` is the ``seq`` of the last one seen."""
    rows = await conn.execute_fetchall(
        f"""SELECT {_SHARE_COLUMNS} FROM shares
            WHERE owner_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?""",  # noqa: S608
        (owner_id, before if before is not None else 2**63 - 1, limit),
    )
    return [_share(row) for row in rows]


async def uses_of(conn: Conn, share_ids: Iterable[str]) -> dict[str, list[float]]:
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


async def revoke_share(conn: Conn, owner_id: int, share_id: str, *, now: float) -> bool:
    """Mark the share revoked and erase its note, and the copies kept for re-viewing;
    False if it is not the owner's."""
    cursor = await conn.execute(
        """UPDATE shares SET revoked_at = coalesce(revoked_at, ?), note = NULL
           WHERE id = ? AND owner_id = ?""",
        (now, share_id, owner_id),
    )
    if cursor.rowcount != 1:
        return False
    await conn.execute(
        "DELETE FROM reveals WHERE jti IN (SELECT jti FROM redemptions WHERE share_id = ?)",
        (share_id,),
    )
    return True


async def revoke_unspent_links(conn: Conn, owner_id: int) -> None:
    """Count every unused link of the owner's shares as revoked and erase their notes."""
    await conn.execute(
        """UPDATE shares SET links_revoked = links_issued - links_used, note = NULL
           WHERE owner_id = ? AND links_used + links_revoked < links_issued""",
        (owner_id,),
    )


async def erase_spent_notes(conn: Conn, *, now: float) -> list[int]:
    """Erase notes no link can reach any more: all links used or revoked, or all expired.
    Returns the owner of each share whose note was erased."""
    rows = await conn.execute_fetchall(
        """UPDATE shares SET note = NULL
           WHERE note IS NOT NULL
             AND (expires_at < ? OR links_used + links_revoked >= links_issued)
             AND links_issued > 0
           RETURNING owner_id""",
        (now,),
    )
    return [int(row[0]) for row in rows]


# The ledger --------------------------------------------------------------------------------


_LINK_TARGET = """SELECT s.id, u.id, u.name, u.link_generation, s.note, s.revoked_at IS NOT NULL
    FROM shares s JOIN users u ON u.id = s.owner_id WHERE s.id = ?"""
_LEDGER_ENTRY = "SELECT share_id, used_at, revoked FROM redemptions WHERE jti = ?"
_CLAIM = """INSERT INTO redemptions(jti, share_id, used_at, revoked) VALUES (?, ?, ?, ?)
    ON CONFLICT(jti) DO NOTHING RETURNING jti"""
_COUNT = """UPDATE shares SET {column} = {column} + 1,
        note = CASE WHEN links_used + links_revoked + 1 >= links_issued THEN NULL ELSE note END
    WHERE id = ?"""
_COUNT_USED = _COUNT.format(column="links_used")
_COUNT_REVOKED = _COUNT.format(column="links_revoked")


def _link_target(row: Any) -> LinkTarget | None:
    if row is None:
        return None
    return LinkTarget(row[0], row[1], row[2], row[3], row[4], bool(row[5]))


def _ledger_entry(row: Any) -> LedgerEntry | None:
    return None if row is None else LedgerEntry(row[0], row[1], bool(row[2]))


async def link_target(conn: Conn, share_id: str, *, lock: bool = False) -> LinkTarget | None:
    """The share and its owner. With ``lock``, inside a transaction: until it ends, nobody
    can revoke the share nor bump the owner's generation, so what was read stays true."""
    # Dialect: SQLite's BEGIN IMMEDIATE already holds the whole database against writers.
    # PostgreSQL's READ COMMITTED would let a revocation commit between this read and the
    # claim; a revocation waiting on these row locks, or one that got there first, reads
    # here as revoked. The share's lock is the one its use count needs anyway, so racing
    # redemptions of one share queue on it instead of deadlocking on an upgrade.
    locking = " FOR NO KEY UPDATE OF s FOR SHARE OF u" if lock and _on_postgres(conn) else ""
    return _link_target(await _one(conn, _LINK_TARGET + locking, (share_id,)))


async def ledger_entry(conn: Conn, jti: str) -> LedgerEntry | None:
    return _ledger_entry(await _one(conn, _LEDGER_ENTRY, (jti,)))


async def claim(conn: Conn, jti: str, share_id: str, *, now: float, revoke: bool) -> bool:
    """Enter a jti in the ledger. True for exactly one caller per jti, ever (until pruned)."""
    return await _one(conn, _CLAIM, (jti, share_id, now, int(revoke))) is not None


async def count_use(conn: Conn, share_id: str, *, revoked: bool) -> None:
    """Count a claimed link and erase the note once no link of the share is left."""
    await conn.execute(_COUNT_REVOKED if revoked else _COUNT_USED, (share_id,))


@dataclass(frozen=True)
class Redemption:
    """The ledger's verdict on one claim: the share's owner and note for the one winner,
    or the ledger row that says why not (None: the share is gone or revoked)."""

    granted: bool
    owner_name: str = ""
    note: str | None = None
    used_at: float = 0.0
    entry: LedgerEntry | None = None
    seal_key: bytes | None = None  # set when a sealed copy was kept for re-viewing


def redeem_sync(
    conn: sqlite3.Connection, jti: str, share_id: str, generation: int, *, now: float
) -> Redemption:
    """Claim one link inside the caller's write transaction (the group-commit writer's thread).

    Nothing is written unless the share is live for this link's generation; then the
    INSERT's RETURNING says whether this caller is the one winner."""
    target = _link_target(conn.execute(_LINK_TARGET, (share_id,)).fetchone())
    if (
        target is None
        or not target.is_live_for(generation)
        or conn.execute(_CLAIM, (jti, share_id, now, 0)).fetchone() is None
    ):
        return Redemption(
            False, entry=_ledger_entry(conn.execute(_LEDGER_ENTRY, (jti,)).fetchone())
        )
    conn.execute(_COUNT_USED, (share_id,))
    return Redemption(True, owner_name=target.owner_name, note=target.note, used_at=now)


async def announce_change(conn: Conn, user_id: int) -> None:
    """Wake the user's live views, in every process. Call it once the change committed,
    outside the transaction: on PostgreSQL a transaction that notifies holds a database-wide
    lock through its commit, which would queue every redemption's commit behind the last."""
    # Dialect: PostgreSQL's NOTIFY reaches the listeners of every instance. SQLite needs no
    # statement: its triggers count the change in users.changes, which its feed polls.
    if _on_postgres(conn):
        await conn.execute("SELECT pg_notify(?, ?)", (CHANGES_CHANNEL, str(user_id)))


async def prune_ledger(conn: Conn, *, before: float, batch: int) -> int:
    """Delete up to ``batch`` ledger rows used before ``before``; returns how many."""
    cursor = await conn.execute(
        """DELETE FROM redemptions WHERE jti IN (
               SELECT jti FROM redemptions WHERE used_at < ? ORDER BY used_at LIMIT ?)""",
        (before, batch),
    )
    return cursor.rowcount


async def ledger_size(conn: Conn) -> int:
    return int((await _one(conn, "SELECT count(*) FROM redemptions"))[0])


# Re-viewing a redeemed note ----------------------------------------------------------------


@dataclass(frozen=True)
class Reveal:
    sealed_note: bytes
    reveal_until: float


_INSERT_REVEAL = "INSERT INTO reveals(jti, sealed_note, reveal_until) VALUES (?, ?, ?)"


def insert_reveal_sync(
    conn: sqlite3.Connection, jti: str, sealed_note: bytes, *, until: float
) -> None:
    conn.execute(_INSERT_REVEAL, (jti, sealed_note, until))


async def insert_reveal(conn: Conn, jti: str, sealed_note: bytes, *, until: float) -> None:
    await conn.execute(_INSERT_REVEAL, (jti, sealed_note, until))


async def reveal_of(conn: Conn, jti: str, *, now: float) -> Reveal | None:
    row = await _one(
        conn,
        "SELECT sealed_note, reveal_until FROM reveals WHERE jti = ? AND reveal_until > ?",
        (jti, now),
    )
    return None if row is None else Reveal(bytes(row[0]), row[1])


async def delete_expired_reveals(conn: Conn, *, now: float) -> int:
    cursor = await conn.execute("DELETE FROM reveals WHERE reveal_until <= ?", (now,))
    return cursor.rowcount
