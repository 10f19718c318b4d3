"""A main user's own account: changing the password, and the mail address notifications go
to (offered only when the server can send mail)."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response, abort, g, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from ... import accounts, api_tokens
from ...clock import in_words
from ...notifications import mail_addresses, webhooks
from ...notifications.types import DESCRIPTIONS
from ..context import current_services
from ..limits import RateLimited, limit_password_check, password_was_right
from ..rendering import html
from ..sessions import login_required, with_session_cookie

bp = Blueprint("account", __name__)


async def _page(status: int = 200, **context: Any) -> Response:
    services = current_services()
    context.setdefault("problems", {})
    context.setdefault("done", False)
    context.setdefault("tokens_revoked", False)
    context.setdefault("revoke_tokens", False)
    context.setdefault("mail_done", request.args.get("mail"))
    context.setdefault("address", "")
    tokens = await api_tokens.tokens_of(services, g.user.id)
    mail = await mail_addresses.mail_setting(services, g.user) if services.mailer else None
    return await html(
        "account.html",
        status,
        api_tokens=len(tokens),
        mail_enabled=services.mailer is not None,
        mail=mail,
        events=DESCRIPTIONS,
        **context,
    )


@bp.get("/account")
@login_required
async def account() -> Response | BaseResponse:
    done = request.args.get("changed") == "password"
    return await _page(done=done, tokens_revoked=done and request.args.get("tokens") == "revoked")


@bp.post("/account/password")
@login_required
async def change_password() -> Response | BaseResponse:
    form = await request.form
    revoke_tokens = form.get("revoke_tokens") == "yes"
    try:
        await limit_password_check(g.user.name)
    except RateLimited as limited:
        wait = f"Too many attempts. Try again in {in_words(limited.wait)}."
        response = await _page(429, problems={"current": wait}, revoke_tokens=revoke_tokens)
        response.headers["Retry-After"] = str(limited.wait)
        return response
    session_id, problems = await accounts.change_password(
        current_services(),
        g.user,
        form.get("current", ""),
        form.get("new", ""),
        revoke_api_tokens=revoke_tokens,
    )
    if "current" not in problems:
        await password_was_right(g.user.name)
    if session_id is None:
        return await _page(422, problems=problems, revoke_tokens=revoke_tokens)
    # Every session of this user just ended, this one too. The browser gets a fresh one,
    # and the page it sees next is rendered for it, with forms that carry its form token
    # (and a reload does not send the change again).
    tokens = "revoked" if revoke_tokens else None
    done = redirect(url_for("account.account", changed="password", tokens=tokens), 303)
    return with_session_cookie(done, session_id)


def _mail_offered() -> None:
    if current_services().mailer is None:
        abort(404, "This server sends no mail.")


@bp.post("/account/mail")
@login_required
async def set_mail_address() -> Response | BaseResponse:
    _mail_offered()
    address = (await request.form).get("address", "")
    problem = mail_addresses.address_problem(address)
    if problem:
        return await _page(422, problems={"address": problem}, address=address)
    try:
        await mail_addresses.set_address(current_services(), g.user, address)
    except mail_addresses.MailNotSent as error:
        sorry = f"The confirmation mail could not be sent ({error}). Try again later."
        return await _page(503, problems={"address": sorry}, address=address)
    return redirect(url_for("account.account", mail="sent") + "#mail", 303)


@bp.post("/account/mail/events")
@login_required
async def set_mail_events() -> Response | BaseResponse:
    _mail_offered()
    events = webhooks.chosen_events((await request.form).getlist("events"))
    if events is None:
        return await _page(422, problems={"events": "Choose among the events listed."})
    if not await mail_addresses.set_events(current_services(), g.user, events):
        abort(404, "You have no mail address for notifications.")
    return redirect(url_for("account.account", mail="events") + "#mail", 303)


@bp.post("/account/mail/remove")
@login_required
async def remove_mail_address() -> BaseResponse:
    _mail_offered()
    await mail_addresses.remove_address(current_services(), g.user)
    return redirect(url_for("account.account", mail="removed") + "#mail", 303)
