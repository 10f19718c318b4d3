"""A user's mail address for notifications: set on the account page, confirmed through a
one-time link oncelink mails to it (signed under a salt of its own, naming the address by a
jti), then mailed the events its owner chose. Until confirmed it gets nothing else."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from enum import StrEnum

from ..links.tokens import LinkExpired, LinkInvalid
from ..paths import MAIL_CONFIRMATION_PATH
from ..services import Services
from ..storage.queries import destinations
from ..storage.queries.destinations import MAIL, Destination
from ..storage.queries.users import User
from .mail import MailError, confirmation_mail
from .types import NoticeType, mask_of, types_in

MAX_ADDRESS_CHARS = 254
CONFIRM_FOR = 24 * 3600
DEFAULT_EVENTS = (
    NoticeType.LINK_GRANTED,
    NoticeType.LINK_LOCKED,
    NoticeType.SHARE_EXPIRED,
    NoticeType.REQUEST_ANSWERED,
)
# Enough to catch typing slips; the confirmation mail proves the rest.
_ADDRESS = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")


class Confirmation(StrEnum):
    OPEN = "open"
    DONE = "done"  # used already, or replaced by a newer address
    EXPIRED = "expired"
    INVALID = "invalid"


class MailNotSent(Exception):
    """The confirmation mail could not be sent; the message says why."""


@dataclass(frozen=True)
class MailSetting:
    address: str
    confirmed: bool
    events: list[NoticeType]


def address_problem(address: str) -> str | None:
    if not address.strip():
        return "Give the address to send notifications to."
    if len(address) > MAX_ADDRESS_CHARS or not address.isprintable():
        return f"Use an address of at most {MAX_ADDRESS_CHARS} characters."
    if not _ADDRESS.fullmatch(address.strip()):
        return "This is not a mail address: it looks like name@example.com."
    return None


async def mail_setting(services: Services, owner: User) -> MailSetting | None:
    found = await destinations.destinations_of(services.db.reader, owner.id, MAIL)
    if not found:
        return None
    row = found[0]
    return MailSetting(row.target, row.confirmed_at is not None, types_in(row.events))


async def set_address(services: Services, owner: User, address: str) -> None:
    """Keep ``address`` unconfirmed and mail it the link that confirms it. Raises
    MailNotSent (the address stays, unconfirmed: sending again sends a new link)."""
    if services.mailer is None:
        raise MailNotSent("mail is not set up on this server")
    jti, address = secrets.token_urlsafe(16), address.strip()
    async with services.db.transaction() as conn:
        await destinations.set_mail_address(
            conn,
            owner.id,
            secrets.token_urlsafe(12),
            address,
            jti=jti,
            events=mask_of(DEFAULT_EVENTS),
            now=services.clock(),
        )
    token = services.signer.issue_mail_confirmation(jti, ttl=CONFIRM_FOR)
    url = f"{services.settings.base_url}{MAIL_CONFIRMATION_PATH}{token}"
    try:
        await services.mailer.send(confirmation_mail(address, owner.name, url))
    except MailError as error:
        raise MailNotSent(str(error) or type(error).__name__) from None


async def confirmation(services: Services, token: str) -> tuple[Confirmation, Destination | None]:
    """What the confirmation link is worth now, without changing anything."""
    try:
        claims = services.signer.verify_mail_confirmation(token, max_age=CONFIRM_FOR)
    except LinkExpired:
        return Confirmation.EXPIRED, None
    except LinkInvalid:
        return Confirmation.INVALID, None
    pending = await destinations.pending_mail_address(services.db.reader, claims.jti)
    return (Confirmation.DONE, None) if pending is None else (Confirmation.OPEN, pending)


async def confirm(services: Services, token: str) -> tuple[Confirmation, str | None]:
    """Confirm the address the link was sent to, once: OPEN and the address for the one
    caller that did; otherwise why not."""
    state, _ = await confirmation(services, token)
    if state is not Confirmation.OPEN:
        return state, None
    claims = services.signer.verify_mail_confirmation(token, max_age=CONFIRM_FOR)
    async with services.db.transaction() as conn:
        address = await destinations.confirm_mail_address(conn, claims.jti, now=services.clock())
    return (Confirmation.OPEN, address) if address else (Confirmation.DONE, None)


async def set_events(services: Services, owner: User, events: list[NoticeType]) -> bool:
    """Mail these events to the owner's address; False if there is none."""
    found = await destinations.destinations_of(services.db.reader, owner.id, MAIL)
    if not found:
        return False
    async with services.db.transaction() as conn:
        await destinations.set_events(conn, owner.id, found[0].id, mask_of(events))
    return True


async def remove_address(services: Services, owner: User) -> None:
    for row in await destinations.destinations_of(services.db.reader, owner.id, MAIL):
        async with services.db.transaction() as conn:
            await destinations.delete_destination(conn, owner.id, row.id)
