"""Defences every response and request passes through: headers, and refusing cross-site
state changes."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from quart import Quart, Response, abort, request
from quart.sessions import SecureCookieSessionInterface, SessionMixin
from quart.wrappers import BaseRequestWebsocket
from werkzeug.exceptions import TooManyRequests
from werkzeug.routing import IntegerConverter, Map
from werkzeug.wrappers import Response as BaseResponse

from .config import IPNetwork, Settings
from .ratelimit import Limiter, Limits
from .services import current_services, services_of

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SAME_SITE_FETCH = frozenset({"same-origin", "none"})


def is_cross_site(origin: str) -> bool:
    """True when the browser tells us the request comes from another site."""
    return crosses_sites(
        origin, fetch_site=_header("Sec-Fetch-Site"), sent_origin=_header("Origin")
    )


def crosses_sites(origin: str, *, fetch_site: str | None, sent_origin: str | None) -> bool:
    """Whether a request with these ``Sec-Fetch-Site`` and ``Origin`` headers (None: not
    sent) comes from a site other than ``origin``.

    ``Sec-Fetch-Site`` decides when present. A page served with ``Referrer-Policy:
    no-referrer`` makes browsers send ``Origin: null`` even on same-origin form posts, so
    ``null`` is accepted when ``Sec-Fetch-Site`` vouches for the request. Clients that send
    neither header (curl, scripts) are not browsers acting for a lured user, so they pass."""
    if fetch_site is not None and fetch_site not in SAME_SITE_FETCH:
        return True
    if sent_origin is None or sent_origin == origin:
        return False
    return not (sent_origin == "null" and fetch_site == "same-origin")


def _header(name: str) -> str | None:
    # Werkzeug's Headers.get builds and swallows an exception for every missing header;
    # getlist does not, and these are looked up on every write request.
    values = request.headers.getlist(name)
    return values[0] if values else None


def client_address() -> str:
    """The client's IP, as ``address_of`` finds it for this request."""
    proxies = current_services().settings.trusted_proxies
    return address_of(
        request.remote_addr or "", request.headers.getlist("X-Forwarded-For"), proxies
    )


def address_of(peer: str, forwarded_for: list[str], proxies: tuple[IPNetwork, ...]) -> str:
    """The client's IP: the socket ``peer``, unless that is a trusted proxy, in which case the
    rightmost ``X-Forwarded-For`` entry that is not itself a trusted proxy."""
    if not _is_in(peer, proxies):
        return peer
    hops = [hop.strip() for hop in ",".join(forwarded_for).split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_in(hop, proxies):
            return hop
    return hops[0] if hops else peer


def _is_in(address: str, networks: tuple[IPNetwork, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


async def enforce_limit(pick: Callable[[Limits], Limiter], key: str) -> None:
    """Count one event for ``key``; answer 429 with Retry-After once over the limit."""
    limits = current_services().limits
    if limits is None:
        return
    wait = await pick(limits).hit(key)
    if wait is not None:
        raise TooManyRequests(retry_after=wait)


class NoCookieSessions(SecureCookieSessionInterface):
    """oncelink keeps its sessions on the server (``accounts``); Quart's signed-cookie
    session would only cost a cookie parse and a serializer on every request."""

    async def open_session(self, app: Quart, request: BaseRequestWebsocket) -> None:
        return None

    async def save_session(
        self, app: Quart, session: SessionMixin, response: Response | BaseResponse | None
    ) -> None:
        return None


def security_headers(settings: Settings, *, html: bool, page: bool) -> list[tuple[str, str]]:
    """The headers every answer carries; ``page``: not a static file, ``html``: a page."""
    headers = [
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("X-Frame-Options", "DENY"),
    ]
    if settings.secure_cookies:
        headers.append(("Strict-Transport-Security", "max-age=31536000"))
    if page:
        # Pages carry notes, links and session state: no cache may keep them.
        headers += [("Cache-Control", "no-store"), ("X-Robots-Tag", "noindex")]
    if html:
        headers.append(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
    return headers


class DatabaseIntegerConverter(IntegerConverter):
    """``<int:...>`` in routes, up to the largest id a database column holds (64 bits):
    a larger number in a path is no row's id, so it answers 404 before any query."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        super().__init__(map, *args, **{"max": 2**63 - 1, **kwargs})


def init_app(app: Quart) -> None:
    settings = services_of(app).settings
    app.session_interface = NoCookieSessions()
    # Before any blueprint registers its routes: their rules are parsed with it.
    app.url_map.converters["int"] = DatabaseIntegerConverter

    @app.before_request
    async def refuse_cross_site_writes() -> None:
        if request.method not in SAFE_METHODS and is_cross_site(settings.origin):
            abort(403, "Cross-site requests cannot change anything here.")

    @app.after_request
    async def add_security_headers(response: Response) -> Response:
        # Assigned, not setdefault: no view sets these to anything else, and setdefault
        # pays for an exception per missing header on every response.
        headers = response.headers
        html, page = response.mimetype == "text/html", not request.path.startswith("/static/")
        for name, value in security_headers(settings, html=html, page=page):
            headers[name] = value
        return response
