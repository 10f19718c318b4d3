"""What recipients see at ``/connect/<token>``: an inert preview on GET/HEAD, redemption on
POST, HTML or JSON."""

from __future__ import annotations

import json
from typing import cast

from quart import Blueprint, Response, current_app, request

from ...links.redemption import inspect_link, redeem_link
from ...links.states import LinkState, LinkView
from ...links.tokens import LinkClaims
from ...paths import LINK_PATH
from ...reveal import REVIEW_SECONDS, view_again
from ..context import current_services
from ..limits import limit_redemptions
from ..link_answers import ERRORS, STATUS, VERIFIED, as_json, dead_link_pages
from ..rendering import html, wants_json

bp = Blueprint("links", __name__)


# <path:...> so that any garbage under /connect/ still gets this page and its headers.
@bp.route(f"{LINK_PATH}<path:token>", methods=["GET", "HEAD"])
async def preview(token: str) -> Response:
    view = await inspect_link(current_services(), token, verified=_verified_at_the_door(token))
    return await _answer(await _or_again(view, token))


@bp.post(f"{LINK_PATH}<path:token>")
async def redeem(token: str) -> Response:
    await limit_redemptions()
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


def _reveal_cookie_name() -> str:
    # The __Secure- prefix makes browsers refuse the cookie unless it is Secure.
    secure = current_services().settings.secure_cookies
    return "__Secure-oncelink_reveal" if secure else "oncelink_reveal"


async def _or_again(view: LinkView, token: str) -> LinkView:
    """A used link shows its note again to the browser that redeemed it, for a while."""
    reveal_pass = request.cookies.get(_reveal_cookie_name())
    if view.state is not LinkState.USED or not reveal_pass:
        return view
    return await view_again(current_services(), token, reveal_pass) or view


def _set_reveal_cookie(response: Response, token: str, reveal_pass: str) -> None:
    response.set_cookie(
        _reveal_cookie_name(),
        reveal_pass,
        max_age=REVIEW_SECONDS,
        path=f"{LINK_PATH}{token}",
        secure=current_services().settings.secure_cookies,
        httponly=True,
        samesite="Strict",
    )


async def _answer(view: LinkView) -> Response:
    if wants_json():
        body = json.dumps(as_json(view), ensure_ascii=False)
        response = Response(body, STATUS[view.state], mimetype="application/json")
    elif view.state in ERRORS:
        page = await dead_link_pages(current_app).page(view.state)
        response = Response(page, STATUS[view.state])
    else:
        response = await html("link.html", STATUS[view.state], view=view)
    # no-store, no-referrer and noindex come from security.security_headers, as on every page.
    response.vary.add("Accept")
    return response
