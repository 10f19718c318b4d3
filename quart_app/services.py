"""The objects every part of oncelink shares, per app or command: settings, clock, signer,
database, the redeemer that claims links, the rate limits, the audit trail's buffer, the
passphrases' key derivations, the keys that encrypt notes at rest, and the sender of
notifications."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from .audit import EventBuffer
from .clock import Clock, system_clock
from .config import Settings, load_settings
from .links.tokens import LinkSigner
from .note_keys import NoteKeys
from .notifications.mail import Mailer, mailer_for
from .notifications.sender import Sender
from .passphrases import KeyDerivations
from .paths import LINK_PATH, REQUEST_PATH
from .ratelimit.local import Limits
from .ratelimit.shared import shared_limits
from .storage.base import Database, Redeemer
from .storage.opener import storage_for


@dataclass(frozen=True)
class Services:
    settings: Settings
    clock: Clock
    signer: LinkSigner
    db: Database
    redeemer: Redeemer
    limits: Limits | None  # None when ONCELINK_RATE_LIMITS=off
    audit: EventBuffer  # views and refusals, written after the answer
    derivations: KeyDerivations
    note_keys: NoteKeys
    mailer: Mailer | None  # None without ONCELINK_SMTP_URL
    sender: Sender  # delivers the outbox of notifications

    def link_url(self, token: str) -> str:
        """Links are built from BASE_URL, never from the request's Host header."""
        return f"{self.settings.base_url}{LINK_PATH}{token}"

    def request_url(self, token: str) -> str:
        """A request's link, built from BASE_URL like every link."""
        return f"{self.settings.base_url}{REQUEST_PATH}{token}"


def build_services(settings: Settings, clock: Clock) -> Services:
    """Everything wired up; nothing is opened or started yet."""
    signer = LinkSigner(settings.signing_keys, max_ttl=settings.max_ttl, clock=clock)
    limits = None
    if settings.rate_limits:
        redis_url = settings.redis_url
        limits = shared_limits(clock, redis_url) if redis_url else Limits.standard(clock)
    storage = storage_for(settings.database, clock)
    mailer = mailer_for(settings)
    return Services(
        settings,
        clock,
        signer,
        storage.db,
        storage.redeemer,
        limits,
        EventBuffer(storage.db),
        KeyDerivations(),
        NoteKeys(settings.note_keys),
        mailer,
        Sender(storage.db, clock, settings, mailer),
    )


async def start(services: Services) -> None:
    """Open the database and start what runs beside the requests."""
    await services.db.open()
    await services.redeemer.start()
    await services.audit.start()


async def stop(services: Services) -> None:
    """Write what is pending and close, in the order that loses nothing."""
    try:
        await services.audit.stop()
    finally:
        services.derivations.close()
        await services.redeemer.stop()
        await services.db.close()


@asynccontextmanager
async def open_services(settings: Settings | None = None) -> AsyncIterator[Services]:
    """Services with an open database, for commands that run outside a server."""
    services = build_services(settings or load_settings(), system_clock)
    await start(services)
    try:
        yield services
    finally:
        await stop(services)
