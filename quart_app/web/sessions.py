"""Main users' sessions as the browser holds them: the session cookie, the per-session form
token that guards every write, and who is logged in for this request."""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from quart import Quart, Response, abort, g, redirect, request, url_for
from quart.sessions import SecureCookieSessionInterface, SessionMixin
from quart.wrappers import BaseRequestWebsocket
from werkzeug.sansio.response import Response as SansIOResponse
from werkzeug.wrappers import Response as BaseResponse

from .. import accounts
from .context import current_services, services_of
from .security import SAFE_METHODS

P = ParamSpec("P")
R = TypeVar("R")
ResponseT = TypeVar("ResponseT", bound=SansIOResponse)
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
# Recipients and API clients are never logged-in users: their requests skip the lookup.
ANONYMOUS_BLUEPRINTS = frozenset({"links", "api", "api_docs"})


def cookie_name() -> str:
    # The __Host- prefix makes browsers refuse the cookie unless Secure, host-only, Path=/.
    secure = current_services().settings.secure_cookies
    return "__Host-oncelink" if secure else "oncelink_session"


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


def csrf_token(secret_key: str, session_id: str) -> str:
    """A per-session form token; derived, so nothing more is stored."""
    digest = hmac.new(secret_key.encode(), b"csrf:" + session_id.encode(), hashlib.sha256)
    return digest.hexdigest()


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


class NoCookieSessions(SecureCookieSessionInterface):
    """oncelink keeps its sessions on the server (``accounts``); Quart's signed-cookie
    session would only cost a cookie parse and a serializer on every request."""

    async def open_session(self, app: Quart, request: BaseRequestWebsocket) -> None:
        return None

    async def save_session(
        self, app: Quart, session: SessionMixin, response: Response | BaseResponse | None
    ) -> None:
        return None


def init_app(app: Quart) -> None:
    app.session_interface = NoCookieSessions()
    services = services_of(app)

    @app.before_request
    async def load_user() -> None:
        g.user, g.session_id, g.csrf_token = None, None, ""
        if request.blueprint in ANONYMOUS_BLUEPRINTS:
            return
        session_id = request.cookies.get(cookie_name())
        if session_id:
            g.user = await accounts.session_user(services, session_id)
            if g.user is not None:
                g.session_id = session_id
                g.csrf_token = csrf_token(services.settings.secret_key, session_id)
