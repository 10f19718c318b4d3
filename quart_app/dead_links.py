"""Dead links answered at the door: an ASGI layer in front of Quart for ``/connect/<token>``.

A forged, expired or garbage token is settled by its signature alone, and its answer depends
only on that verdict and on whether the client wants JSON. Such requests skip Quart entirely
(request context, hooks, routing), so a flood of dead links costs little more than checking
their signatures. Everything else, live links included, goes on to Quart unchanged.

The answers are the ones Quart gives: JSON is built here from the same table; an HTML page is
served from the cache that ``views.links`` fills the first time Quart renders that page.
Rate limits do not apply: refusing a dead link costs less than counting it would.
"""

from __future__ import annotations

import json

from hypercorn.typing import (
    ASGIReceiveCallable,
    ASGISendCallable,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    HTTPScope,
    Scope,
)
from quart import Quart
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from .redeem import LinkState
from .security import security_headers
from .services import services_of
from .tokens import LinkExpired, LinkInvalid, LinkSigner
from .views.links import CLOSED_PAGES, ERRORS, STATUS, VERIFIED
from .views.rendering import prefers_json

PREFIX = "/connect/"
METHODS = frozenset({"GET", "HEAD", "POST"})
HTML = b"text/html; charset=utf-8"
JSON = b"application/json"
Headers = list[tuple[bytes, bytes]]


def install(app: Quart) -> None:
    """Put the layer in front of the app (Quart's documented way to add ASGI middleware)."""
    inner = app.asgi_app
    services = services_of(app)
    signer = services.signer
    fixed = {html: _fixed_headers(app, html=html) for html in (True, False)}

    async def asgi_app(scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
        if scope["type"] == "http" and scope["method"] in METHODS:
            state = _verdict(signer, scope)
            answer = None if state is None else _answer(app, scope, state)
            if state is not None and answer is not None:
                content_type, payload = answer
                if scope["method"] == "POST":
                    await _drain(receive)
                headers = [(b"content-type", content_type), *fixed[content_type == HTML]]
                headers.append((b"content-length", str(len(payload)).encode()))
                await _send(
                    send, STATUS[state], headers, b"" if scope["method"] == "HEAD" else payload
                )
                return
        await inner(scope, receive, send)

    app.asgi_app = asgi_app  # type: ignore[method-assign]


def _fixed_headers(app: Quart, *, html: bool) -> Headers:
    settings = services_of(app).settings
    every = [*security_headers(settings, html=html, page=True), ("Vary", "Accept")]
    return [(name.lower().encode(), value.encode()) for name, value in every]


def _verdict(signer: LinkSigner, scope: HTTPScope) -> LinkState | None:
    """EXPIRED or INVALID for a dead link; None for anything else. A live link's claims are
    left in the scope for the view (``verified_claims``), so its signature is checked once."""
    path = scope["path"]
    if not path.startswith(PREFIX):
        return None
    token = path[len(PREFIX) :]
    try:
        claims = signer.verify(token)
    except LinkExpired:
        return LinkState.EXPIRED
    except LinkInvalid:
        return LinkState.INVALID
    scope[VERIFIED] = (token, claims)  # type: ignore[literal-required]  # our own key
    return None


def _answer(app: Quart, scope: HTTPScope, state: LinkState) -> tuple[bytes, bytes] | None:
    """The answer's type and bytes, or None while its page has not been rendered yet."""
    accept = b",".join(value for name, value in scope["headers"] if name == b"accept")
    if prefers_json(parse_accept_header(accept.decode("latin-1"), MIMEAccept)):
        answer = {"state": state.value, "error": ERRORS[state]}
        return JSON, json.dumps(answer, ensure_ascii=False).encode()
    page = app.extensions.get(CLOSED_PAGES, {}).get(state)
    return None if page is None else (HTML, page.encode())


async def _send(send: ASGISendCallable, status: int, headers: Headers, body: bytes) -> None:
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": status,
        "headers": headers,
        "trailers": False,
    }
    await send(start)
    end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
    await send(end)


async def _drain(receive: ASGIReceiveCallable) -> None:
    # Answering before the client has finished sending makes the server reset the
    # connection, and the client would never see the answer.
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body"):
            return
