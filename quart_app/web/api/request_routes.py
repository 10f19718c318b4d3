"""JSON API v1 for requests for secrets: ask someone for a secret, follow the request, read
its answer once, revoke it. Registered on the API's one route table (``routes``), so the
OpenAPI document describes these operations too."""

from __future__ import annotations

from quart import Response

from ...clock import iso_utc
from ...passphrases import DerivationsBusy
from ...secret_requests import managing, reading, status
from ...secret_requests.asking import Ask, problems_with
from ...secret_requests.reading import Reading
from ..context import current_services
from ..limits import busy_deriving, limit_passphrase_checks
from .openapi import Answer
from .request_schemas import (
    AnswerBody,
    CreatedRequestBody,
    NewRequest,
    ReadRequest,
    RequestBody,
    RequestList,
    RequestListQuery,
    RequestPath,
    created_request_body,
    request_body,
)
from .routing import ApiError, answer, api_user
from .schemas import ApiErrorBody
from .table import bp, routes

NO_SUCH_REQUEST = "You have no request with this id."
NOT_YOURS = Answer(NO_SUCH_REQUEST, ApiErrorBody)
# Why an answer cannot be read: status and message.
READ_REFUSALS = {
    Reading.WAITING: (409, "Nobody has answered this request yet."),
    Reading.GONE: (
        410,
        "There is no answer to read: it was read already or revoked, or nobody answered in time.",
    ),
    Reading.NEEDS_PASSPHRASE: (403, "This answer is sealed: send its passphrase."),
    Reading.WRONG_PASSPHRASE: (403, "Wrong passphrase."),
}


@routes.route(
    "POST",
    "/requests",
    {201: Answer("The request and its link, shown only this once.", CreatedRequestBody)},
    body=NewRequest,
)
async def create_request(body: NewRequest) -> Response:
    """Ask for a secret

    Makes a request and its one-time link (`url`): send it to the person you ask. They open
    it, and send their answer with it once. With a `passphrase`, the answer is sealed so
    that only the passphrase opens it."""
    services = current_services()
    ttl = services.settings.default_ttl if body.ttl is None else body.ttl
    ask = Ask(body.label.strip(), body.instructions or "", ttl, body.passphrase)
    problems = problems_with(ask, max_ttl=services.settings.max_ttl)
    if problems:
        raise ApiError(422, "The body is not valid.", problems)
    try:
        created = await managing.create_request(services, api_user(), ask)
    except DerivationsBusy:
        raise busy_deriving() from None
    assert isinstance(created, managing.CreatedRequest)
    response = answer(created_request_body(created), 201)
    response.headers["Location"] = f"{bp.url_prefix}/requests/{created.request.id}"
    return response


@routes.route(
    "GET",
    "/requests",
    {200: Answer("A page of your requests.", RequestList)},
    query=RequestListQuery,
)
async def list_requests(query: RequestListQuery) -> Response:
    """List your requests

    Newest first, a page at a time: pass `next_cursor` as `cursor` for the next page."""
    services, user = current_services(), api_user()
    rows = await status.list_requests(services, user, limit=query.limit + 1, before=query.cursor)
    page = rows[: query.limit]
    next_cursor = str(page[-1].request.seq) if len(rows) > query.limit else None
    bodies = [request_body(row) for row in page]
    return answer(RequestList(requests=bodies, next_cursor=next_cursor))


@routes.route(
    "GET",
    "/requests/<request_id>",
    {200: Answer("The request's state.", RequestBody), 404: NOT_YOURS},
    path=RequestPath,
)
async def get_request(request_id: str) -> Response:
    """Read a request's state

    Waiting for its answer, answered, read, expired or revoked; when it was answered and
    read."""
    found = await status.request_status(current_services(), api_user(), request_id)
    if found is None:
        raise ApiError(404, NO_SUCH_REQUEST)
    return answer(request_body(found))


@routes.route(
    "POST",
    "/requests/<request_id>/read",
    {
        200: Answer("The answer; it is erased now.", AnswerBody),
        403: Answer(
            "Sent from another site; or the answer is sealed and its passphrase is missing or "
            "wrong (nothing is erased).",
            ApiErrorBody,
        ),
        404: NOT_YOURS,
        409: Answer("Nobody has answered yet.", ApiErrorBody),
        410: Answer(
            "The answer was read already, or revoked; or nobody answered in time.", ApiErrorBody
        ),
    },
    body=ReadRequest,
    body_required=False,
    path=RequestPath,
)
async def read_answer(request_id: str, body: ReadRequest) -> Response:
    """Read the answer

    The answer, once: it is erased as it is shown, and every later call answers 410. An
    answer sealed with a passphrase needs it in the body: `{"passphrase": "..."}`."""
    services = current_services()
    if body.passphrase:
        await limit_passphrase_checks()
    try:
        read = await reading.read_answer(
            services, api_user(), request_id, passphrase=body.passphrase
        )
    except DerivationsBusy:
        raise busy_deriving() from None
    if read is None:
        raise ApiError(404, NO_SUCH_REQUEST)
    if read.reading in READ_REFUSALS:
        status_code, message = READ_REFUSALS[read.reading]
        raise ApiError(status_code, message, read.reading.value)
    assert read.answer is not None
    assert read.answered_at is not None
    return answer(AnswerBody(note=read.answer, answered_at=iso_utc(read.answered_at)))


@routes.route(
    "DELETE",
    "/requests/<request_id>",
    {204: Answer("The request is revoked (or was closed already)."), 404: NOT_YOURS},
    path=RequestPath,
)
async def revoke_request(request_id: str) -> Response:
    """Revoke a request

    Its link stops working, and an answer nobody read yet is erased."""
    if not await managing.revoke_request(current_services(), api_user(), request_id):
        raise ApiError(404, NO_SUCH_REQUEST)
    return Response(status=204)
