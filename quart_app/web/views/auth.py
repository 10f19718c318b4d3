"""Logging in and out, and the one-time setup of the first admin."""

from __future__ import annotations

from quart import Blueprint, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from ... import accounts
from ...clock import in_words
from ...paths import SETUP_PATH
from ..context import current_services
from ..limits import RateLimited, limit_password_check, password_was_right
from ..sessions import is_safe_next, login_required, with_session_cookie, without_session_cookie

bp = Blueprint("auth", __name__)

Page = tuple[str, int] | tuple[str, int, dict[str, str]]


def _next_page(asked: str) -> str:
    """Where to go once logged in: the page that sent the user here, or the dashboard."""
    return asked if is_safe_next(asked) else url_for("dashboard.index")


@bp.get("/login")
async def login() -> str | BaseResponse:
    next_page = request.args.get("next", "")
    if g.user is not None:
        return redirect(_next_page(next_page))
    return await render_template("login.html", name="", error=None, next_page=next_page)


@bp.post("/login")
async def login_submit() -> Page | BaseResponse:
    form = await request.form
    name, password = form.get("name", ""), form.get("password", "")
    next_page = form.get("next", "")
    try:
        await limit_password_check(name)
    except RateLimited as limited:
        error = f"Too many attempts. Try again in {in_words(limited.wait)}."
        page = await render_template("login.html", name=name, error=error, next_page=next_page)
        return page, 429, {"Retry-After": str(limited.wait)}
    services = current_services()
    user = await accounts.authenticate(services, name, password)
    if user is None:
        error = "Wrong user name or password."
        page = await render_template("login.html", name=name, error=error, next_page=next_page)
        return page, 401
    await password_was_right(name)
    if g.session_id:  # a fresh id on every login: a planted session id is worth nothing
        await accounts.end_session(services, g.session_id)
    session_id = await accounts.start_session(services, user.id)
    return with_session_cookie(redirect(_next_page(next_page), 303), session_id)


@bp.post("/logout")
@login_required
async def logout() -> BaseResponse:
    await accounts.end_session(current_services(), g.session_id)
    return without_session_cookie(redirect(url_for("auth.login"), 303))


@bp.route(f"{SETUP_PATH}<path:token>", methods=["GET", "HEAD"])
async def setup(token: str) -> tuple[str, int]:
    if not await accounts.setup_is_open(current_services(), token):
        return await render_template("setup_closed.html"), 410
    return await render_template("setup.html", token=token, name="", problems={}), 200


@bp.post(f"{SETUP_PATH}<path:token>")
async def setup_submit(token: str) -> tuple[str, int] | BaseResponse:
    services = current_services()
    if not await accounts.setup_is_open(services, token):
        return await render_template("setup_closed.html"), 410
    form = await request.form
    new_user = accounts.NewUser(form.get("name", ""), form.get("password", ""))
    problems = accounts.problems_with(new_user)
    if problems:
        return await render_template(
            "setup.html", token=token, name=new_user.name, problems=problems
        ), 422
    user_id = await accounts.add_user(services, new_user, is_admin=True, only_if_first=True)
    if user_id is None:  # someone else finished the setup a moment ago
        return await render_template("setup_closed.html"), 410
    session_id = await accounts.start_session(services, user_id)
    return with_session_cookie(redirect(url_for("dashboard.index"), 303), session_id)
