"""What recipients see at ``/connect/<token>``: an inert preview on GET/HEAD, redemption on
POST, HTML or JSON."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response, jsonify

from ..clock import iso_utc
from ..redeem import LinkState, LinkView, inspect_link, redeem_link
from ..security import client_address, enforce_limit
from ..services import current_services
from .rendering import html, wants_json

bp = Blueprint("links", __name__)

STATUS = {
    LinkState.READY: 200,
    LinkState.GRANTED: 200,
    LinkState.USED: 410,
    LinkState.EXPIRED: 410,
    LinkState.REVOKED: 410,
    LinkState.INVALID: 404,
}
ERRORS = {
    LinkState.USED: "This link has already been used",
    LinkState.EXPIRED: "This link has expired",
    LinkState.REVOKED: "This link was revoked",
    LinkState.INVALID: "This link is not valid",
}
LINK_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
}


# <path:...> so that any garbage under /connect/ still gets this page and its headers.
@bp.route("/connect/<path:token>", methods=["GET", "HEAD"])
async def preview(token: str) -> Response:
    return await _answer(await inspect_link(current_services(), token))


@bp.post("/connect/<path:token>")
async def redeem(token: str) -> Response:
    await enforce_limit(lambda limits: limits.redeem_per_address, client_address())
    return await _answer(await redeem_link(current_services(), token))


async def _answer(view: LinkView) -> Response:
    if wants_json():
        response = jsonify(_as_json(view))
        response.status_code = STATUS[view.state]
    else:
        response = await html(
            "link.html", STATUS[view.state], view=view, error=ERRORS.get(view.state)
        )
    response.headers.update(LINK_HEADERS)
    response.vary.add("Accept")
    return response


def _as_json(view: LinkView) -> dict[str, Any]:
    if view.state is LinkState.READY:
        assert view.expires_at is not None
        return {
            "state": "ready",
            "granted_by": view.granted_by,
            "expires_at": iso_utc(view.expires_at),
        }
    if view.state is LinkState.GRANTED:
        assert view.used_at is not None
        return {
            "state": "granted",
            "granted_by": view.granted_by,
            "note": view.note,
            "used_at": iso_utc(view.used_at),
        }
    return {"state": view.state.value, "error": ERRORS[view.state]}
