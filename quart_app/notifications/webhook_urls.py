"""Which URLs a webhook may have: https to a public address, by its host name (http, and
loopback, only when ONCELINK_WEBHOOK_ALLOW_PRIVATE=on, for tests). ``URL_PATTERN`` is the
rule as the API's document states it; ``url_problem`` applies it, then looks the name up."""

from __future__ import annotations

import asyncio
import re
import socket
from urllib.parse import urlsplit

from . import outbound

MAX_URL_CHARS = 2000
RESOLVE_TIMEOUT = 3.0
EXAMPLE_URL = "https://hooks.example.com/oncelink"
_LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PORT = "(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})"
# https://, a host name ending in a top-level domain, a port, then any printable ASCII.
URL_PATTERN = f"^https://(?:{_LABEL}\\.)+[A-Za-z]{{2,63}}(?::{_PORT})?(?:[/?#][!-~]*)?$"
_URL = re.compile(URL_PATTERN)


async def url_problem(url: str, *, allow_private: bool) -> str | None:
    """What keeps oncelink from posting to the URL, for its owner; None if nothing. A name
    that does not resolve now passes: it is looked up again at every delivery."""
    problem = written_problem(url)
    if problem is not None:
        return problem
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        async with asyncio.timeout(RESOLVE_TIMEOUT):
            await outbound.checked_addresses(
                parts.hostname or "", port, allow_private=allow_private
            )
    except outbound.Refused as refused:
        return f"oncelink sends events to public addresses only: {refused}."
    except (OSError, TimeoutError, UnicodeError):
        return None
    return None


def written_problem(url: str) -> str | None:
    """What is wrong with the URL as written, before any look-up."""
    if not url.strip():
        return "Give the URL that should receive the events."
    if len(url) > MAX_URL_CHARS or not (url.isascii() and url.isprintable()) or " " in url:
        return f"Use a URL of at most {MAX_URL_CHARS} characters, without spaces."
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - raises on a port out of range
    except ValueError:
        return "The URL's port is not valid."
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "Use an https:// URL."
    if parts.username is not None or parts.password is not None:
        return "Leave the user name and password out of the URL."
    if parts.scheme == "http" and not outbound.is_loopback_host(parts.hostname):
        return "Use an https:// URL: events must not travel unencrypted."
    # An address instead of a name is for the look-up to judge.
    if not (_URL.match(url) or _is_address(parts.hostname)):
        return f"Use an https:// URL with the receiver's host name, such as {EXAMPLE_URL}."
    return None


def _is_address(host: str) -> bool:
    """Whether the host is localhost or an IP address in any spelling the resolver reads as
    one (``127.1``, ``0x7f000001`` and ``2130706433`` are all 127.0.0.1)."""
    if outbound.is_loopback_host(host) or ":" in host:  # IPv6, which inet_aton does not read
        return True
    try:
        socket.inet_aton(host)
    except OSError:
        return False
    return True
