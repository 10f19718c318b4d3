"""The JSON API's answers as pydantic models: what each answer promises. The OpenAPI
document is generated from these (and from ``inputs``, what a request may carry)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ...clock import iso_utc
from ...share_trail import LinkRow, LinkStateName
from ...shares import CreatedShare, IssuedLink, ShareStatus


class _Answer(BaseModel):
    # Documented as closed objects, so clients and tests can rely on exactly these fields.
    model_config = ConfigDict(extra="forbid")


Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


class Link(_Answer):
    url: str = Field(description="The one-time link; it works once.")
    expires_at: Timestamp
    number: int = Field(description="The link's number within its share, from 1.")
    recipient: str | None = Field(description="Whose link it is; null without names.")


class CreatedShareBody(_Answer):
    """The new share and its links. The links are shown only this once."""

    id: str
    label: str | None
    expires_at: Timestamp = Field(description="When the last of the share's links runs out.")
    links: list[Link]


class IssuedLinks(_Answer):
    """The new links. They are shown only this once."""

    links: list[Link]


class Redemption(_Answer):
    used_at: Timestamp


class ShareBody(_Answer):
    """A share's status: its links issued, used and left, and when each use happened."""

    id: str
    label: str | None
    created_at: Timestamp
    expires_at: Timestamp = Field(description="When the last of the share's links runs out.")
    revoked_at: Timestamp | None
    links_issued: int
    links_used: int
    links_revoked: int = Field(description="Links revoked before anyone used them.")
    links_expired: int = Field(description="Links that ran out before anyone used them.")
    links_left: int = Field(
        description="Links that still work. Used, revoked, expired and left add up to issued."
    )
    redemptions: list[Redemption] = Field(description="Each use of a link, oldest first.")


class LinkStatus(_Answer):
    number: int
    recipient: str | None
    state: LinkStateName = Field(description="Used beats locked beats revoked.")
    used_at: Timestamp | None
    views: int = Field(description="How often its page was looked at, previews included.")


class ShareDetail(ShareBody):
    """A share's status, and each of its links with its recipient and state."""

    links: list[LinkStatus] = Field(description="Each numbered link, the first first.")


EventKindName = Literal["viewed", "granted", "refused", "passphrase_failed", "locked", "revoked"]


class EventBody(_Answer):
    link: int | None = Field(description="The link's number; null for the whole share.")
    recipient: str | None
    kind: EventKindName
    at: Timestamp = Field(description="When it happened (the first, when count > 1).")
    count: int = Field(description="Repeats within a minute, folded into this one.")
    address: str | None = Field(description="As ONCELINK_AUDIT_ADDRESSES keeps it.")
    user_agent: str | None = Field(description="Its first 256 characters.")
    bot: bool = Field(description="Sent by a known link previewer or scanner.")


class EventList(_Answer):
    """A page of a share's events, oldest first."""

    events: list[EventBody]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: none.")


class ShareList(_Answer):
    """One page of your shares, newest first."""

    shares: list[ShareBody]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: none.")


class ApiErrorBody(_Answer):
    """What went wrong: a sentence, and details such as a problem per field."""

    error: str
    detail: str | dict[str, str] | None


def link_body(link: IssuedLink) -> Link:
    return Link(
        url=link.url,
        expires_at=iso_utc(link.expires_at),
        number=link.number,
        recipient=link.recipient,
    )


def created_share_body(created: CreatedShare) -> CreatedShareBody:
    return CreatedShareBody(
        id=created.share.id,
        label=created.share.label or None,
        expires_at=iso_utc(created.share.expires_at),
        links=[link_body(link) for link in created.links],
    )


def share_body(status: ShareStatus) -> ShareBody:
    share = status.share
    return ShareBody(
        id=share.id,
        label=share.label or None,
        created_at=iso_utc(share.created_at),
        expires_at=iso_utc(share.expires_at),
        revoked_at=None if share.revoked_at is None else iso_utc(share.revoked_at),
        links_issued=share.links_issued,
        links_used=share.links_used,
        links_revoked=status.links_revoked,
        links_expired=status.links_expired,
        links_left=status.links_left,
        redemptions=[Redemption(used_at=iso_utc(used_at)) for used_at in status.uses],
    )


def share_detail(status: ShareStatus, links: list[LinkRow]) -> ShareDetail:
    return ShareDetail(
        **share_body(status).model_dump(),
        links=[
            LinkStatus(
                number=row.number,
                recipient=row.recipient,
                state=row.state,
                used_at=None if row.used_at is None else iso_utc(row.used_at),
                views=row.views,
            )
            for row in links
        ],
    )


def event_body(record: dict[str, Any]) -> EventBody:
    return EventBody(**record)
