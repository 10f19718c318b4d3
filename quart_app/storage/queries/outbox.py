"""The outbox of notifications: a row per notice and destination, written in the
transaction of what it reports, until it is delivered or given up on; the log of every
attempt; and the marks that let a notice go out once per link (or per link and minute)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..base import Connection, Dialect
from .rows import first_row


@dataclass(frozen=True)
class NewNotice:
    message_id: str  # the webhook-id, the same on every attempt and destination
    type: str
    bit: int  # the type's bit in a destination's ``events``
    at: float
    share_id: str | None
    link: int | None
    data: str  # JSON: the rest of the body's data, as known now


_SUBSCRIBED = "d.confirmed_at IS NOT NULL AND (d.events & ?) <> 0"
_INTO = """INSERT INTO outbox(message_id, destination_id, type, at, share_id, link, data,
                              next_at) """
# The casts type the parameters of a UNION's rows on PostgreSQL (they would be text).
_ROWS = f"""SELECT ?, d.id, ?, CAST(? AS DOUBLE PRECISION), ?, CAST(? AS INTEGER), ?,
        CAST(? AS DOUBLE PRECISION) FROM destinations d
    WHERE d.owner_id = {{owner}} AND {_SUBSCRIBED}"""  # noqa: S608
_OWNER_OF_SHARE = "(SELECT owner_id FROM shares WHERE id = ?)"
_FOR_SHARE_OWNER = _ROWS.format(owner=_OWNER_OF_SHARE)
_SHARE_SPENT = "EXISTS (SELECT 1 FROM shares WHERE id = ? AND links_used >= links_issued)"
_GRANT_NOTICES = f"{_INTO}{_FOR_SHARE_OWNER} UNION ALL {_FOR_SHARE_OWNER} AND {_SHARE_SPENT}"


async def insert_notice(conn: Connection, notice: NewNotice, owner_id: int | None) -> None:
    """One row for each of the owner's destinations that takes this type of notice: one
    statement, that writes nothing when none does. ``owner_id`` None: the share's owner."""
    owner: int | str | None = owner_id if owner_id is not None else notice.share_id
    rows = _ROWS.format(owner="?") if owner_id is not None else _FOR_SHARE_OWNER
    await conn.execute(_INTO + rows, (*_values(notice), owner, notice.bit))


async def insert_grant_notices(conn: Connection, granted: NewNotice, spent: NewNotice) -> None:
    """A grant's notices, in one statement (a claim waits for each): ``granted`` as
    ``insert_notice`` writes it, and ``spent`` too if every link of the share is now used,
    as the caller's transaction sees it after counting the use."""
    share_id = granted.share_id
    await conn.execute(
        _GRANT_NOTICES,
        (*_values(granted), share_id, granted.bit, *_values(spent), share_id, spent.bit, share_id),
    )


def _values(notice: NewNotice) -> tuple[Any, ...]:
    return (
        notice.message_id,
        notice.type,
        notice.at,
        notice.share_id,
        notice.link,
        notice.data,
        notice.at,  # due at once
    )


async def insert_notice_to(
    conn: Connection, notice: NewNotice, owner_id: int, destination_id: str
) -> bool:
    """A notice for one of the owner's destinations, whatever types it takes (a test
    event); False if the owner has no such destination."""
    cursor = await conn.execute(
        """INSERT INTO outbox(message_id, destination_id, type, at, share_id, link, data,
                              next_at)
           SELECT ?, d.id, ?, ?, ?, ?, ?, ? FROM destinations d
           WHERE d.id = ? AND d.owner_id = ?""",
        (*_values(notice), destination_id, owner_id),
    )
    return cursor.rowcount == 1


async def mark_once(
    conn: Connection, share_id: str, link: int, notice_type: str, slot: int, *, bit: int, at: float
) -> bool:
    """True for exactly one caller per share, link, type and slot, ever (until pruned), and
    only when the share's owner takes notices of the type: otherwise nothing is written."""
    row = await first_row(
        conn,
        f"""INSERT INTO notice_marks(share_id, link, type, slot, at)
            SELECT ?, ?, ?, ?, ? WHERE EXISTS (
                SELECT 1 FROM destinations d WHERE d.owner_id = {_OWNER_OF_SHARE}
                AND {_SUBSCRIBED})
            ON CONFLICT DO NOTHING RETURNING link""",  # noqa: S608
        (share_id, link, notice_type, slot, at, share_id, bit),
    )
    return row is not None


@dataclass(frozen=True)
class Due:
    """A notice due for delivery, with what delivering it needs."""

    id: int
    message_id: str
    type: str
    at: float
    share_id: str | None
    link: int | None
    data: str
    attempts: int  # made so far
    destination_id: str
    kind: str
    target: str
    secret: str | None
    label: str | None  # the share's
    recipients: str | None  # the share's, as JSON


