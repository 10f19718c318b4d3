"""The admin's users page: the users, the invites still open, and what admins do there:
invite someone, revoke an invite, disable or enable a user."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response, abort, g, redirect, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as BaseResponse

from ... import accounts, invites
from ..context import current_services
from ..parsing import whole_number
from ..rendering import html, is_htmx
from ..sessions import login_required
from .forms import form_nonce, new_form_nonce

bp = Blueprint("users", __name__)

DAY_CHOICES = [(1, "1 day"), (invites.DEFAULT_DAYS, "7 days"), (invites.MAX_DAYS, "30 days")]


def _admin_only() -> None:
    if not g.user.is_admin:
        abort(403, "Only admins can manage users.")


def _invite_form() -> dict[str, str]:
    return {"label": "", "days": str(invites.DEFAULT_DAYS), "admin": "", "nonce": new_form_nonce()}


async def _page(status: int = 200, **context: Any) -> Response:
    """The users page; ``context`` fills in what changed (a new invite, the form's problems)."""
    services = current_services()
    context.setdefault("issued", None)
    context.setdefault("sent_already", None)
    context.setdefault("invite_form", _invite_form())
    context.setdefault("problems", {})
    return await html(
        "users.html",
        status,
        users=await accounts.list_users(services),
        invites=await invites.open_invites(services),
        day_choices=DAY_CHOICES,
        **context,
    )


@bp.get("/admin/users")
@login_required
async def index() -> Response:
    _admin_only()
    return await _page()


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
        return await _ask_first(
            "user", person, url_for("users.set_disabled", user_id=user_id, action=action)
        )
    await accounts.set_disabled(services, user_id, disabled=disable)
    if is_htmx():
        changed = await accounts.user_with_id(services, user_id)
        return await html("_user_row.html", person=changed)
    return redirect(url_for("users.index"), 303)


def _parse_invite_form(
    form: MultiDict[str, str],
) -> tuple[invites.InviteRequest | None, dict[str, str]]:
    request_ = invites.InviteRequest(
        is_admin=form.get("admin") == "yes",
        days=whole_number(form.get("days", ""), max_digits=3) or 0,
        label=form.get("label", "").strip(),
    )
    problems = invites.problems_with(request_)
    return (None, problems) if problems else (request_, {})


@bp.post("/admin/invites")
@login_required
async def invite() -> Response:
    _admin_only()
    form = await request.form
    invite_request, problems = _parse_invite_form(form)
    if invite_request is None:
        typed = {key: form.get(key, "") for key in _invite_form()}
        return await _page(422, invite_form=typed, problems=problems)
    made = await invites.create_invite(
        current_services(), g.user, invite_request, form_nonce=form_nonce(form)
    )
    if isinstance(made, invites.AlreadyInvited):
        # Sent again, by a reload of the page that answered it: nothing new is made.
        return await _page(sent_already=made.invite)
    return await _page(201, issued=made)


@bp.post("/admin/invites/<int:invite_id>/revoke")
@login_required
async def revoke_invite(invite_id: int) -> Response | BaseResponse:
    _admin_only()
    services = current_services()
    found = await invites.invite_with_id(services, invite_id)
    if found is None or not found.is_open(services.clock()):
        abort(404, "There is no open invite with this number.")
    if (await request.form).get("confirm") != "yes":
        return await _ask_first(
            "invite", found, url_for("users.revoke_invite", invite_id=invite_id)
        )
    await invites.revoke_invite(services, invite_id)
    if is_htmx():
        return Response("", 200)  # its row goes
    return redirect(url_for("users.index"), 303)


async def _ask_first(kind: str, item: object, action: str) -> Response:
    """Without JavaScript there is no confirm dialog: this page asks instead."""
    return await html(
        "confirm.html", kind=kind, item=item, action=action, cancel=url_for("users.index")
    )
