"""The audit trail: what happened to each link, and to each request for a secret, kept after
the note (or the answer) is gone.

Rows are written by ``audit.record`` only, so that whatever else must happen with an event
(an outbox row for a notification, say) happens in the same transaction, in one place.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ..base import Connection


class EventKind(StrEnum):
    """Every kind of event the audit trail records."""

    VIEWED = "viewed"  # a GET of the link's page
    GRANTED = "granted"  # the link was used: its note shown
    REFUSED = "refused"  # tried after it was used, revoked or locked: a possible leak
    PASSPHRASE_FAILED = "passphrase_failed"  # noqa: S105 - a name, not a secret
    LOCKED = "locked"  # too many wrong passphrases
    REVOKED = "revoked"
    ANSWERED = "answered"  # a request's link was used: its answer sent
    READ = "read"  # a request's answer was read by its owner, and erased


# Kinds that come in floods: repeats of one link within a minute fold into one row.
FOLDING = frozenset({EventKind.VIEWED, EventKind.REFUSED})
FOLD_SECONDS = 60
# The link number of events about a whole share, or about a link without a number.
NO_LINK = 0


@dataclass(frozen=True)
class NewEvent:
    share_id: str | None  # the share of the link it is about; None for a request's event
    link: int  # the link's number within its share, or NO_LINK
    kind: EventKind
    at: float
    address: str | None = None
    user_agent: str | None = None
    bot: str = ""  # the previewer or scanner that sent it; "" for people
    count: int = 1  # several identical events at once, as a buffer folds them
    last_at: float | None = None  # the last of them, when there are several
    request_id: str | None = None  # the request it is about, instead of a share's link


@dataclass(frozen=True)
class Event:
    id: int
    link: int
    kind: EventKind
    at: float
    last_at: float
    count: int
    address: str | None
    user_agent: str | None
    bot: str


_INSERT = """INSERT INTO audit_events(share_id, link, kind, at, last_at, count, address,
    user_agent, bot, fold_minute, request_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""
# Two processes folding into the same minute's row at once: the unique index makes one of
# them add to the other's row. A link's events fold on one index, a request's on another.
_ADD_TO_ROW = """ DO UPDATE
    SET count = audit_events.count + excluded.count,
        last_at = CASE WHEN excluded.last_at > audit_events.last_at
                       THEN excluded.last_at ELSE audit_events.last_at END"""
_FOLD = (
    _INSERT
    + " ON CONFLICT (share_id, kind, link, bot, fold_minute) WHERE fold_minute IS NOT NULL"
    + _ADD_TO_ROW
)
_FOLD_REQUEST = (
    _INSERT
    + """ ON CONFLICT (request_id, kind, bot, fold_minute)
    WHERE request_id IS NOT NULL AND fold_minute IS NOT NULL"""
    + _ADD_TO_ROW
)
_COLUMNS = "id, link, kind, at, last_at, count, address, user_agent, bot"


async def insert_events(conn: Connection, events: Sequence[NewEvent]) -> None:
    """Write the events: one statement for the ones that fold, one for the others."""
    if len(events) == 1:  # the usual case, inside a claim: no batching to set up
        [event] = events
        await conn.execute(_statement(event), _row(event))
        return
    by_statement: dict[str, list[tuple[Any, ...]]] = {}
    for event in events:
        by_statement.setdefault(_statement(event), []).append(_row(event))
    for sql, rows in by_statement.items():
        await conn.execute_many(sql, rows)


def _statement(event: NewEvent) -> str:
    if event.kind not in FOLDING:
        return _INSERT
    return _FOLD if event.request_id is None else _FOLD_REQUEST


def _row(event: NewEvent) -> tuple[Any, ...]:
    folds = event.kind in FOLDING
    return (
        event.share_id,
        event.link,
        event.kind.value,
        event.at,
        event.at if event.last_at is None else event.last_at,
        event.count,
        event.address,
        event.user_agent,
        event.bot,
        int(event.at // FOLD_SECONDS) if folds else None,
        event.request_id,
    )


def _event(row: Any) -> Event:
    return Event(row[0], row[1], EventKind(row[2]), *row[3:9])


async def events_of(
    conn: Connection, share_id: str, *, after: int = 0, limit: int = 1_000_000
) -> list[Event]:
    """The share's events in the order they happened (and were recorded, for events at the
    same time), from after the event ``after``."""
    rows = await conn.execute_fetchall(
        f"""SELECT {_COLUMNS} FROM audit_events
            WHERE share_id = ? AND (at, id) > (
                SELECT coalesce(max(at), 0), coalesce(max(id), 0) FROM audit_events WHERE id = ?)
            ORDER BY at, id LIMIT ?""",  # noqa: S608
        (share_id, after, limit),
    )
    return [_event(row) for row in rows]


async def events_of_request(conn: Connection, request_id: str) -> list[Event]:
    """The request's events in the order they happened."""
    rows = await conn.execute_fetchall(
        f"""SELECT {_COLUMNS} FROM audit_events WHERE request_id = ?
            ORDER BY at, id""",  # noqa: S608
        (request_id,),
    )
    return [_event(row) for row in rows]


async def refused_requests(conn: Connection, request_ids: Iterable[str]) -> set[str]:
    """Which of these requests had their link tried after it was answered or revoked."""
    ids = list(request_ids)
    if not ids:
        return set()
    rows = await conn.execute_fetchall(
        f"""SELECT DISTINCT request_id FROM audit_events
            WHERE request_id IN ({",".join("?" * len(ids))}) AND kind = ?""",  # noqa: S608
        [*ids, EventKind.REFUSED.value],
    )
    return {str(row[0]) for row in rows}


async def alarms_of(
    conn: Connection, share_ids: Iterable[str], kinds: Iterable[EventKind]
) -> dict[str, set[EventKind]]:
    """Which of these kinds of event each share has had."""
    ids, wanted = list(share_ids), [kind.value for kind in kinds]
    found: dict[str, set[EventKind]] = {share_id: set() for share_id in ids}
    if not ids or not wanted:
        return found
    rows = await conn.execute_fetchall(
        f"""SELECT DISTINCT share_id, kind FROM audit_events
            WHERE share_id IN ({",".join("?" * len(ids))})
              AND kind IN ({",".join("?" * len(wanted))})""",  # noqa: S608
        [*ids, *wanted],
    )
    for share_id, kind in rows:
        found[share_id].add(EventKind(kind))
    return found


async def prune_events(conn: Connection, *, before: float, batch: int) -> int:
    """Delete up to ``batch`` events older than ``before`` of shares closed before it."""
    cursor = await conn.execute(
        """DELETE FROM audit_events WHERE id IN (
               SELECT e.id FROM audit_events e JOIN shares s ON s.id = e.share_id
               WHERE e.at < ? AND s.closed_at < ? ORDER BY e.at LIMIT ?)""",
        (before, before, batch),
    )
    return cursor.rowcount


async def prune_request_events(conn: Connection, *, before: float, batch: int) -> int:
    """Delete up to ``batch`` events older than ``before`` of requests closed before it:
    read, revoked, or expired unanswered (an answer nobody read keeps them)."""
    cursor = await conn.execute(
        """DELETE FROM audit_events WHERE id IN (
               SELECT e.id FROM audit_events e JOIN requests r ON r.id = e.request_id
               WHERE e.at < ? AND coalesce(r.read_at, r.revoked_at,
                     CASE WHEN r.answered_at IS NULL THEN r.expires_at END) < ?
               ORDER BY e.at LIMIT ?)""",
        (before, before, batch),
    )
    return cursor.rowcount
