"""The per-app objects views and commands share: settings, clock, signer, database, and the
writer that redeems links."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from quart import Quart, current_app

from .clock import Clock
from .config import Settings
from .database import Database, database_for, is_postgres, sqlite_path
from .group_commit import GroupCommitWriter
from .ratelimit import Limits
from .redis_ratelimit import shared_limits
from .tokens import LinkSigner
from .transaction_writer import TransactionWriter

EXTENSION_KEY = "oncelink"


@dataclass(frozen=True)
class Services:
    settings: Settings
    clock: Clock
    signer: LinkSigner
    db: Database
    limits: Limits | None  # None when ONCELINK_RATE_LIMITS=off
    writer: GroupCommitWriter | TransactionWriter  # redeems links

    def link_url(self, token: str) -> str:
        """Links are built from BASE_URL, never from the request's Host header."""
        return f"{self.settings.base_url}/connect/{token}"


def build_services(settings: Settings, clock: Clock) -> Services:
    signer = LinkSigner(settings.signing_keys, max_ttl=settings.max_ttl, clock=clock)
    limits = None
    if settings.rate_limits:
        redis_url = settings.redis_url
        limits = shared_limits(clock, redis_url) if redis_url else Limits.standard(clock)
    db = database_for(settings.database)
    # SQLite takes one writer at a time: batching claims into shared transactions pays.
    # PostgreSQL runs transactions side by side and groups their commits itself.
    writer: GroupCommitWriter | TransactionWriter = (
        TransactionWriter(db, clock)
        if is_postgres(settings.database)
        else GroupCommitWriter(sqlite_path(settings.database), clock)
    )
    return Services(settings, clock, signer, db, limits, writer)


def install(app: Quart, services: Services) -> None:
    app.extensions[EXTENSION_KEY] = services


def services_of(app: Quart) -> Services:
    return cast(Services, app.extensions[EXTENSION_KEY])


def current_services() -> Services:
    return services_of(current_app)
