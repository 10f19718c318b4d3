"""A minimal HTTP/1.1 client on bare asyncio streams, for racing many requests at once.

httpx's pool serializes work under thousands of concurrent requests and becomes the
bottleneck; one connection per request here makes every request a truly separate client."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit


async def request(
    method: str, url: str, *, headers: dict[str, str] | None = None, body: bytes = b""
) -> tuple[int, bytes]:
    """Send one request on its own connection; return the status and the body."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 80)
    try:
        lines = [
            f"{method} {parts.path or '/'} HTTP/1.1",
            f"Host: {parts.netloc}",
            f"Content-Length: {len(body)}",
            "Connection: close",
        ]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await writer.drain()
        response = await reader.read()
    finally:
        writer.close()
    head, _, payload = response.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, payload
