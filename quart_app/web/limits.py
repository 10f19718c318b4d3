"""Every rate limit the web edge applies, and the one way going over one is answered: 429
with ``Retry-After``, as a page, as JSON, or (for the password forms) on the form itself."""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Awaitable, Callable

from werkzeug.exceptions import TooManyRequests

from .. import accounts
from ..ratelimit.local import Limiter
from ..ratelimit.slots import Slots
from ..services import Services
from ..words import plural
from .addresses import client_address
from .context import current_services

TOO_MANY = "Too many requests. Wait a little and try again."
TOO_MANY_STREAMS = "Too many live views are open. Close some tabs, or reload this page later."
Release = Callable[[], Awaitable[None]]


class RateLimited(TooManyRequests):
    """Over a limit. ``errors`` answers it as a page or as JSON; the login form catches it."""

    def __init__(self, wait: int, message: str = TOO_MANY) -> None:
        super().__init__(description=message, retry_after=wait)
        self.wait = wait
        self.detail = f"Try again in {wait} {plural(wait, 'second')}."


async def _count(limiter: Limiter, key: str, message: str) -> None:
    """Count one event; raise RateLimited once over the limit (a refused hit counts nothing)."""
    wait = await limiter.hit(key)
    if wait is not None:
        raise RateLimited(wait, message)


async def limit_redemption(services: Services, address: str) -> int | None:
    """Count a redemption from ``address``; the wait if over its limit. The door asks this
    too, so both count under one key."""
    if services.limits is None:
        return None
    return await services.limits.redeem_per_address.hit(address)


async def limit_redemptions() -> None:
    wait = await limit_redemption(current_services(), client_address())
    if wait is not None:
        raise RateLimited(wait)


async def limit_passphrase_checks() -> None:
    """Count a passphrase to try against the client's address, before its key derivation."""
    limits = current_services().limits
    if limits is not None:
        message = "Too many passphrases tried. Wait a little and try again."
        await _count(limits.passphrase_per_address, client_address(), message)


def busy_deriving() -> RateLimited:
    """Too many passphrases are being checked in this process right now."""
    return RateLimited(1, "Too many passphrases are being checked right now. Try again soon.")


async def limit_api_calls(token: str) -> None:
    """Count the call against its token, before any database work, known token or not."""
    limits = current_services().limits
    if limits is not None:
        key = hashlib.sha256(token.encode()).hexdigest()
        await _count(limits.api_per_token, key, "Too many requests with this API token.")


async def hold_live_stream(session_id: str | None, seconds: float) -> Release:
    """Hold a slot for one more live stream of this session and of this client address,
    for at most ``seconds``; what to call when the stream ends. Raises RateLimited if the
    session or the address already holds all of its slots: each stream re-renders the
    share list at every change. Without a session (logged out) the stream ends at once,
    and holds nothing."""
    limits = current_services().limits
    if limits is None or session_id is None:
        return _nothing_held
    ticket, until = secrets.token_urlsafe(12), current_services().clock() + seconds
    session = hashlib.sha256(session_id.encode()).hexdigest()
    wanted = ((limits.streams_per_session, session), (limits.streams_per_address, client_address()))
    held: list[tuple[Slots, str]] = []

    async def release() -> None:
        for slots, key in held:
            await slots.release(key, ticket)

    for slots, key in wanted:
        if not await slots.take(key, ticket, until):
            await release()
            raise RateLimited(math.ceil(seconds), TOO_MANY_STREAMS)
        held.append((slots, key))
    return release


async def _nothing_held() -> None:
    return None


async def limit_password_check(name: str) -> None:
    """Count a check of the password of ``name`` before it runs, wherever it is asked for
    (logging in, changing the password): against the client's address, and against the
    name. Counted first, so that checks sent at the same moment cannot all run; a check that
    finds the right password is taken back (``password_was_right``)."""
    limits = current_services().limits
    if limits is None:
        return
    await _count(limits.login_per_address, client_address(), "Too many attempts.")
    await _count(limits.login_per_user, _name_key(name), "Too many attempts.")


async def password_was_right(name: str) -> None:
    limits = current_services().limits
    if limits is not None:
        await limits.login_per_user.refund(_name_key(name))


def _name_key(name: str) -> str:
    # As names are matched: normalised, and without case. Bounded: the limiter keeps keys.
    return accounts.normal_name(name).lower()[: accounts.MAX_NAME_CHARS + 1]
