"""Invites: one-time links by which admins add users (the product eats its own cooking).

An invite link is ``BASE_URL/invite/<token>``. The token is signed under a salt of its own,
so it is never valid as a link or a setup token, nor they as an invite, and it names the
invite's row, which decides, exactly once, the one account the invite makes. Opening the
link (GET) only shows the form; the invitee's POST uses it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from enum import StrEnum

from . import accounts
from .links.tokens import LinkExpired, LinkInvalid
from .paths import INVITE_PATH
from .services import Services
from .storage.base import Connection
from .storage.queries import invites as queries
from .storage.queries.invites import Invite
from .storage.queries.users import User

DAY = 24 * 3600
DEFAULT_DAYS = 7
MAX_DAYS = 30
MAX_LABEL_CHARS = 100
# A token older than this is expired whatever it says; the row gives each its own lifetime.
MAX_AGE = MAX_DAYS * DAY


class InviteState(StrEnum):
    OPEN = "open"
    USED = "used"
    EXPIRED = "expired"
    REVOKED = "revoked"
    INVALID = "invalid"


class InviteClosed(Exception):
    """The invite cannot make an account; ``state`` says why."""

    def __init__(self, state: InviteState) -> None:
        super().__init__(state.value)
        self.state = state


class NameTaken(Exception):
    """Someone already has the name the invitee chose; the invite is still open."""


@dataclass(frozen=True)
class InviteRequest:
    is_admin: bool
    days: int
    label: str  # whom it is for, as the admin notes it; only admins see it


@dataclass(frozen=True)
class IssuedInvite:
    invite: Invite
    url: str  # shown once: the server keeps only the invite's jti


@dataclass(frozen=True)
class AlreadyInvited:
    """A form sent a second time: the invite it made the first time."""

    invite: Invite


def problems_with(request: InviteRequest) -> dict[str, str]:
    problems: dict[str, str] = {}
    if not 1 <= request.days <= MAX_DAYS:
        problems["days"] = f"Let the invite work for 1 to {MAX_DAYS} days."
    if len(request.label) > MAX_LABEL_CHARS:
        problems["label"] = f"Use at most {MAX_LABEL_CHARS} characters."
    elif "\x00" in request.label:  # PostgreSQL's text cannot hold it
        problems["label"] = "Remove the NUL character (\\0)."
    return problems


async def create_invite(
    services: Services,
    creator: User | None,
    request: InviteRequest,
    *,
    form_nonce: str | None = None,
) -> IssuedInvite | AlreadyInvited:
    """A new invite by ``creator`` (None: the command line). The caller has checked
    ``problems_with``. A form's nonce makes one invite however often the form is sent."""
    jti, ttl, now = secrets.token_urlsafe(16), request.days * DAY, services.clock()
    token = services.signer.issue_invite(jti, ttl=ttl)
    creator_id = None if creator is None else creator.id
    async with services.db.transaction() as conn:
        invite_id = await queries.insert_invite(
            conn,
            jti,
            creator_id,
            is_admin=request.is_admin,
            label=request.label.strip(),
            now=now,
            expires_at=int(now) + ttl,  # as the token counts: from its whole-second stamp
            form_nonce=form_nonce,
        )
        if invite_id is None:
            assert creator_id is not None
            assert form_nonce is not None
            earlier = await queries.invite_by_form_nonce(conn, creator_id, form_nonce)
            assert earlier is not None
            return AlreadyInvited(earlier)
        invite = await queries.invite_by_id(conn, invite_id)
    assert invite is not None
    return IssuedInvite(invite, f"{services.settings.base_url}{INVITE_PATH}{token}")


async def open_invites(services: Services) -> list[Invite]:
    """The invites that may still be used, newest first: the users page lists them."""
    return await queries.open_invites(services.db.reader, now=services.clock())


async def invite_state(services: Services, token: str) -> tuple[InviteState, Invite | None]:
    """What the invite link is worth now, without changing anything."""
    try:
        claims = services.signer.verify_invite(token, max_age=MAX_AGE)
    except LinkExpired:
        return InviteState.EXPIRED, None
    except LinkInvalid:
        return InviteState.INVALID, None
    invite = await queries.invite_by_jti(services.db.reader, claims.jti)
    return _state_of(invite, services.clock()), invite


def _state_of(invite: Invite | None, now: float) -> InviteState:
    if invite is None:
        return InviteState.INVALID
    if invite.used_at is not None:
        return InviteState.USED
    if invite.revoked_at is not None or invite.creator_disabled:
        return InviteState.REVOKED
    return InviteState.OPEN if invite.is_open(now) else InviteState.EXPIRED


async def accept_invite(services: Services, token: str, new_user: accounts.NewUser) -> int:
    """Make the invitee's account and use the invite up, in one transaction; the new user's
    id. However many requests race with one invite, one account is made. Raises
    InviteClosed, or NameTaken (the invite stays open). The caller has checked the user's
    ``accounts.problems_with``."""
    state, invite = await invite_state(services, token)
    if state is not InviteState.OPEN or invite is None:
        raise InviteClosed(state)
    if await accounts.name_is_taken(services, new_user.name):
        raise NameTaken  # before the slow hashing; the insert below decides for sure
    password_hash = await accounts.hash_password(new_user.password)
    async with services.db.transaction() as conn:
        user_id = await _claim_for(conn, services, invite.jti, new_user.name, password_hash)
    if user_id is None:
        # Another request used the invite a moment ago, or it closed meanwhile.
        raise InviteClosed((await invite_state(services, token))[0])
    return user_id


async def _claim_for(
    conn: Connection, services: Services, jti: str, name: str, password_hash: str
) -> int | None:
    """In the caller's transaction: the invite's one account, or None if the invite is no
    longer open."""
    is_admin = await queries.claim_invite(conn, jti, now=services.clock())
    if is_admin is None:
        return None
    user_id = await accounts.add_user_in(conn, services, name, password_hash, is_admin=is_admin)
    if user_id is None:
        raise NameTaken  # the transaction rolls back: the invite stays open
    await queries.record_invitee(conn, jti, user_id)
    return user_id


async def revoke_invite(services: Services, invite_id: int) -> bool:
    """False if there is no such invite, or it was used or revoked already."""
    async with services.db.transaction() as conn:
        return await queries.revoke_invite(conn, invite_id, now=services.clock())


async def invite_with_id(services: Services, invite_id: int) -> Invite | None:
    return await queries.invite_by_id(services.db.reader, invite_id)
