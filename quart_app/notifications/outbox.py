"""Into the outbox, in the transaction of what a notice reports: a row per destination that
takes its type, or nothing at all when none does. Nothing here waits for anything but the
statement: a claim's step runs it inside SQLite's group commit.

The audit trail is the way in: ``audit.record`` hands every event to ``enqueue_events``, which
turns those ``_OF_EVENT`` names into notices (a grant that used a share's last link is also
``share.exhausted``). Only what is no event goes around it: ``share.expired``, which the sweep
finds when it closes a share, and test events. A new kind of event is told by naming it in
``_OF_EVENT``. Of a request for a secret's events, only its answer is told
(``request.answered``), to the request's owner, with its id and label."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable

from ..storage.base import Connection
from ..storage.queries import outbox, requests
from ..storage.queries.events import FOLD_SECONDS, NO_LINK, EventKind, NewEvent
from ..storage.queries.outbox import NewNotice
from .types import Notice, NoticeType

MESSAGE_PREFIX = "msg_"
_OF_EVENT = {
    EventKind.VIEWED: NoticeType.LINK_VIEWED,
    EventKind.GRANTED: NoticeType.LINK_GRANTED,
    EventKind.REFUSED: NoticeType.LINK_REFUSED,
    EventKind.PASSPHRASE_FAILED: NoticeType.LINK_PASSPHRASE_FAILED,
    EventKind.LOCKED: NoticeType.LINK_LOCKED,
}
# A link is told viewed once, and refused at most once a minute (refusals come in floods);
# neither for link previewers and scanners, which fetch whatever is posted where they look.
_ONCE_PER_SLOT = {EventKind.VIEWED: 0, EventKind.REFUSED: FOLD_SECONDS}


async def enqueue(conn: Connection, notice: Notice, owner_id: int | None = None) -> None:
    """Add the notice for each of the owner's destinations that takes its type, in the
    caller's transaction. ``owner_id`` None: the owner of ``notice.share_id``."""
    await outbox.insert_notice(conn, new_notice(notice), owner_id)


def new_notice(notice: Notice) -> NewNotice:
    return NewNotice(
        message_id=MESSAGE_PREFIX + secrets.token_urlsafe(16),
        type=notice.type.value,
        bit=notice.type.bit,
        at=notice.at,
        share_id=notice.share_id,
        link=notice.link,
        data=json.dumps(dict(notice.data), separators=(",", ":")),
    )


async def enqueue_events(conn: Connection, events: Iterable[NewEvent]) -> None:
    """The notices the audit trail's events call for."""
    for event in events:
        if event.share_id is None:  # an event of a request for a secret
            if event.kind is EventKind.ANSWERED:
                await _enqueue_answered(conn, event)
            continue
        notice_type = _OF_EVENT.get(event.kind)
        if notice_type is None:
            continue
        slot_seconds = _ONCE_PER_SLOT.get(event.kind)
        if slot_seconds is not None and (event.bot or not await _first_in_slot(conn, event)):
            continue
        data = {"address": event.address, "user_agent": event.user_agent}
        link = None if event.link == NO_LINK else event.link
        notice = Notice(notice_type, event.at, event.share_id, link, data)
        if event.kind is EventKind.GRANTED:
            exhausted = Notice(NoticeType.SHARE_EXHAUSTED, event.at, event.share_id)
            await outbox.insert_grant_notices(conn, new_notice(notice), new_notice(exhausted))
        else:
            await enqueue(conn, notice)


async def _enqueue_answered(conn: Connection, event: NewEvent) -> None:
    """``request.answered``, for the request's owner: the request's id and label, and what
    was known of the sender; never the answer."""
    assert event.request_id is not None
    found = await requests.owner_and_label(conn, event.request_id)
    if found is None:
        return
    owner_id, label = found
    data = {
        "request_id": event.request_id,
        "label": label,
        "address": event.address,
        "user_agent": event.user_agent,
    }
    await enqueue(conn, Notice(NoticeType.REQUEST_ANSWERED, event.at, data=data), owner_id)


async def _first_in_slot(conn: Connection, event: NewEvent) -> bool:
    seconds = _ONCE_PER_SLOT[event.kind]
    slot = int(event.at // seconds) if seconds else 0
    notice_type = _OF_EVENT[event.kind]
    assert event.share_id is not None
    return await outbox.mark_once(
        conn, event.share_id, event.link, notice_type.value, slot, bit=notice_type.bit, at=event.at
    )
