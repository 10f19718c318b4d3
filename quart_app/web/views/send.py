"""What the person asked for a secret sees at ``/send/<token>``: an inert page on GET/HEAD,
and the answer sent, once, on POST (the form field ``note``, or JSON ``{"note": ...}``);
HTML or JSON, with the statuses and headers of a link's answers."""

from __future__ import annotations

import json
from typing import Any

from quart import Blueprint, Response

from ...clock import iso_utc
from ...links.states import LinkState
from ...paths import REQUEST_PATH
from ...secret_requests.answering import RequestView, answer_request, inspect_request
from ...share_requests import note_too_large
from ..addresses import current_visitor
from ..context import current_services
from ..limits import limit_redemptions
from ..link_answers import ERRORS, STATUS
from ..rendering import html, wants_json
from ..rereading import text_sent

bp = Blueprint("send", __name__)

SENT_STATUS = 201


# <path:...> so that any garbage under /send/ still gets this page and its headers.
@bp.route(f"{REQUEST_PATH}<path:token>", methods=["GET", "HEAD"])
async def preview(token: str) -> Response:
    view = await inspect_request(current_services(), token, current_visitor())
    return await _answer(view)


@bp.post(f"{REQUEST_PATH}<path:token>")
async def send(token: str) -> Response:
    await limit_redemptions()
    answer = await text_sent("note")
    view = await answer_request(current_services(), token, answer, current_visitor())
    return await _answer(view, answer)


def status_of(view: RequestView, answer: str | None = None) -> int:
    if view.state is LinkState.SENT:
        return SENT_STATUS
    if view.problem is not None:
        return 413 if answer is not None and note_too_large(answer) else 422
    return STATUS[view.state]


def as_json(view: RequestView) -> dict[str, Any]:
    if view.problem is not None:
        return {"state": "ready", "error": view.problem}
    if view.state is LinkState.READY:
        assert view.expires_at is not None
        return {
            "state": "ready",
            "requested_by": view.requested_by,
            "label": view.label,
            "instructions": view.instructions or None,
            "expires_at": iso_utc(view.expires_at),
        }
    if view.state is LinkState.SENT:
        return {"state": "sent"}
    return {"state": view.state.value, "error": ERRORS[view.state]}


async def _answer(view: RequestView, answer: str | None = None) -> Response:
    status = status_of(view, answer)
    if wants_json():
        body = json.dumps(as_json(view), ensure_ascii=False)
        response = Response(body, status, mimetype="application/json")
    else:
        # A refused answer comes back in the box as it was typed, to be fixed and sent again.
        typed = answer if view.problem is not None else None
        error = ERRORS.get(view.state)
        response = await html("send.html", status, view=view, error=error, typed=typed)
    # no-store, no-referrer and noindex come from security.security_headers, as on every page.
    response.vary.add("Accept")
    return response
