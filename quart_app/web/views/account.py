"""A main user's own account (password) and, for admins, the user list."""

from __future__ import annotations

from quart import Blueprint, Response, abort, g, redirect, request, url_for
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


def _admin_only() -> None:
    if not g.user.is_admin:
        abort(403, "Only admins can manage users.")


@bp.get("/admin/users")
@login_required
async def users() -> Response | BaseResponse:
    _admin_only()
    return await html("users.html", users=await accounts.list_users(current_services()))


@bp.post("/admin/users/<int:user_id>/<any(disable, enable):action>")
@login_required
async def set_disabled(user_id: int, action: str) -> Response | BaseResponse:
    _admin_only()
    if user_id == g.user.id:
        abort(400, "You cannot disable your own account.")
    await accounts.set_disabled(current_services(), user_id, disabled=action == "disable")
    return redirect(url_for("account.users"), 303)