_DUE = """SELECT o.id, o.message_id, o.type, o.at, o.share_id, o.link, o.data, o.attempts,
        d.id, d.kind, d.target, d.secret, s.label, s.recipients
    FROM outbox o JOIN destinations d ON d.id = o.destination_id
    LEFT JOIN shares s ON s.id = o.share_id
    WHERE o.failed_at IS NULL AND o.next_at <= ? ORDER BY o.next_at LIMIT ?"""


async def due_notices(conn: Connection, *, now: float, limit: int) -> list[Due]:
    """The notices due by ``now``, the longest waiting first. On PostgreSQL, inside a
    transaction, they stay locked until it ends, and those another transaction holds are
    skipped: instances share the outbox without waiting for each other."""
    # Dialect: SQLite has no row locks; there, one process at a time sends (the caller
    # holds a lock for it).
    locking = " FOR UPDATE OF o SKIP LOCKED" if conn.dialect is Dialect.POSTGRESQL else ""
    rows = await conn.execute_fetchall(_DUE + locking, (now, limit))
    return [Due(*row) for row in rows]


@dataclass(frozen=True)
class Outcome:
    """How one attempt at a delivery went, and what comes next."""

    due: Due
    at: float
    status_code: int | None
    error: str | None  # None: delivered
    next_at: float | None = None  # when to try again; None with an error: given up


async def record_outcomes(conn: Connection, outcomes: Sequence[Outcome]) -> None:
    """Each outcome in the outbox (a delivered notice goes) and in the attempts' log."""
    delivered = [(o.due.id,) for o in outcomes if o.error is None]
    again = [(o.due.attempts + 1, o.next_at, o.due.id) for o in outcomes if o.next_at]
    given_up = [(o.due.attempts + 1, o.at, o.due.id) for o in outcomes if _gave_up(o)]
    statements: list[tuple[str, list[Any]]] = [
        ("DELETE FROM outbox WHERE id = ?", delivered),
        ("UPDATE outbox SET attempts = ?, next_at = ? WHERE id = ?", again),
        ("UPDATE outbox SET attempts = ?, failed_at = ? WHERE id = ?", given_up),
        (
            # A destination deleted meanwhile took its outbox rows along: no log for it.
            """INSERT INTO delivery_attempts(destination_id, message_id, type, at, attempt,
                   status_code, error, gave_up)
               SELECT ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (
                   SELECT 1 FROM destinations WHERE id = ?)""",
            [_log_row(outcome) for outcome in outcomes],
        ),
    ]
    for sql, rows in statements:
        if rows:
            await conn.execute_many(sql, rows)


def _gave_up(outcome: Outcome) -> bool:
    return outcome.error is not None and outcome.next_at is None


def _log_row(o: Outcome) -> tuple[Any, ...]:
    due = o.due
    return (
        due.destination_id,
        due.message_id,
        due.type,
        o.at,
        due.attempts + 1,
        o.status_code,
        o.error,
        int(_gave_up(o)),
        due.destination_id,
    )


@dataclass(frozen=True)
class Attempt:
    message_id: str
    type: str
    at: float
    attempt: int
    status_code: int | None
    error: str | None
    gave_up: bool


async def attempts_of(conn: Connection, destination_id: str, *, limit: int) -> list[Attempt]:
    """The destination's latest attempts, newest first."""
    rows = await conn.execute_fetchall(
        """SELECT message_id, type, at, attempt, status_code, error, gave_up
           FROM delivery_attempts WHERE destination_id = ? ORDER BY id DESC LIMIT ?""",
        (destination_id, limit),
    )
    return [Attempt(row[0], row[1], row[2], row[3], row[4], row[5], bool(row[6])) for row in rows]


_PRUNE = {
    "delivery_attempts": "DELETE FROM delivery_attempts WHERE id IN "
    "(SELECT id FROM delivery_attempts WHERE at < ? ORDER BY at LIMIT ?)",
    "outbox": "DELETE FROM outbox WHERE id IN "
    "(SELECT id FROM outbox WHERE failed_at < ? ORDER BY failed_at LIMIT ?)",
    "notice_marks": "DELETE FROM notice_marks WHERE (share_id, link, type, slot) IN "
    "(SELECT share_id, link, type, slot FROM notice_marks WHERE at < ? ORDER BY at LIMIT ?)",
}


async def prune_log(conn: Connection, *, before: float, batch: int) -> int:
    """Delete up to ``batch`` attempts, and as many notices given up on, from before
    ``before``."""
    pruned = 0
    for table in ("delivery_attempts", "outbox"):
        pruned += (await conn.execute(_PRUNE[table], (before, batch))).rowcount
    return pruned


async def prune_marks(conn: Connection, *, before: float, batch: int) -> int:
    """Delete up to ``batch`` marks made before ``before``: by then their links can no longer
    be viewed or tried."""
    return (await conn.execute(_PRUNE["notice_marks"], (before, batch))).rowcount
