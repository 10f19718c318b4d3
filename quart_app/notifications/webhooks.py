"""A user's webhooks: add one (its secret is shown once), list, delete, send a test event,
and read its log of deliveries. At most 10 a user; each URL is https (http only for this
machine, in tests) and must not lead to a private or local address."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from ..services import Services
from ..storage.queries import destinations, outbox
from ..storage.queries.destinations import WEBHOOK, Destination, NewWebhook
from ..storage.queries.outbox import Attempt
from ..storage.queries.users import User
from .outbox import new_notice
from .signing import new_secret
from .types import CHOSEN_TYPES, Notice, NoticeType, mask_of, types_in

MAX_WEBHOOKS = 10
WEBHOOK_ID_PATTERN = "[A-Za-z0-9_-]{16}"  # what secrets.token_urlsafe(12) makes
_WEBHOOK_ID = re.compile(WEBHOOK_ID_PATTERN)
LOG_LENGTH = 100  # attempts shown in a webhook's log
CHOOSE_EVENTS = "Choose at least one event."


@dataclass(frozen=True)
class Webhook:
    id: str
    url: str
    events: list[NoticeType]
    created_at: float


@dataclass(frozen=True)
class CreatedWebhook:
    webhook: Webhook
    secret: str  # whsec_...: shown once


class TooManyWebhooks(Exception):
    """The user has MAX_WEBHOOKS already."""


def _webhook(row: Destination) -> Webhook:
    return Webhook(row.id, row.target, types_in(row.events), row.created_at)


def chosen_events(names: Iterable[str]) -> list[NoticeType] | None:
    """The event types named, in their usual order; None if a name is not one of them."""
    wanted = set(names)
    if not wanted <= {t.value for t in CHOSEN_TYPES}:
        return None
    return [t for t in CHOSEN_TYPES if t.value in wanted]


async def create_webhook(
    services: Services,
    owner: User,
    url: str,
    events: list[NoticeType],
    *,
    form_nonce: str | None = None,
) -> CreatedWebhook | None:
    """Add a webhook; the caller has checked the URL and events. None: a form with this
    nonce made one already. Raises TooManyWebhooks."""
    new = NewWebhook(secrets.token_urlsafe(12), url, mask_of(events), new_secret())
    now = services.clock()
    async with services.db.transaction() as conn:
        added = await destinations.insert_webhook(
            conn, owner.id, new, now=now, most=MAX_WEBHOOKS, form_nonce=form_nonce
        )
    if added is False:
        raise TooManyWebhooks
    if added is None:
        return None
    return CreatedWebhook(Webhook(new.id, url, events, now), new.secret)


async def webhooks_of(services: Services, owner: User) -> list[Webhook]:
    rows = await destinations.destinations_of(services.db.reader, owner.id, WEBHOOK)
    return [_webhook(row) for row in rows]


def _could_be_webhook_id(text: str) -> bool:
    """False for what no webhook id looks like (a fuzzer's path segment, which some
    databases could not even look up, such as one with a NUL in it)."""
    return _WEBHOOK_ID.fullmatch(text) is not None


async def webhook_of(services: Services, owner: User, webhook_id: str) -> Webhook | None:
    if not _could_be_webhook_id(webhook_id):
        return None
    row = await destinations.destination_of(services.db.reader, owner.id, webhook_id, WEBHOOK)
    return None if row is None else _webhook(row)


async def webhook_by_form_nonce(services: Services, owner: User, nonce: str) -> Webhook | None:
    row = await destinations.destination_by_form_nonce(services.db.reader, owner.id, nonce)
    return None if row is None or row.kind != WEBHOOK else _webhook(row)


async def delete_webhook(services: Services, owner: User, webhook_id: str) -> bool:
    """False if the owner has no such webhook."""
    if not _could_be_webhook_id(webhook_id):
        return False
    async with services.db.transaction() as conn:
        return await destinations.delete_destination(conn, owner.id, webhook_id)


async def send_test(services: Services, owner: User, webhook_id: str) -> str | None:
    """Queue a test event for the webhook: its message id; None if it is not the owner's."""
    if not _could_be_webhook_id(webhook_id):
        return None
    notice = new_notice(Notice(NoticeType.TEST, services.clock()))
    async with services.db.transaction() as conn:
        queued = await outbox.insert_notice_to(conn, notice, owner.id, webhook_id)
    return notice.message_id if queued else None


async def deliveries_of(services: Services, owner: User, webhook_id: str) -> list[Attempt] | None:
    """The webhook's latest attempts, newest first; None if it is not the owner's."""
    if await webhook_of(services, owner, webhook_id) is None:
        return None
    return await outbox.attempts_of(services.db.reader, webhook_id, limit=LOG_LENGTH)
