"""Defences every response and request passes through: security headers, and refusing
cross-site state changes."""

from __future__ import annotations

from quart import Quart, Response, abort, request

from ..config import Settings
from .context import services_of

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


def init_app(app: Quart) -> None:
    settings = services_of(app).settings

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
