"""Requests as their owner sees them: each one's state, a page of them, one of them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .. import shares
from ..services import Services
from ..storage.queries import events, requests
from ..storage.queries.events import Event
from ..storage.queries.requests import SecretRequest
from ..storage.queries.users import User

RequestStateName = Literal["waiting", "answered", "read", "expired", "revoked"]


def could_be_request_id(text: str) -> bool:
    """Request ids are made as share ids are (``shares.new_share_id``)."""
    return shares.could_be_share_id(text)


@dataclass(frozen=True)
class RequestStatus:
    request: SecretRequest
    now: float
    refused: bool = False  # its link was tried after it was answered or revoked

    @property
    def state(self) -> RequestStateName:
        """``read`` beats ``revoked`` (an unread answer erased) beats ``answered``; a request
        nobody answered in time is ``expired``, one that may still be answered ``waiting``."""
        request = self.request
        if request.read_at is not None:
            return "read"
        if request.revoked_at is not None:
            return "revoked"
        if request.answered_at is not None:
            return "answered"
        return "expired" if self.expired else "waiting"

    @property
    def expired(self) -> bool:
        return self.request.expires_at <= self.now


async def list_requests(
    services: Services, owner: User, *, limit: int, before: int | None = None
) -> list[RequestStatus]:
    """The owner's requests, newest first; ``before``: the ``seq`` of the last one seen."""
    await services.audit.flush()  # the refusals this process saw are shown at once
    conn = services.db.reader
    page = await requests.requests_page(conn, owner.id, limit=limit, before=before)
    refused = await events.refused_requests(conn, [request.id for request in page])
    now = services.clock()
    return [RequestStatus(request, now, request.id in refused) for request in page]


async def request_status(services: Services, owner: User, request_id: str) -> RequestStatus | None:
    """The owner's request; None if there is no such request of theirs."""
    if not could_be_request_id(request_id):
        return None
    conn = services.db.reader
    request = await requests.request_of(conn, owner.id, request_id)
    if request is None:
        return None
    refused = await events.refused_requests(conn, [request_id])
    return RequestStatus(request, services.clock(), bool(refused))


@dataclass(frozen=True)
class RequestTrail:
    status: RequestStatus
    events: list[Event]  # oldest first


async def request_trail(services: Services, owner: User, request_id: str) -> RequestTrail | None:
    """The owner's request and what happened to it; None if it is not theirs."""
    await services.audit.flush()  # what this process saw is shown, not a second later
    status = await request_status(services, owner, request_id)
    if status is None:
        return None
    found = await events.events_of_request(services.db.reader, request_id)
    return RequestTrail(status, found)
