"""Defences every response and request passes through: headers, and refusing cross-site
state changes."""

from __future__ import annotations

from quart import Quart, Response, abort, request

from .services import services_of

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SAME_SITE_FETCH = frozenset({"same-origin", "none"})


def is_cross_site(origin: str) -> bool:
    """True when the browser tells us the request comes from another site.

    ``Sec-Fetch-Site`` decides when present. A page served with ``Referrer-Policy:
    no-referrer`` makes browsers send ``Origin: null`` even on same-origin form posts, so
    ``null`` is accepted when ``Sec-Fetch-Site`` vouches for the request. Clients that send
    neither header (curl, scripts) are not browsers acting for a lured user, so they pass."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site not in SAME_SITE_FETCH:
        return True
    sent_origin = request.headers.get("Origin")
    if sent_origin is None or sent_origin == origin:
        return False
    return not (sent_origin == "null" and fetch_site == "same-origin")


def init_app(app: Quart) -> None:
    settings = services_of(app).settings

    @app.before_request
    async def refuse_cross_site_writes() -> None:
        if request.method not in SAFE_METHODS and is_cross_site(settings.origin):
            abort(403, "Cross-site requests cannot change anything here.")

    @app.after_request
    async def add_security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "no-referrer")
        headers.setdefault("X-Frame-Options", "DENY")
        if not request.path.startswith("/static/"):
            # Pages carry notes, links and session state: no cache may keep them.
            headers["Cache-Control"] = "no-store"
            headers.setdefault("X-Robots-Tag", "noindex")
        if response.mimetype == "text/html":
            headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        if settings.secure_cookies:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
