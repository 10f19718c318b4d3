"""The types of notice, the bit each has in a destination's choice of events, and a notice
as the domain hands it to the outbox."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class NoticeType(StrEnum):
    LINK_VIEWED = "link.viewed"  # the first view of a link by a person
    LINK_GRANTED = "link.granted"
    LINK_REFUSED = "link.refused"  # a used, revoked or locked link tried again
    LINK_PASSPHRASE_FAILED = "link.passphrase_failed"  # noqa: S105 - a name, not a secret
    LINK_LOCKED = "link.locked"
    SHARE_EXHAUSTED = "share.exhausted"  # every link used
    SHARE_EXPIRED = "share.expired"  # links ran out unopened; once per share
    REQUEST_ANSWERED = "request.answered"
    TEST = "test"  # sent on request, to one webhook

    @property
    def bit(self) -> int:
        return _BITS[self]


_BITS = {notice_type: 1 << number for number, notice_type in enumerate(NoticeType)}


# What a destination may choose to receive: every type but the test.
CHOSEN_TYPES = tuple(t for t in NoticeType if t is not NoticeType.TEST)
# Each as the pages offer it.
DESCRIPTIONS = {
    NoticeType.LINK_VIEWED: "A link is first viewed (previews by chat apps aside)",
    NoticeType.LINK_GRANTED: "A link is used: its note shown",
    NoticeType.LINK_REFUSED: "A used, revoked or locked link is tried again",
    NoticeType.LINK_PASSPHRASE_FAILED: "A wrong passphrase is tried",
    NoticeType.LINK_LOCKED: "A link locks after too many wrong passphrases",
    NoticeType.SHARE_EXHAUSTED: "Every link of a share has been used",
    NoticeType.SHARE_EXPIRED: "A share's links expire unopened",
    NoticeType.REQUEST_ANSWERED: "A request for a secret is answered",
}


def mask_of(types: Iterable[NoticeType]) -> int:
    mask = 0
    for notice_type in types:
        mask |= notice_type.bit
    return mask


def types_in(mask: int) -> list[NoticeType]:
    return [t for t in CHOSEN_TYPES if mask & t.bit]


@dataclass(frozen=True)
class Notice:
    """Something to tell the owner. A notice about a share names it and, for a link, the
    link's number: the body's ``label`` and ``recipient`` are read from the share when it is
    delivered. ``data`` holds the rest of the body's data (``address``, ``user_agent``;
    ``request_id`` and ``label`` for a request); never a note, token or passphrase."""

    type: NoticeType
    at: float
    share_id: str | None = None
    link: int | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
