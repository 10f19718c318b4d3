"""The floor: a bare ASGI callable, so a row of it shows what a request through Hypercorn
alone costs on this machine (no framework, no work)."""

from __future__ import annotations

from typing import Any

BODY = b'{"state": "hello"}'
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
