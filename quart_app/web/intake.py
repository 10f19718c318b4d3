"""What any request may be before anything reads it: the outermost ASGI layer, in front of
the door and of Quart.

- A head (request line and headers) over 16 KiB is refused: 431. Hypercorn's
  ``h11_max_incomplete_size`` stops only a head that is still arriving; one that arrives
  whole in a single read (Hypercorn reads 64 KiB at a time) reaches the app.
- A body over 1 MiB is refused: 413, for every route, the door's included. A body declared
  larger is refused before any of it is read; one sent in chunks is read up to the limit.
  Either way the answer goes out at once, with ``Connection: close``, and nothing more is
  read: Hypercorn closes a connection whose request was not read to its end.
- An exception that escapes the app is logged as ``errors.log_unhandled`` logs it (never
  its message) rather than by Hypercorn, which would print the message.

It also counts the requests in progress, which background work yields to (``lifecycle``).
"""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Callable

from hypercorn.typing import (
    ASGIReceiveCallable,
    ASGIReceiveEvent,
    ASGISendCallable,
    ASGISendEvent,
    HTTPScope,
    Scope,
)
from quart import Quart

from .asgi_answers import HTML, JSON, encoded, header, send_whole, wants_json
from .context import services_of
from .errors import API_PREFIX, MESSAGES, PROBLEM_FRAGMENT, log_unhandled
from .parsing import whole_number
from .security import security_headers

# Room for a 64 KiB note even when a form percent-encodes every byte of it.
MAX_REQUEST_BYTES = 1024 * 1024
MAX_HEAD_BYTES = 16 * 1024  # as h11_max_incomplete_size in hypercorn.toml

log = logging.getLogger(__name__)
IN_FLIGHT_KEY = "oncelink.in_flight"


class InFlight:
    """How many requests this process is working on right now: from their arrival to the
    start of their answer (a live stream, answered at once, counts no longer)."""

    def __init__(self) -> None:
        self.count = 0

    def answering(self, send: ASGISendCallable) -> tuple[ASGISendCallable, Callable[[], None]]:
        """Count a request in: the ``send`` that counts it out when its answer starts, and
        what counts it out in any case (call it when the request ends)."""
        self.count += 1
        counted = [True]

        def done() -> None:
            if counted[0]:
                counted[0] = False
                self.count -= 1

        async def counting_send(event: ASGISendEvent) -> None:
            if event["type"] == "http.response.start":
                done()
            await send(event)

        return counting_send, done


def in_flight_of(app: Quart) -> InFlight:
    in_flight: InFlight = app.extensions.setdefault(IN_FLIGHT_KEY, InFlight())
    return in_flight


def install(app: Quart) -> None:
    """Put the layer in front of everything else: install it last."""
    inner = app.asgi_app
    refuse = Refusals(app)
    in_flight = in_flight_of(app)

    async def asgi_app(scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
        if scope["type"] != "http":
            return await inner(scope, receive, send)
        counting_send, done = in_flight.answering(send)
        try:
            await _answer(scope, receive, counting_send)
        finally:
            done()

    async def _answer(
        scope: HTTPScope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        if head_size(scope) > MAX_HEAD_BYTES:
            return await refuse(scope, send, 431)
        declared = whole_number(header(scope, b"content-length") or "")
        if declared is not None and declared > MAX_REQUEST_BYTES:
            return await refuse(scope, send, 413)
        request = BoundedRequest(receive, send)
        failed = False
        try:
            await inner(scope, request.receive, request.send)
        except Exception as error:
            log_unhandled(log, error)
            failed = True
        if not request.answered and (request.too_large or failed):
            await refuse(scope, send, 413 if request.too_large else 500)

    app.asgi_app = asgi_app  # type: ignore[method-assign]


def head_size(scope: HTTPScope) -> int:
    """About the bytes of the request line and headers as the client sent them."""
    fields = sum(len(name) + len(value) + 4 for name, value in scope["headers"])
    return len(scope["raw_path"]) + len(scope["query_string"]) + fields


class BoundedRequest:
    """The app's view of the request: its body ends in a disconnect once it grows over the
    limit (Quart then stops the view; the door stops reading), and from then on nothing the
    app answers goes out: the intake answers 413 itself."""

    def __init__(self, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
        self._receive, self._send = receive, send
        self._read = 0
        self.too_large = False
        self.answered = False

    async def receive(self) -> ASGIReceiveEvent:
        if self.too_large:
            return {"type": "http.disconnect"}
        message = await self._receive()
        if message["type"] == "http.request":
            self._read += len(message.get("body", b""))
            if self._read > MAX_REQUEST_BYTES:
                self.too_large = True
                return {"type": "http.disconnect"}
        return message

    async def send(self, message: ASGISendEvent) -> None:
        if self.too_large and not self.answered:
            return
        self.answered = True
        await self._send(message)


class Refusals:
    """Answers as ``errors`` gives them: JSON to the API and JSON clients, the message
    fragment to a background (htmx) request, else a small page; then the connection closes."""

    def __init__(self, app: Quart) -> None:
        self._app = app
        self._settings = services_of(app).settings
        self._fragments: dict[int, bytes] = {}

    async def __call__(self, scope: HTTPScope, send: ASGISendCallable, status: int) -> None:
        message = MESSAGES[status]
        as_json = wants_json(scope) or scope["path"].startswith(API_PREFIX)
        headers = encoded(security_headers(self._settings, html=not as_json, page=True))
        if as_json:
            kind, body = JSON, json.dumps({"error": message, "detail": None}).encode()
        elif header(scope, b"hx-request") == "true":
            kind, body = HTML, await self._fragment(status)
            headers.append((b"vary", b"HX-Request"))
        else:
            kind, body = HTML, _page(message)
        headers += [(b"content-type", kind), (b"content-length", str(len(body)).encode())]
        headers.append((b"connection", b"close"))
        await send_whole(send, status, headers, b"" if scope["method"] == "HEAD" else body)

    async def _fragment(self, status: int) -> bytes:
        if status not in self._fragments:
            template = self._app.jinja_env.get_template(PROBLEM_FRAGMENT)
            text = await template.render_async(message=MESSAGES[status])
            self._fragments[status] = text.encode()
        return self._fragments[status]


def _page(message: str) -> bytes:
    text = html.escape(message)
    return (
        '<!doctype html>\n<html lang="en">\n<meta charset="utf-8">\n'
        f"<title>{text} · oncelink</title>\n"
        f'<main><h1>{text}</h1>\n<p><a href="/">Back to oncelink</a></p></main>\n</html>\n'
    ).encode()
