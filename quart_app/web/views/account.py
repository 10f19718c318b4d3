"""A main user's own account: changing the password."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response, g, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from ... import accounts, api_tokens
from ...clock import in_words
from ..context import current_services
from ..limits import RateLimited, limit_password_check, password_was_right
from ..rendering import html
from ..sessions import login_required, with_session_cookie

bp = Blueprint("account", __name__)


async def _page(status: int = 200, **context: Any) -> Response:
    context.setdefault("problems", {})
    context.setdefault("done", False)
    context.setdefault("tokens_revoked", False)
    context.setdefault("revoke_tokens", False)
    tokens = await api_tokens.tokens_of(current_services(), g.user.id)
    return await html("account.html", status, api_tokens=len(tokens), **context)


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
