"""A main user's own account: changing the password."""

from __future__ import annotations

from quart import Blueprint, Response, g, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from ... import accounts
from ..context import current_services
from ..rendering import html
from ..sessions import login_required, with_session_cookie

bp = Blueprint("account", __name__)


@bp.get("/account")
@login_required
async def account() -> Response | BaseResponse:
    done = request.args.get("changed") == "password"
    return await html("account.html", problems={}, done=done)


@bp.post("/account/password")
@login_required
async def change_password() -> Response | BaseResponse:
    form = await request.form
    session_id, problems = await accounts.change_password(
        current_services(), g.user, form.get("current", ""), form.get("new", "")
    )
    if session_id is None:
        return await html("account.html", 422, problems=problems, done=False)
    # Every session of this user just ended, this one too. The browser gets a fresh one,
    # and the page it sees next is rendered for it, with forms that carry its form token
    # (and a reload does not send the change again).
    done = redirect(url_for("account.account", changed="password"), 303)
    return with_session_cookie(done, session_id)
