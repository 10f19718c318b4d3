"""What recipients see at ``/connect/<token>``: an inert preview on GET/HEAD, redemption on
POST (with the passphrase, for a link that has one), HTML or JSON."""

from __future__ import annotations

import json
from typing import cast

from quart import Blueprint, Response, current_app, request

from ...links.inspection import inspect_link
from ...links.redemption import redeem_link
from ...links.states import LinkView
from ...links.tokens import LinkClaims
from ...passphrases import DerivationsBusy
from ...paths import LINK_PATH
from ...reveal import REVIEW_SECONDS
from ..addresses import current_visitor
from ..context import current_services
from ..limits import busy_deriving, limit_passphrase_checks, limit_redemptions
from ..link_answers import ERRORS, VERIFIED, as_json, dead_link_pages, status_of
from ..rendering import html, wants_json
from ..rereading import keep_pass, pass_sent, text_sent

bp = Blueprint("links", __name__)
REVEAL_COOKIE = "reveal"


# <path:...> so that any garbage under /connect/ still gets this page and its headers.
@bp.route(f"{LINK_PATH}<path:token>", methods=["GET", "HEAD"])
async def preview(token: str) -> Response:
    view = await inspect_link(
        current_services(),
        token,
        verified=_verified_at_the_door(token),
        visitor=current_visitor(),
        reveal_pass=pass_sent(REVEAL_COOKIE),
    )
    return await _answer(view)


@bp.post(f"{LINK_PATH}<path:token>")
async def redeem(token: str) -> Response:
    await limit_redemptions()
    passphrase = await text_sent("passphrase")
    if passphrase:
        await limit_passphrase_checks()
    # Programs get no cookie jar to read the note again with, so nothing is kept for them.
    keep_for = 0 if wants_json() else REVIEW_SECONDS
    try:
        view = await redeem_link(
            current_services(),
            token,
            keep_for=keep_for,
            verified=_verified_at_the_door(token),
            visitor=current_visitor(),
            passphrase=passphrase,
            reveal_pass=pass_sent(REVEAL_COOKIE),
        )
    except DerivationsBusy:
        raise busy_deriving() from None
    response = await _answer(view)
    if view.reveal_pass is not None:
        keep_pass(response, REVEAL_COOKIE, f"{LINK_PATH}{token}", view.reveal_pass)
    return response


def _verified_at_the_door(token: str) -> LinkClaims | None:
    """The claims the door checked for this very token, so it is not verified twice."""
    checked = cast(tuple[str, LinkClaims] | None, request.scope.get(VERIFIED))
    return checked[1] if checked is not None and checked[0] == token else None


async def _answer(view: LinkView) -> Response:
    if wants_json():
        body = json.dumps(as_json(view), ensure_ascii=False)
        response = Response(body, status_of(view), mimetype="application/json")
    elif view.state in ERRORS:
        page = await dead_link_pages(current_app).page(view.state)
        response = Response(page, status_of(view))
    else:
        response = await html("link.html", status_of(view), view=view)
    # no-store, no-referrer and noindex come from security.security_headers, as on every page.
    response.vary.add("Accept")
    return response
