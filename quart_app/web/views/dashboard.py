"""The main user's pages: create a share, see its links' status, revoke; ask someone for a
secret."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response, g, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from ... import shares
from ...links.states import LinkState
from ...passphrases import DerivationsBusy
from ...secret_requests import managing
from ..context import current_services
from ..limits import busy_deriving
from ..parsing import whole_number
from ..pasted_links import token_in
from ..rendering import html, is_htmx, page_or_fragment
from ..sessions import login_required
from .exports import download
from .forms import (
    ask_defaults,
    form_defaults,
    form_nonce,
    links_csv,
    parse_ask_form,
    parse_share_form,
    ttl_choices,
)
from .listing import request_page, share_page

bp = Blueprint("dashboard", __name__)

# Fragments that show the share list or the request list, and so need their pages.
LISTING_FRAGMENTS = frozenset({"_share_list.html", "_new_share.html", "_new_request.html"})
REVOKE_MESSAGES = {
    LinkState.REVOKED: "Done: that link is revoked.",
    LinkState.USED: "That link was already used; there is nothing left to revoke.",
    LinkState.EXPIRED: "That link has already expired.",
    LinkState.INVALID: "That is not a link to one of your shares.",
}


async def _page(status: int = 200, fragment: str = "_share_form.html", **context: Any) -> Response:
    """The dashboard, or for htmx just ``fragment``; ``context`` fills in what changed. The
    query's ``before`` and ``requests_before`` say which page of each list to show."""
    context.setdefault("form", form_defaults())
    context.setdefault("problems", {})
    context.setdefault("ask", ask_defaults())
    context.setdefault("ask_problems", {})
    for name in ("created", "sent_already", "created_request", "asked_already", "revoke_message"):
        context.setdefault(name, None)
    context.setdefault("revoke_ok", False)
    if not is_htmx() or fragment in LISTING_FRAGMENTS:
        context.update(await share_page(_cursor("before")))
        context.update(await request_page(_cursor("requests_before")))
    return await page_or_fragment(
        "dashboard.html", fragment, status, ttl_choices=ttl_choices(), **context
    )


def _cursor(name: str) -> int | None:
    return whole_number(request.args.get(name, ""))


@bp.get("/")
@login_required
async def index() -> Response:
    return await _page()


@bp.post("/shares")
@login_required
async def create() -> Response:
    form = await request.form
    share_request, problems = parse_share_form(form)
    typed = {key: form.get(key, "") for key in form_defaults()}
    if share_request is None:
        return await _page(422, form=typed, problems=problems)
    try:
        made = await shares.create_share_once(
            current_services(), g.user, share_request, form_nonce(form)
        )
    except DerivationsBusy:
        # Nothing was stored: the form comes back as typed, to be sent again in a moment.
        busy = {"passphrase": busy_deriving().description or ""}
        return await _page(429, form=typed, problems=busy)
    if isinstance(made, shares.AlreadyCreated):
        # Sent again, by a reload of the page that answered it: nothing new is made.
        return await _page(sent_already=made.share)
    return await _page(201, fragment="_new_share.html", created=made)


@bp.get("/shares")
@login_required
async def share_list() -> Response:
    return await _page(fragment="_share_list.html")


@bp.post("/requests")
@login_required
async def ask() -> Response:
    """Ask someone for a secret: a request, and the one-time link to send them."""
    form = await request.form
    asked, problems = parse_ask_form(form)
    typed = {key: form.get(key, "") for key in ask_defaults()}
    if asked is None:
        return await _page(422, fragment="_ask_form.html", ask=typed, ask_problems=problems)
    try:
        made = await managing.create_request(
            current_services(), g.user, asked, form_nonce=form_nonce(form)
        )
    except DerivationsBusy:
        busy = {"passphrase": busy_deriving().description or ""}
        return await _page(429, fragment="_ask_form.html", ask=typed, ask_problems=busy)
    if isinstance(made, managing.AlreadyAsked):
        return await _page(fragment="_ask_form.html", asked_already=made.request)
    return await _page(201, fragment="_new_request.html", created_request=made)


@bp.post("/shares/links.csv")
@login_required
async def download_links() -> Response:
    """The links just shown, as a file: the server keeps no copy of them to build it from."""
    form = await request.form
    body = links_csv(form.getlist("link"), form.getlist("recipient"), form.get("expires_at", ""))
    if body is None:
        return Response("Those are not links from this oncelink.", 422, mimetype="text/plain")
    return download(body, "text/csv", "oncelink-links.csv")


@bp.post("/shares/<share_id>/revoke")
@login_required
async def revoke_share(share_id: str) -> Response | BaseResponse:
    services = current_services()
    status = await shares.share_status(services, g.user, share_id)
    if status is None:
        return Response("No such share.", 404)
    if (await request.form).get("confirm") != "yes":
        # Without JavaScript there is no confirm dialog: this page asks instead.
        return await html("confirm_revoke.html", item=status)
    await shares.revoke_share(services, g.user, share_id)
    if not is_htmx():
        return redirect(url_for("dashboard.index"), 303)
    status = await shares.share_status(services, g.user, share_id)
    return await page_or_fragment("dashboard.html", "_share_row.html", item=status)


@bp.post("/links/revoke")
@login_required
async def revoke_link() -> Response:
    link = (await request.form).get("link", "")
    state = await shares.revoke_link(current_services(), g.user, token_in(link))
    status = 200 if state is LinkState.REVOKED else 422
    return await _page(
        status,
        fragment="_revoke_result.html",
        revoke_message=REVOKE_MESSAGES[state],
        revoke_ok=state is LinkState.REVOKED,
    )


@bp.post("/links/revoke-all")
@login_required
async def revoke_all() -> Response | BaseResponse:
    if (await request.form).get("confirm") != "yes":
        return await _page(
            422,
            fragment="_revoke_result.html",
            revoke_message="Tick the box to confirm: this cannot be undone.",
        )
    await shares.revoke_all_links(current_services(), g.user)
    return await _page(
        fragment="_revoke_result.html",
        revoke_message="Done: every link you have issued so far is revoked.",
        revoke_ok=True,
    )
