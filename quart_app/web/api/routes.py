"""JSON API v1 for scripts and services: create shares, issue and revoke links, read status.

Each view translates between JSON and the service layer in ``shares``; the route table
adds authentication, body parsing and the OpenAPI documentation. Importing this module
registers every operation of the API: those for requests for secrets (``request_routes``)
join the same table."""

from __future__ import annotations

from quart import Response

from ... import share_requests, share_trail, shares
from ...links.states import LinkState
from ...passphrases import DerivationsBusy
from ...storage.queries.shares import Share
from ..context import current_services
from ..limits import busy_deriving
from ..pasted_links import token_in
from . import request_routes  # noqa: F401 - its operations join the same table
from .inputs import EventListQuery, LinkToRevoke, NewLinks, NewShare, ShareListQuery, SharePath
from .openapi import Answer
from .routing import ApiError, answer, api_user
from .schemas import (
    ApiErrorBody,
    CreatedShareBody,
    EventList,
    IssuedLinks,
    ShareDetail,
    ShareList,
    created_share_body,
    event_body,
    link_body,
    share_body,
    share_detail,
)
from .table import bp, routes

# What the app and the documentation take from here: the API with every operation.
__all__ = ["bp", "routes"]
NO_SUCH_SHARE = "You have no share with this id."
# Where an answer's links go next: the tools that read the document follow them, as a
# client would.
REVOKING_ITS_FIRST_LINK = {
    "revoke_first_link": {
        "operationId": "revoke_link",
        "requestBody": {"url": "$response.body#/links/0/url"},
        "description": "The first of these links can be revoked.",
    }
}
GONE = "The share was revoked: this is its final state."
REVOKE_REFUSALS = {
    LinkState.USED: (409, "That link was already used; there is nothing left to revoke."),
    LinkState.EXPIRED: (409, "That link has already expired."),
    LinkState.INVALID: (404, "That is not a link to one of your shares."),
}


def _refuse(problems: dict[str, str], *, too_large: bool = False) -> ApiError:
    if too_large:
        return ApiError(413, "The note is too large: at most 64 KiB of UTF-8.", problems)
    return ApiError(422, "The body is not valid.", problems)


@routes.route(
    "POST",
    "/shares",
    {
        201: Answer(
            "The share and its links; the links are shown only this once.",
            CreatedShareBody,
            REVOKING_ITS_FIRST_LINK,
        ),
        413: Answer("The note is over 64 KiB, or the whole request over 1 MiB.", ApiErrorBody),
    },
    body=NewShare,
)
async def create_share(body: NewShare) -> Response:
    """Create a share

    Stores the note and issues its one-time links: `links` of them, or one for each of
    `recipients`. With a `passphrase`, the links open only with it."""
    services = current_services()
    share_request = _share_request(body, services.settings.default_ttl)
    problems = share_requests.problems_with(share_request, max_ttl=services.settings.max_ttl)
    if problems:
        raise _refuse(problems, too_large=share_requests.note_too_large(body.note))
    try:
        created = await shares.create_share(services, api_user(), share_request)
    except DerivationsBusy:
        raise busy_deriving() from None
    response = answer(created_share_body(created), 201)
    response.headers["Location"] = f"{bp.url_prefix}/shares/{created.share.id}"
    return response


def _share_request(body: NewShare, default_ttl: int) -> share_requests.ShareRequest:
    ttl = default_ttl if body.ttl is None else body.ttl
    label = body.label or ""
    if body.recipients is None:
        return share_requests.ShareRequest(body.note, label, ttl, body.links, None, body.passphrase)
    if "links" in body.model_fields_set:
        raise _refuse({"recipients": "Send either links or recipients, not both."})
    return share_requests.ShareRequest.for_recipients(
        body.note, label, ttl, body.recipients, body.passphrase
    )


@routes.route(
    "GET", "/shares", {200: Answer("A page of your shares.", ShareList)}, query=ShareListQuery
)
async def list_shares(query: ShareListQuery) -> Response:
    """List your shares

    Newest first, a page at a time: pass `next_cursor` as `cursor` for the next page."""
    services, user = current_services(), api_user()
    rows = await shares.list_shares(services, user, limit=query.limit + 1, before=query.cursor)
    page = rows[: query.limit]
    next_cursor = str(page[-1].share.seq) if len(rows) > query.limit else None
    return answer(ShareList(shares=[share_body(row) for row in page], next_cursor=next_cursor))


