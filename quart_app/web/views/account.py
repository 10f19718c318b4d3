"""A main user's own account (password) and, for admins, the user list."""

from __future__ import annotations

from quart import Blueprint, Response, abort, g, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from ... import accounts
from ..context import current_services
from ..rendering import html, is_htmx
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
    services, disable = current_services(), action == "disable"
    person = await accounts.user_with_id(services, user_id)
    if person is None:
        abort(404, "There is no such user.")
    if disable and (await request.form).get("confirm") != "yes":
        # Without JavaScript there is no confirm dialog: this page asks instead.
        return await html(
            "confirm.html",
            kind="user",
            item=person,
            action=url_for("account.set_disabled", user_id=user_id, action=action),
            button=f"Disable {person.name}",
            cancel=url_for("account.users"),
        )
    await accounts.set_disabled(services, user_id, disabled=disable)
    if is_htmx():
        changed = await accounts.user_with_id(services, user_id)
        return await html("_user_row.html", person=changed)
    return redirect(url_for("account.users"), 303)
