"""The other side of a request: the person asked, at ``/send/<token>``. Looking at the link
changes nothing; sending an answer uses it, exactly once.

The answer is written by the redeemer (SQLite's group commit, PostgreSQL's transaction per
claim) as links are redeemed: one write step whose conditional UPDATE of the request's row
picks the one winner, with the event in the audit trail in the same transaction. An answer
that must be sealed is sealed before, so the step only writes.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import audit
from ..audit import Visitor
from ..links.states import LinkState, request_verdict
from ..links.tokens import RequestClaims
from ..note_keys import SealedNote
from ..services import Services
from ..storage.base import Connection
from ..storage.queries import requests
from ..storage.queries.events import EventKind
from ..storage.queries.requests import RequestTarget
from . import sealing
from .asking import answer_problem

UNREADABLE = 'Send your answer as the form field "note", or as JSON: {"note": "..."}.'


@dataclass(frozen=True)
class RequestView:
    """What the person asked sees: READY, SENT (by this request), or why the link is dead:
    USED (answered), EXPIRED, REVOKED or INVALID."""

    state: LinkState
    requested_by: str | None = None
    label: str | None = None
    instructions: str | None = None
    expires_at: float | None = None
    sealed: bool = False  # the answer will be sealed with a passphrase only the owner has
    problem: str | None = None  # set on a ready view whose answer was not sent: why not


@dataclass(frozen=True)
class Verdict:
    state: LinkState  # SENT for the one winner; else USED or REVOKED
    owner_id: int = 0
    owner_name: str = ""


@dataclass(frozen=True)
class AnswerStep:
    """One answer to a request, as its redeemer's write step."""

    claims: RequestClaims
    answer: SealedNote  # encrypted at rest, and sealed within where the request asks for that
    visitor: Visitor

    async def __call__(self, conn: Connection, now: float) -> Verdict:
        request_id = self.claims.request_id
        target = await requests.request_target(conn, request_id, lock=True)
        closed = _closed_state(target)
        if closed is not None:
            return Verdict(closed)
        assert target is not None
        text, key = self.answer.text, self.answer.wrapped_key
        if not await requests.record_answer(conn, request_id, text, key, now=now):
            return Verdict(LinkState.USED)
        await audit.record(conn, self.visitor.request_event(request_id, EventKind.ANSWERED, now))
        return Verdict(LinkState.SENT, target.owner_id, target.owner_name)


def _closed_state(target: RequestTarget | None) -> LinkState | None:
    """Why the request cannot be answered, if it cannot: answered beats revoked. A request
    that is not there (its owner's account was deleted) has no link that is valid."""
    if target is None:
        return LinkState.INVALID
    if target.answered:
        return LinkState.USED
    return LinkState.REVOKED if target.revoked else None


async def inspect_request(services: Services, token: str, visitor: Visitor) -> RequestView:
    """What the link's page shows, without changing it; the visit goes into the audit
    trail, after the answer."""
    found = await _open_request(services, token, visitor)
    if isinstance(found, RequestView):
        return found
    claims, target = found
    now = services.clock()
    services.audit.add(visitor.request_event(claims.request_id, EventKind.VIEWED, now))
    return _ready(target, claims)


async def _open_request(
    services: Services, token: str, visitor: Visitor
) -> tuple[RequestClaims, RequestTarget] | RequestView:
    """The token's claims and the request they name, if it may still be answered; else
    the view of why not (the database is not asked when the signature settles it)."""
    claims = request_verdict(services.signer, token)
    if isinstance(claims, LinkState):
        return RequestView(claims)
    target = await requests.request_target(services.db.reader, claims.request_id)
    closed = _closed_state(target)
    if closed is not None:
        return _refused(services, claims, closed, visitor)
    assert target is not None
    return claims, target


def _ready(target: RequestTarget, claims: RequestClaims, problem: str | None = None) -> RequestView:
    return RequestView(
        LinkState.READY,
        requested_by=target.owner_name,
        label=target.label,
        instructions=target.instructions,
        expires_at=claims.expires_at,
        sealed=target.sealing_key is not None,
        problem=problem,
    )


async def answer_request(
    services: Services, token: str, answer: str | None, visitor: Visitor
) -> RequestView:
    """Send the answer: exactly one caller per request ever gets SENT. An answer that
    cannot be sent (None: none could be read from the request) leaves the request ready,
    and the view says why."""
    found = await _open_request(services, token, visitor)
    if isinstance(found, RequestView):
        return found
    claims, target = found
    problem = UNREADABLE if answer is None else answer_problem(answer)
    if problem is not None:
        return _ready(target, claims, problem)
    assert answer is not None
    request_id = claims.request_id
    if target.sealing_key is not None:
        answer = sealing.seal(answer, target.sealing_key, request_id)
    stored = services.note_keys.seal(answer, sealing.at_rest_context(request_id))
    verdict = await services.redeemer.redeem(AnswerStep(claims, stored, visitor))
    if verdict.state is not LinkState.SENT:
        return _refused(services, claims, verdict.state, visitor)
    await services.db.announce_change(verdict.owner_id)
    return RequestView(LinkState.SENT, requested_by=verdict.owner_name)


def _refused(
    services: Services, claims: RequestClaims, state: LinkState, visitor: Visitor
) -> RequestView:
    """An answered or revoked request's link, tried again: the audit trail notes it (the
    link may have leaked)."""
    if state is LinkState.USED or state is LinkState.REVOKED:
        event = visitor.request_event(claims.request_id, EventKind.REFUSED, services.clock())
        services.audit.add(event)
    return RequestView(state)
