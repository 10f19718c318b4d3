"""What recipients see at ``/connect/<token>``: an inert preview on GET/HEAD, redemption on
POST, HTML or JSON."""

from __future__ import annotations

import json
from typing import Any, cast

from quart import Blueprint, Response, current_app, render_template, request

from ..clock import iso_utc
from ..redeem import LinkState, LinkView, inspect_link, redeem_link
from ..reveal import REVIEW_SECONDS, cookie_name, view_again
from ..security import client_address, enforce_limit
from ..services import current_services
from ..tokens import LinkClaims
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
CLOSED_PAGES = "oncelink.closed_pages"  # app.extensions key; the door serves from it too
VERIFIED = "oncelink.verified"  # ASGI scope key: (token, claims) that the door checked


# <path:...> so that any garbage under /connect/ still gets this page and its headers.
@bp.route("/connect/<path:token>", methods=["GET", "HEAD"])
async def preview(token: str) -> Response:
    view = await inspect_link(current_services(), token, verified=_verified_at_the_door(token))
    return await _answer(await _or_again(view, token))


@bp.post("/connect/<path:token>")
async def redeem(token: str) -> Response:
    await enforce_limit(lambda limits: limits.redeem_per_address, client_address())
    # Programs get no cookie jar to read the note again with, so nothing is kept for them.
    keep_for = 0 if wants_json() else REVIEW_SECONDS
    verified = _verified_at_the_door(token)
    view = await redeem_link(current_services(), token, keep_for=keep_for, verified=verified)
    response = await _answer(await _or_again(view, token))
    if view.reveal_pass is not None:
        _set_reveal_cookie(response, token, view.reveal_pass)
    return response


def _verified_at_the_door(token: str) -> LinkClaims | None:
    """The claims the door checked for this very token, so it is not verified twice."""
    checked = cast(tuple[str, LinkClaims] | None, request.scope.get(VERIFIED))
    return checked[1] if checked is not None and checked[0] == token else None


async def _or_again(view: LinkView, token: str) -> LinkView:
    """A used link shows its note again to the browser that redeemed it, for a while."""
    services = current_services()
    reveal_pass = request.cookies.get(cookie_name(services.settings.secure_cookies))
    if view.state is not LinkState.USED or not reveal_pass:
        return view
    return await view_again(services, token, reveal_pass) or view


def _set_reveal_cookie(response: Response, token: str, reveal_pass: str) -> None:
    secure = current_services().settings.secure_cookies
    response.set_cookie(
        cookie_name(secure),
        reveal_pass,
        max_age=REVIEW_SECONDS,
        path=f"/connect/{token}",
        secure=secure,
        httponly=True,
        samesite="Strict",
    )


async def _answer(view: LinkView) -> Response:
    if wants_json():
        body = json.dumps(as_json(view), ensure_ascii=False)
        response = Response(body, STATUS[view.state], mimetype="application/json")
    elif view.state in ERRORS:
        response = Response(await _closed_page(view.state), STATUS[view.state])
    else:
        response = await html("link.html", STATUS[view.state], view=view)
    # no-store, no-referrer and noindex come from security.security_headers, as on every page.
    response.vary.add("Accept")
    return response


async def _closed_page(state: LinkState) -> str:
    """The page of a link that cannot be opened. It depends on the state alone, so each is
    rendered once per app: a flood of dead links costs no template work."""
    pages: dict[LinkState, str] = current_app.extensions.setdefault(CLOSED_PAGES, {})
    if state not in pages:
        pages[state] = await render_template("link.html", view=LinkView(state), error=ERRORS[state])
    return pages[state]


def as_json(view: LinkView) -> dict[str, Any]:
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