@routes.route(
    "GET",
    "/shares/<share_id>",
    {200: Answer("The share's status.", ShareDetail), 410: Answer(GONE, ShareDetail)},
    path=SharePath,
)
async def get_share(share_id: str) -> Response:
    """Read a share's status

    Links issued, used and left, when each use happened, and each link with its recipient,
    its state and how often it was looked at. A revoked share is gone: 410, with its final
    state."""
    trail = await share_trail.share_trail(current_services(), api_user(), share_id)
    if trail is None:
        raise ApiError(404, NO_SUCH_SHARE)
    return answer(share_detail(trail.status, trail.links), _status(trail.status.share))


@routes.route(
    "GET",
    "/shares/<share_id>/events",
    {
        200: Answer("A page of the share's events.", EventList),
        410: Answer("The share was revoked: a page of its events.", EventList),
    },
    query=EventListQuery,
    path=SharePath,
)
async def list_events(share_id: str, query: EventListQuery) -> Response:
    """List a share's events

    What happened to each link (viewed, granted, refused, passphrase_failed, locked,
    revoked), oldest first, a page at a time: pass `next_cursor` as `cursor` for the next
    page. Events are kept for ONCELINK_AUDIT_DAYS (90) after the share closes. A revoked
    share's events are answered with 410, as the share is."""
    page = await share_trail.events_page(
        current_services(), api_user(), share_id, after=query.cursor or 0, limit=query.limit
    )
    if page is None:
        raise ApiError(404, NO_SUCH_SHARE)
    bodies = [event_body(share_trail.event_record(e, page.recipients)) for e in page.events]
    next_cursor = str(page.events[-1].id) if page.more else None
    return answer(EventList(events=bodies, next_cursor=next_cursor), _status(page.share))


def _status(share: Share) -> int:
    """A revoked share is gone, and says so: its history is still there to read."""
    return 410 if shares.is_gone(share) else 200


@routes.route(
    "POST",
    "/shares/<share_id>/links",
    {
        201: Answer(
            "The new links; they are shown only this once.", IssuedLinks, REVOKING_ITS_FIRST_LINK
        ),
        409: Answer("The share was revoked, or its note erased.", ApiErrorBody),
    },
    body=NewLinks,
    path=SharePath,
)
async def issue_links(share_id: str, body: NewLinks) -> Response:
    """Issue more links

    More one-time links to a share that is still open."""
    services, user = current_services(), api_user()
    problems = share_requests.link_problems(body.links, body.ttl, max_ttl=services.settings.max_ttl)
    if problems:
        raise _refuse(problems)
    if await shares.share_status(services, user, share_id) is None:
        raise ApiError(404, NO_SUCH_SHARE)
    links = await shares.issue_links(services, user, share_id, body.links, body.ttl)
    if links is None:
        raise ApiError(409, "This share is closed: it was revoked, or its note was erased.")
    return answer(IssuedLinks(links=[link_body(link) for link in links]), 201)


@routes.route(
    "DELETE",
    "/shares/<share_id>",
    {204: Answer("Every link is revoked, the note erased (or they already were).")},
    path=SharePath,
)
async def revoke_share(share_id: str) -> Response:
    """Revoke a share

    Every link of the share stops working and the note is erased. The share's status and
    events stay readable, answered with 410 Gone."""
    if not await shares.revoke_share(current_services(), api_user(), share_id):
        raise ApiError(404, NO_SUCH_SHARE)
    return Response(status=204)


@routes.route(
    "POST",
    "/links/revoke",
    {
        204: Answer("The link is revoked (or already was)."),
        404: Answer("Not a link to one of your shares.", ApiErrorBody),
        409: Answer("The link was already used, or has expired.", ApiErrorBody),
    },
    body=LinkToRevoke,
)
async def revoke_link(body: LinkToRevoke) -> Response:
    """Revoke one link

    The link stops working; the share's other links keep working."""
    state = await shares.revoke_link(current_services(), api_user(), token_in(body.url))
    if state in REVOKE_REFUSALS:
        status, message = REVOKE_REFUSALS[state]
        raise ApiError(status, message, state.value)
    return Response(status=204)
