"""Main users' sessions as the browser holds them: the session cookie, the per-session form
token that guards every write, and who is logged in for this request."""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar
from urllib.parse import urlsplit

from quart import Quart, Response, abort, g, redirect, request, url_for
from quart.sessions import SecureCookieSessionInterface, SessionMixin
from quart.wrappers import BaseRequestWebsocket
from werkzeug.sansio.response import Response as SansIOResponse
from werkzeug.wrappers import Response as BaseResponse

from .. import accounts
from ..paths import SECRET_PATHS
from .context import current_services, services_of
from .rendering import html, is_htmx
from .security import SAFE_METHODS

P = ParamSpec("P")
R = TypeVar("R")
ResponseT = TypeVar("ResponseT", bound=SansIOResponse)
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
# Recipients, people asked for a secret and API clients are never logged-in users: their
# requests skip the lookup.
ANONYMOUS_BLUEPRINTS = frozenset({"links", "send", "api", "api_webhooks"})
SESSION_ENDED = "Your session has ended. Log in again to go on."
MAX_NEXT_CHARS = 2000
# Where login may send the browser next: a path of ours. Not "//host" (another site), and
# none of the characters ("\\", "%", ...) that could make a browser read it as one.
_NEXT_PAGE = re.compile(r"/(?!/)[A-Za-z0-9/_.?=&-]*")


def cookie_name() -> str:
    # The __Host- prefix makes browsers refuse the cookie unless Secure, host-only, Path=/.
    secure = current_services().settings.secure_cookies
    return "__Host-oncelink" if secure else "oncelink_session"


def with_session_cookie(response: ResponseT, session_id: str) -> ResponseT:
    response.set_cookie(
        cookie_name(), session_id, max_age=accounts.SESSION_LIFETIME, **_cookie_attributes()
    )
    return response


def without_session_cookie(response: ResponseT) -> ResponseT:
    """Tell the browser to drop the cookie. The deletion carries the cookie's attributes:
    browsers ignore a deletion without ``Secure`` for a ``__Host-`` cookie."""
    response.delete_cookie(cookie_name(), **_cookie_attributes())
    return response


def _cookie_attributes() -> dict[str, Any]:
    secure = current_services().settings.secure_cookies
    return {"path": "/", "secure": secure, "httponly": True, "samesite": "Lax"}


def csrf_token(secret_key: str, session_id: str) -> str:
    """A per-session form token; derived, so nothing more is stored."""
    digest = hmac.new(secret_key.encode(), b"csrf:" + session_id.encode(), hashlib.sha256)
    return digest.hexdigest()


def login_required(
    view: Callable[P, Awaitable[R]],
) -> Callable[P, Awaitable[R | Response | BaseResponse]]:
    """Send anonymous visitors to the login page; check the CSRF token on every write."""

    @functools.wraps(view)
    async def wrapped(*args: P.args, **kwargs: P.kwargs) -> R | Response | BaseResponse:
        if g.user is None:
            return await _to_login()
        if request.method not in SAFE_METHODS and not await _csrf_ok():
            abort(403, "This form has expired. Reload the page and try again.")
        return await view(*args, **kwargs)

    return wrapped


async def _to_login() -> Response | BaseResponse:
    """The login page, and back to this page after it. A background (htmx) request is
    answered 401 with ``HX-Redirect``: the whole window goes to the login page, where a
    redirect would have had the login page pasted into the fragment that was asked for."""
    back = _page_to_return_to()
    # The dashboard is where login leads anyway: its login address stays plain.
    login = url_for("auth.login", next=back) if back not in (None, "/") else url_for("auth.login")
    if not is_htmx():
        return redirect(login)
    response = await html("_request_problem.html", 401, message=SESSION_ENDED)
    response.headers["HX-Redirect"] = login
    return response


def _page_to_return_to() -> str | None:
    """The page the user was on, as far as the request tells it."""
    if is_htmx():
        current = urlsplit(request.headers.get("HX-Current-URL", ""))
        page = current.path + (f"?{current.query}" if current.query else "")
    elif request.method in SAFE_METHODS:
        page = request.full_path.removesuffix("?")
    else:
        return None
    return page if is_safe_next(page) else None


def is_safe_next(page: str) -> bool:
    """Whether ``page`` may be where login sends the browser next: a plain path on this
    site (never another site's address, like ``//evil.example``), and not a secret one."""
    return (
        len(page) <= MAX_NEXT_CHARS
        and _NEXT_PAGE.fullmatch(page) is not None
        and not page.startswith(SECRET_PATHS)
    )


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
