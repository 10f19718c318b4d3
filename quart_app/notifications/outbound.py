"""Posting to a webhook URL, which its owner may point anywhere: so only to public addresses
(unless ONCELINK_WEBHOOK_ALLOW_PRIVATE=on), resolved once and connected to as checked (a
name that resolves again to something else meanwhile changes nothing), with no redirect
followed, an answer within 5 s, and at most 64 KiB of it read.

A minimal HTTP/1.1 client on asyncio's streams: general clients resolve names themselves
when they connect, which is exactly the second look this must not take."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

TIMEOUT = 5.0
MAX_ANSWER = 64 * 1024
USER_AGENT = "oncelink-webhooks/1"
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class Refused(Exception):
    """The URL may not be posted to; the message says why, for its owner."""


@dataclass(frozen=True)
class Reply:
    status: int | None  # None when no answer came
    error: str | None  # None when the answer was a 2xx


def is_public(address: IPAddress) -> bool:
    """Whether an address is one of the internet's, not this machine's or a private
    network's: loopback, private, link-local, multicast and reserved ranges are not."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def is_loopback_host(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def checked_addresses(host: str, port: int, *, allow_private: bool) -> list[str]:
    """The addresses ``host`` resolves to, once, if every one of them may be reached.
    Raises Refused, or OSError when the name does not resolve."""
    found = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    if not allow_private:
        for address in addresses:
            if not is_public(ipaddress.ip_address(address.partition("%")[0])):
                raise Refused(f"{host} is a private or local address ({address})")
    return addresses


async def post(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    allow_private: bool,
    tls: ssl.SSLContext,
) -> Reply:
    """POST ``body`` as JSON; the reply's status, or why there was none."""
    try:
        async with asyncio.timeout(TIMEOUT):
            status = await _exchange(url, body, headers, allow_private=allow_private, tls=tls)
    except Refused as refused:
        return Reply(None, f"refused: {refused}")
    except TimeoutError:
        return Reply(None, f"no answer within {TIMEOUT:g} s")
    except ssl.SSLError as error:
        return Reply(None, f"TLS failed: {error.reason or error}")
    except OSError as error:
        return Reply(None, f"could not connect: {error.strerror or error}")
    except (ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        return Reply(None, "the answer was not HTTP")
    if 200 <= status < 300:
        return Reply(status, None)
    if 300 <= status < 400:
        return Reply(status, f"answered {status}: redirects are not followed")
    return Reply(status, f"answered {status}")


async def _exchange(
    url: str, body: bytes, headers: Mapping[str, str], *, allow_private: bool, tls: ssl.SSLContext
) -> int:
    parts = urlsplit(url)
    host = parts.hostname or ""
    secure = parts.scheme == "https"
    port = parts.port or (443 if secure else 80)
    addresses = await checked_addresses(host, port, allow_private=allow_private)
    reader, writer = await _connect(addresses, port, tls if secure else None, host)
    try:
        writer.write(_request(parts.netloc.rpartition("@")[2], parts, body, headers))
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")  # at most MAX_ANSWER: the stream's limit
        status = int(head.split(b" ", 2)[1])
        with contextlib.suppress(ValueError, OSError, asyncio.IncompleteReadError):
            await reader.readexactly(min(_content_length(head), MAX_ANSWER - len(head)))
        return status
    finally:
        writer.close()
        with contextlib.suppress(OSError, ssl.SSLError):
            await writer.wait_closed()


async def _connect(
    addresses: list[str], port: int, tls: ssl.SSLContext | None, host: str
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A connection to the first of the checked addresses that takes one."""
    for address in addresses[:-1]:
        with contextlib.suppress(OSError):
            return await _open(address, port, tls, host)
    return await _open(addresses[-1], port, tls, host)


async def _open(
    address: str, port: int, tls: ssl.SSLContext | None, host: str
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    # The certificate is checked for the URL's host name, whatever address it came from.
    return await asyncio.open_connection(
        address, port, ssl=tls, server_hostname=host if tls else None, limit=MAX_ANSWER
    )


def _request(authority: str, parts: SplitResult, body: bytes, headers: Mapping[str, str]) -> bytes:
    path = parts.path or "/"
    target = f"{path}?{parts.query}" if parts.query else path
    lines = [
        f"POST {target} HTTP/1.1",
        f"Host: {authority}",
        f"User-Agent: {USER_AGENT}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        "Connection: close",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + body


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return 0
