"""The audit trail: what happened to each link, kept after the note is gone.

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


# Kinds that come in floods: repeats of one link within a minute fold into one row.
FOLDING = frozenset({EventKind.VIEWED, EventKind.REFUSED})
FOLD_SECONDS = 60
# The link number of events about a whole share, or about a link without a number.
NO_LINK = 0


@dataclass(frozen=True)
class NewEvent:
    share_id: str
    link: int  # the link's number within its share, or NO_LINK
    kind: EventKind
    at: float
    address: str | None = None
    user_agent: str | None = None
    bot: str = ""  # the previewer or scanner that sent it; "" for people
    count: int = 1  # several identical events at once, as a buffer folds them
    last_at: float | None = None  # the last of them, when there are several


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
    user_agent, bot, fold_minute) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""
# Two processes folding into the same minute's row at once: the unique index makes one of
# them add to the other's row.
_FOLD = (
    _INSERT
    + """ ON CONFLICT (share_id, kind, link, bot, fold_minute) WHERE fold_minute IS NOT NULL
    DO UPDATE
    SET count = audit_events.count + excluded.count,
        last_at = CASE WHEN excluded.last_at > audit_events.last_at
                       THEN excluded.last_at ELSE audit_events.last_at END"""
)
_COLUMNS = "id, link, kind, at, last_at, count, address, user_agent, bot"


async def insert_events(conn: Connection, events: Sequence[NewEvent]) -> None:
    """Write the events: one statement for the ones that fold, one for the others."""
    if len(events) == 1:  # the usual case, inside a claim: no batching to set up
        [event] = events
        await conn.execute(_FOLD if event.kind in FOLDING else _INSERT, _row(event))
        return
    folding = [_row(event) for event in events if event.kind in FOLDING]
    others = [_row(event) for event in events if event.kind not in FOLDING]
    for sql, rows in ((_FOLD, folding), (_INSERT, others)):
        if rows:
            await conn.execute_many(sql, rows)


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
