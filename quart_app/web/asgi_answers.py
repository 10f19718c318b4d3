"""Answering below Quart, at the ASGI level, as the intake and the door do: a request's
headers as the scope holds them, whether the client prefers JSON, and a whole answer."""

from __future__ import annotations

import functools

from hypercorn.typing import (
    ASGISendCallable,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    HTTPScope,
)
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from .rendering import prefers_json

HTML = b"text/html; charset=utf-8"
JSON = b"application/json"
Headers = list[tuple[bytes, bytes]]
MAX_CACHED_ACCEPT = 256  # bytes; longer Accept headers are parsed each time, not kept


def header(scope: HTTPScope, name: bytes) -> str | None:
    """The first value of the header ``name`` (lower case), as Quart would decode it."""
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


def wants_json(scope: HTTPScope) -> bool:
    """As ``rendering.wants_json`` decides for a request Quart has parsed."""
    accept = b",".join(value for name, value in scope["headers"] if name == b"accept")
    if len(accept) > MAX_CACHED_ACCEPT:
        return _accept_prefers_json.__wrapped__(accept)
    return _accept_prefers_json(accept)


@functools.lru_cache(maxsize=256)
def _accept_prefers_json(accept: bytes) -> bool:
    # Clients send a few distinct Accept headers, each parsed once: parsing took a twentieth
    # of the time of a rejected link.
    return prefers_json(parse_accept_header(accept.decode("latin-1"), MIMEAccept))


def encoded(headers: list[tuple[str, str]]) -> Headers:
    return [(name.lower().encode(), value.encode()) for name, value in headers]


async def send_whole(send: ASGISendCallable, status: int, headers: Headers, body: bytes) -> None:
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": status,
        "headers": headers,
        "trailers": False,
    }
    await send(start)
    end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
    await send(end)
