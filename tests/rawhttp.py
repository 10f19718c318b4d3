"""A minimal HTTP/1.1 client on bare asyncio streams, for racing many requests at once.

httpx's pool serializes work under thousands of concurrent requests and becomes the
bottleneck; one connection per request here makes every request a truly separate client."""

from __future__ import annotations

import asyncio
import contextlib
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
    if len(payload) < _content_length(head):
        # As any HTTP client would: an answer cut short (the server died mid-way) is none.
        raise ValueError(f"response cut short: {len(payload)} bytes of {_content_length(head)}")
    return status, payload


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


class KeepAlive:
    """One HTTP/1.1 connection kept open for request after request, as a browser keeps it:
    many requests at once without paying for a connection each."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str):
        self._reader, self._writer, self._host = reader, writer, host

    @classmethod
    async def open(cls, base_url: str) -> KeepAlive:
        parts = urlsplit(base_url)
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 80)
        return cls(reader, writer, parts.netloc)

    async def request(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> tuple[int, bytes]:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self._host}", f"Content-Length: {len(body)}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await self._writer.drain()
        head = await self._reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        return status, await self._reader.readexactly(_content_length(head))

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(OSError):
            await self._writer.wait_closed()
