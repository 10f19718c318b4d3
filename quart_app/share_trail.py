"""A share's links one by one, and what happened to each: its owner's share page, its
exports, and the API. Nothing is stored per link when it is issued; a link's state is read
from its events, which outlive the note and the ledger."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from . import shares
from .clock import iso_utc
from .services import Services
from .shares import ShareStatus
from .storage.queries import events
from .storage.queries import shares as share_queries
from .storage.queries.events import NO_LINK, Event, EventKind
from .storage.queries.shares import Share
from .storage.queries.users import User

LinkStateName = Literal["ready", "used", "expired", "revoked", "locked"]
# What a link's own events make of it, strongest first: used beats locked beats revoked.
_DECIDING: tuple[tuple[EventKind, LinkStateName], ...] = (
    (EventKind.GRANTED, "used"),
    (EventKind.LOCKED, "locked"),
    (EventKind.REVOKED, "revoked"),
)


@dataclass(frozen=True)
class LinkRow:
    number: int
    recipient: str | None
    state: LinkStateName
    used_at: float | None
    views: int
    events: list[Event]  # oldest first


@dataclass(frozen=True)
class ShareTrail:
    status: ShareStatus
    recipients: list[str]
    links: list[LinkRow]  # every numbered link, the first first
    # Events of the whole share (a revocation), or of links issued before links had numbers.
    share_events: list[Event]

    def recipient_of(self, link: int) -> str | None:
        return recipient_of(self.recipients, link)


def recipient_of(names: Sequence[str], link: int) -> str | None:
    return names[link - 1] if 1 <= link <= len(names) else None


# The fields of an event as the API and the exports give it, in this order.
RECORD_FIELDS = ("link", "recipient", "kind", "at", "count", "address", "user_agent", "bot")


def event_record(event: Event, names: Sequence[str]) -> dict[str, Any]:
    """An event as its share's owner gets it: ``link`` is null for the whole share (or a
    link issued before links had numbers); ``bot`` says a previewer or scanner sent it."""
    return {
        "link": None if event.link == NO_LINK else event.link,
        "recipient": recipient_of(names, event.link),
        "kind": event.kind.value,
        "at": iso_utc(event.at),
        "count": event.count,
        "address": event.address,
        "user_agent": event.user_agent,
        "bot": bool(event.bot),
    }


async def share_trail(services: Services, owner: User, share_id: str) -> ShareTrail | None:
    """The share's links and their events; None if the share is not the owner's."""
    await services.audit.flush()  # what this process saw is shown, not a second later
    status = await shares.share_status(services, owner, share_id)
    if status is None:
        return None
    conn = services.db.reader
    names = await share_queries.recipients_of(conn, share_id)
    by_link: dict[int, list[Event]] = {}
    for event in await events.events_of(conn, share_id):
        by_link.setdefault(event.link, []).append(event)
    whole_share = by_link.pop(NO_LINK, [])
    share_revoked = any(event.kind is EventKind.REVOKED for event in whole_share)
    share = status.share
    rows = [
        _row(number, recipient_of(names, number), by_link.get(number, []), status, share_revoked)
        for number in range(1, share.links_issued - share.unnumbered_links + 1)
    ]
    return ShareTrail(status, names, rows, whole_share)


def _row(
    number: int,
    recipient: str | None,
    link_events: list[Event],
    status: ShareStatus,
    share_revoked: bool,
) -> LinkRow:
    kinds = {event.kind for event in link_events}
    state: LinkStateName | None = next((name for kind, name in _DECIDING if kind in kinds), None)
    if state is None and (share_revoked or status.share.revoked_at is not None):
        state = "revoked"
    elif state is None:
        state = "expired" if status.expired or status.share.note_erased else "ready"
    used_at = next((e.at for e in link_events if e.kind is EventKind.GRANTED), None)
    views = sum(e.count for e in link_events if e.kind is EventKind.VIEWED)
    return LinkRow(number, recipient, state, used_at, views, link_events)


@dataclass(frozen=True)
class EventsPage:
    share: Share
    events: list[Event]
    recipients: list[str]
    more: bool  # whether events follow the last of these


async def events_page(
    services: Services, owner: User, share_id: str, *, after: int, limit: int
) -> EventsPage | None:
    """Up to ``limit`` of the share's events after the event ``after``, oldest first; None
    if the share is not the owner's."""
    status = await shares.share_status(services, owner, share_id)
    if status is None:
        return None
    await services.audit.flush()
    conn = services.db.reader
    found = await events.events_of(conn, share_id, after=after, limit=limit + 1)
    names = await share_queries.recipients_of(conn, share_id)
    return EventsPage(status.share, found[:limit], names, len(found) > limit)
