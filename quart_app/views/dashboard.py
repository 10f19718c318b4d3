"""The main user's pages: create a share, see its links' status, revoke."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response, g, redirect, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as BaseResponse

from .. import shares
from ..redeem import LinkState
from ..services import current_services
from .auth import login_required
from .rendering import is_htmx, page_or_fragment

bp = Blueprint("dashboard", __name__)

PAGE_SIZE = 20
TTL_CHOICES = [
    (300, "5 minutes"),
    (3600, "1 hour"),
    (8 * 3600, "8 hours"),
    (86400, "1 day"),
    (7 * 86400, "7 days"),
    (30 * 86400, "30 days"),
]
REVOKE_MESSAGES = {
    LinkState.REVOKED: "Done: that link is revoked.",
    LinkState.USED: "That link was already used; there is nothing left to revoke.",
    LinkState.EXPIRED: "That link has already expired.",
    LinkState.INVALID: "That is not a link to one of your shares.",
}


def _form_defaults() -> dict[str, str]:
    return {
        "note": "",
        "label": "",
        "ttl": str(current_services().settings.default_ttl),
        "links": "1",
    }


def _ttl_choices() -> list[tuple[int, str]]:
    max_ttl = current_services().settings.max_ttl
    return [(seconds, label) for seconds, label in TTL_CHOICES if seconds <= max_ttl]


async def _share_list(before: int | None = None) -> dict[str, Any]:
    """One page of the user's shares, and the cursor of the next page if there is one."""
    rows = await shares.list_shares(current_services(), g.user, limit=PAGE_SIZE + 1, before=before)
    cursor = rows[PAGE_SIZE - 1].share.seq if len(rows) > PAGE_SIZE else None
    return {"shares": rows[:PAGE_SIZE], "next_cursor": cursor}


async def _page(status: int = 200, fragment: str = "_share_form.html", **context: Any) -> Response:
    context.setdefault("form", _form_defaults())
    context.setdefault("problems", {})
    context.setdefault("created", None)
    context.setdefault("revoke_message", None)
    if not is_htmx():
        context.update(await _share_list())
    return await page_or_fragment(
        "dashboard.html", fragment, status, ttl_choices=_ttl_choices(), **context
    )


@bp.get("/")
@login_required
async def index() -> Response:
    return await _page()


def _parse_share_form(
    form: MultiDict[str, str],
) -> tuple[shares.ShareRequest | None, dict[str, str]]:
    problems: dict[str, str] = {}
    numbers: dict[str, int] = {}
    for field, message in (
        ("ttl", "Choose how long the links live."),
        ("links", "Give the number of links as a whole number."),
    ):
        try:
            numbers[field] = int(form.get(field, "").strip())
        except ValueError:
            problems[field] = message
    if problems:
        return None, problems
    request_ = shares.ShareRequest(
        form.get("note", ""), form.get("label", "").strip(), numbers["ttl"], numbers["links"]
    )
    problems = shares.problems_with(request_, max_ttl=current_services().settings.max_ttl)
    return (None, problems) if problems else (request_, {})


@bp.post("/shares")
@login_required
async def create() -> Response:
    form = await request.form
    share_request, problems = _parse_share_form(form)
    if share_request is None:
        typed = {key: form.get(key, "") for key in _form_defaults()}
        return await _page(422, form=typed, problems=problems)
    created = await shares.create_share(current_services(), g.user, share_request)
    response = await _page(201, created=created)
    response.headers["HX-Trigger"] = "shares-changed"
    return response


@bp.get("/shares")
@login_required
async def share_list() -> Response:
    before = _parse_cursor(request.args.get("before", ""))
    context = await _share_list(before)
    return await page_or_fragment(
        "dashboard.html",
        "_share_list.html",
        **context,
        form=_form_defaults(),
        problems={},
        created=None,
        revoke_message=None,
        ttl_choices=_ttl_choices(),
    )


def _parse_cursor(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) < 19 else None


@bp.post("/shares/<share_id>/revoke")
@login_required
async def revoke_share(share_id: str) -> Response | BaseResponse:
    services = current_services()
    if not await shares.revoke_share(services, g.user, share_id):
        return Response("No such share.", 404)
    if not is_htmx():
        return redirect(url_for("dashboard.index"), 303)
    status = await shares.share_status(services, g.user, share_id)
    return await page_or_fragment("dashboard.html", "_share_row.html", item=status)


@bp.post("/links/revoke")
@login_required
async def revoke_link() -> Response:
    link = (await request.form).get("link", "")
    state = await shares.revoke_link(current_services(), g.user, link)
    status = 200 if state is LinkState.REVOKED else 422
    response = await _page(
        status, fragment="_revoke_result.html", revoke_message=REVOKE_MESSAGES[state]
    )
    response.headers["HX-Trigger"] = "shares-changed"
    return response


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
    response = await _page(
        fragment="_revoke_result.html",
        revoke_message="Done: every link you have issued so far is revoked.",
    )
    response.headers["HX-Trigger"] = "shares-changed"
    return response
