"""Logging in and out, the session cookie, and the one-time setup of the first admin."""

from __future__ import annotations

import functools
import hmac
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from quart import (
    Blueprint,
    Quart,
    abort,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.sansio.response import Response as SansIOResponse
from werkzeug.wrappers import Response as BaseResponse

from .. import accounts
from ..clock import in_words
from ..security import SAFE_METHODS, client_address
from ..services import current_services

bp = Blueprint("auth", __name__)

P = ParamSpec("P")
ResponseT = TypeVar("ResponseT", bound=SansIOResponse)
R = TypeVar("R")
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"


def cookie_name() -> str:
    # The __Host- prefix makes browsers refuse the cookie unless Secure, host-only, Path=/.
    secure = current_services().settings.secure_cookies
    return "__Host-oncelink" if secure else "oncelink_session"


def login_required(view: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R | BaseResponse]]:
    """Send anonymous visitors to the login page; check the CSRF token on every write."""

    @functools.wraps(view)
    async def wrapped(*args: P.args, **kwargs: P.kwargs) -> R | BaseResponse:
        if g.user is None:
            return redirect(url_for("auth.login"))
        if request.method not in SAFE_METHODS and not await _csrf_ok():
            abort(403, "This form has expired. Reload the page and try again.")
        return await view(*args, **kwargs)

    return wrapped


async def _csrf_ok() -> bool:
    sent = request.headers.get(CSRF_HEADER) or (await request.form).get(CSRF_FIELD, "")
    # Bytes: compare_digest refuses str with non-ASCII characters (a 500, not a 403).
    return hmac.compare_digest(sent.encode(), g.csrf_token.encode())


# Recipients and API clients are never logged-in users: their requests skip the lookup.
ANONYMOUS_BLUEPRINTS = frozenset({"links", "api", "api_docs"})


def init_app(app: Quart) -> None:
    @app.before_request
    async def load_user() -> None:
        g.user, g.session_id, g.csrf_token = None, None, ""
        if request.blueprint in ANONYMOUS_BLUEPRINTS:
            return
        session_id = request.cookies.get(cookie_name())
        if session_id:
            services = current_services()
            g.user = await accounts.session_user(services, session_id)
            if g.user is not None:
                g.session_id = session_id
                g.csrf_token = accounts.csrf_token(services, session_id)


def with_session_cookie(response: ResponseT, session_id: str) -> ResponseT:
    response.set_cookie(
        cookie_name(),
        session_id,
        max_age=accounts.SESSION_LIFETIME,
        path="/",
        secure=current_services().settings.secure_cookies,
        httponly=True,
        samesite="Lax",
    )
    return response


@bp.get("/login")
async def login() -> str | BaseResponse:
    if g.user is not None:
        return redirect(url_for("dashboard.index"))
    return await render_template("login.html", name="", error=None)


async def _login_lockout(name: str) -> int | None:
    """Seconds until this attempt may be made, counting it against the client's address."""
    limits = current_services().limits
    if limits is None:
        return None
    address_wait = await limits.login_per_address.hit(client_address())
    return address_wait or await limits.login_per_user.retry_after(_limit_key(name))


def _limit_key(name: str) -> str:
    # As the store matches names (case-insensitively), and bounded: the limiter keeps keys.
    return name.strip().lower()[: accounts.MAX_NAME_CHARS + 1]


async def _count_login_failure(name: str) -> None:
    limits = current_services().limits
    if limits is not None:
        await limits.login_per_user.hit(_limit_key(name))


@bp.post("/login")
async def login_submit() -> tuple[str, int] | tuple[str, int, dict[str, str]] | BaseResponse:
    form = await request.form
    name, password = form.get("name", ""), form.get("password", "")
    wait = await _login_lockout(name)
    if wait is not None:
        error = f"Too many attempts. Try again in {in_words(wait)}."
        page = await render_template("login.html", name=name, error=error)
        return page, 429, {"Retry-After": str(wait)}
    services = current_services()
    user = await accounts.authenticate(services, name, password)
    if user is None:
        await _count_login_failure(name)
        error = "Wrong user name or password."
        return await render_template("login.html", name=name, error=error), 401
    if g.session_id:  # a fresh id on every login: a planted session id is worth nothing
        await accounts.end_session(services, g.session_id)
    session_id = await accounts.start_session(services, user.id)
    return with_session_cookie(redirect(url_for("dashboard.index"), 303), session_id)


@bp.post("/logout")
@login_required
async def logout() -> BaseResponse:
    await accounts.end_session(current_services(), g.session_id)
    response = redirect(url_for("auth.login"), 303)
    response.delete_cookie(cookie_name(), path="/")
    return response


@bp.route("/setup/<path:token>", methods=["GET", "HEAD"])
async def setup(token: str) -> tuple[str, int]:
    if not await accounts.setup_is_open(current_services(), token):
        return await render_template("setup_closed.html"), 410
    return await render_template("setup.html", token=token, name="", problems={}), 200


@bp.post("/setup/<path:token>")
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
