"""What an invitee sees at ``/invite/<token>``: a form to choose a name and a password on
GET/HEAD, which use nothing; the account, and a session, on POST."""

from __future__ import annotations

from quart import Blueprint, Response, g, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from ... import accounts, invites
from ...invites import InviteState
from ...paths import INVITE_PATH
from ...storage.queries.invites import Invite
from ..context import current_services
from ..rendering import html
from ..sessions import with_session_cookie

bp = Blueprint("invitee", __name__)

STATUS = {
    InviteState.USED: 410,
    InviteState.EXPIRED: 410,
    InviteState.REVOKED: 410,
    InviteState.INVALID: 404,
}
CLOSED = {
    InviteState.USED: "This invite has already been used",
    InviteState.EXPIRED: "This invite has expired",
    InviteState.REVOKED: "This invite was revoked",
    InviteState.INVALID: "This invite is not valid",
}
NAME_TAKEN = "Someone already has this name: choose another."


# <path:...> so that any garbage under /invite/ still gets this page and its headers.
@bp.route(f"{INVITE_PATH}<path:token>", methods=["GET", "HEAD"])
async def invite(token: str) -> Response:
    state, found = await invites.invite_state(current_services(), token)
    if state is not InviteState.OPEN:
        return await _closed(state)
    return await html("invite.html", invite=found, name="", problems={})


@bp.post(f"{INVITE_PATH}<path:token>")
async def accept(token: str) -> Response | BaseResponse:
    services = current_services()
    state, found = await invites.invite_state(services, token)
    if state is not InviteState.OPEN:
        return await _closed(state)
    form = await request.form
    new_user = accounts.NewUser(form.get("name", ""), form.get("password", ""))
    problems = accounts.problems_with(new_user)
    if problems:
        return await _form_again(found, new_user.name, problems)
    try:
        user_id = await invites.accept_invite(services, token, new_user)
    except invites.NameTaken:
        return await _form_again(found, new_user.name, {"name": NAME_TAKEN})
    except invites.InviteClosed as closed:
        return await _closed(closed.state)
    if g.session_id:  # whoever was logged in here, the browser is now the invitee's
        await accounts.end_session(services, g.session_id)
    session_id = await accounts.start_session(services, user_id)
    return with_session_cookie(redirect(url_for("dashboard.index"), 303), session_id)


async def _form_again(found: Invite | None, name: str, problems: dict[str, str]) -> Response:
    """The form with its problems, and the name as typed (never the password)."""
    return await html("invite.html", 422, invite=found, name=name, problems=problems)


async def _closed(state: InviteState) -> Response:
    return await html("invite_closed.html", STATUS[state], state=state, message=CLOSED[state])
