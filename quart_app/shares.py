"""Creating, listing and revoking shares and their links: the one service layer that the
dashboard, the API and the CLI all call."""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from .links.states import LinkState, closed_state, signature_verdict
from .services import Services
from .share_requests import ShareRequest
from .storage.base import Connection
from .storage.queries import ledger, users
from .storage.queries import shares as queries
from .storage.queries.shares import Share
from .storage.queries.users import User

_SHARE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class IssuedLink:
    url: str
    expires_at: float


@dataclass(frozen=True)
class CreatedShare:
    share: Share
    links: list[IssuedLink]


@dataclass(frozen=True)
class AlreadyCreated:
    """A form sent a second time: the share it made the first time. Its links are not
    shown again, since the server keeps none."""

    share: Share


@dataclass(frozen=True)
class ShareStatus:
    """A share's links as its owner sees them. Every link issued is counted once, as used,
    revoked, expired or left: the four always add up to the links issued."""

    share: Share
    uses: list[float]  # when each link was used, oldest first
    expired: bool

    @property
    def links_left(self) -> int:
        """Links that still work."""
        return self._unspent if self._is_live else 0

    @property
    def links_revoked(self) -> int:
        """Links revoked one by one, with the share, or by "revoke all" before they ran out."""
        dead = 0 if self._is_live or self._ran_out else self._unspent
        return self.share.links_revoked + dead

    @property
    def links_expired(self) -> int:
        """Links whose time ran out before anyone used or revoked them."""
        return self._unspent if not self._is_live and self._ran_out else 0

    @property
    def _unspent(self) -> int:
        share = self.share
        return max(0, share.links_issued - share.links_used - share.links_revoked)

    @property
    def _is_live(self) -> bool:
        share = self.share
        return not (share.note_erased or share.revoked_at is not None or self.expired)

    @property
    def _ran_out(self) -> bool:
        """Whether the links nobody used died of age rather than by a revocation."""
        share = self.share
        revoked_at = share.revoked_at
        return self.expired and (revoked_at is None or revoked_at >= share.expires_at)

    @property
    def state(self) -> str:
        """``open``, ``used`` (every link), ``expired``, ``revoked`` or ``closed``."""
        share = self.share
        if share.revoked_at is not None:
            return "revoked"
        if share.links_issued and share.links_used >= share.links_issued:
            return "used"
        if self.expired:
            return "expired"
        return "closed" if self.links_left == 0 else "open"


def new_share_id() -> str:
    return secrets.token_urlsafe(12)


def could_be_share_id(text: str) -> bool:
    """False for what no share id looks like, such as path segments sent by a fuzzer: they
    are nobody's share, and some of them no database could even look up."""
    return _SHARE_ID.fullmatch(text) is not None


@asynccontextmanager
async def _changing_shares_of(services: Services, owner: User) -> AsyncIterator[Connection]:
    """A write transaction that changes the owner's shares; once it committed, the owner's
    live dashboards hear of it, in every process."""
    async with services.db.transaction() as conn:
        yield conn
    await services.db.announce_change(owner.id)


async def create_share(services: Services, owner: User, request: ShareRequest) -> CreatedShare:
    """Store the note and issue its links. The caller has checked ``problems_with``."""
    created = await _store(services, owner, request, form_nonce=None)
    assert isinstance(created, CreatedShare)
    return created


async def create_share_once(
    services: Services, owner: User, request: ShareRequest, form_nonce: str | None
) -> CreatedShare | AlreadyCreated:
    """As ``create_share``, for a form that carries a one-time nonce: however often it is
    sent (a reload of the answer's page, a second click, at once or later), one share is
    made, and every later sending is answered with that share. (Without a nonce there is
    nothing to tell a form sent again by: each sending makes a share.)"""
    return await _store(services, owner, request, form_nonce=form_nonce)


async def _store(
    services: Services, owner: User, request: ShareRequest, *, form_nonce: str | None
) -> CreatedShare | AlreadyCreated:
    share_id = new_share_id()
    async with _changing_shares_of(services, owner) as conn:
        if not await queries.insert_share(
            conn,
            share_id,
            owner.id,
            label=request.label,
            note=request.note,
            ttl=request.ttl,
            now=services.clock(),
            form_nonce=form_nonce,
        ):
            assert form_nonce is not None
            earlier = await queries.share_by_form_nonce(conn, owner.id, form_nonce)
            assert earlier is not None
            return AlreadyCreated(earlier)
        links = await _issue(services, conn, owner, share_id, request.links, request.ttl)
        share = await queries.share_of(conn, owner.id, share_id)
    assert share is not None
    assert links is not None
    return CreatedShare(share, links)


async def issue_links(
    services: Services, owner: User, share_id: str, count: int, ttl: int | None
) -> list[IssuedLink] | None:
    """More links for a share; None if it is not the owner's or is closed. The caller has
    checked ``link_problems``."""
    if not could_be_share_id(share_id):
        return None
    async with _changing_shares_of(services, owner) as conn:
        share = await queries.share_of(conn, owner.id, share_id)
        if share is None:
            return None
        # MAX_TTL may have been lowered since the share was made.
        ttl = ttl or min(share.default_ttl, services.settings.max_ttl)
        return await _issue(services, conn, owner, share_id, count, ttl)


async def _issue(
    services: Services, conn: Connection, owner: User, share_id: str, count: int, ttl: int
) -> list[IssuedLink] | None:
    # The generation is read inside the transaction, so "revoke all" cannot slip between.
    user = await users.user_by_id(conn, owner.id)
    assert user is not None
    expires_at = int(services.clock()) + ttl
    if not await queries.record_issued_links(conn, share_id, count, expires_at):
        return None
    issue = services.signer.issue
    return [
        IssuedLink(
            services.link_url(issue(share_id, ttl=ttl, generation=user.link_generation)), expires_at
        )
        for _ in range(count)
    ]


async def list_shares(
    services: Services, owner: User, *, limit: int, before: int | None = None
) -> list[ShareStatus]:
    conn = services.db.reader
    shares = await queries.shares_page(conn, owner.id, limit=limit, before=before)
    uses = await queries.uses_of(conn, (share.id for share in shares))
    now = services.clock()
    return [ShareStatus(share, uses[share.id], share.expires_at <= now) for share in shares]


async def share_status(services: Services, owner: User, share_id: str) -> ShareStatus | None:
    if not could_be_share_id(share_id):
        return None
    share = await queries.share_of(services.db.reader, owner.id, share_id)
    if share is None:
        return None
    uses = await queries.uses_of(services.db.reader, [share_id])
    return ShareStatus(share, uses[share_id], share.expires_at <= services.clock())


async def revoke_share(services: Services, owner: User, share_id: str) -> bool:
    """Burn every link of the share and erase its note; False if it is not the owner's."""
    if not could_be_share_id(share_id):
        return False
    async with _changing_shares_of(services, owner) as conn:
        return await queries.revoke_share(conn, owner.id, share_id, now=services.clock())


async def revoke_all_links(services: Services, owner: User) -> None:
    """Every link the owner ever issued stops working, with no per-link write; the counts
    of the owner's shares say so, and their notes, which no link can reach now, are erased."""
    async with _changing_shares_of(services, owner) as conn:
        await users.bump_link_generation(conn, owner.id)
        await queries.revoke_unspent_links(conn, owner.id, now=services.clock())


async def revoke_link(services: Services, owner: User, token: str) -> LinkState:
    """Revoke one link by its token. Answers REVOKED, or why not: USED, EXPIRED or INVALID
    (which includes links of other users' shares, so they cannot be probed)."""
    claims = signature_verdict(services.signer, token)
    if isinstance(claims, LinkState):
        return claims
    async with _changing_shares_of(services, owner) as conn:
        share = await queries.share_of(conn, owner.id, claims.share_id, lock=True)
        if share is None:
            return LinkState.INVALID
        # A used link stays used, whatever happened to its share since.
        entry = await ledger.ledger_entry(conn, claims.jti)
        if entry is not None:
            return closed_state(entry)
        user = await users.user_by_id(conn, owner.id)
        if share.revoked_at is not None or (user and user.link_generation != claims.generation):
            return LinkState.REVOKED  # already dead: counting it again would skew the share
        now = services.clock()
        if not await ledger.claim(conn, claims.jti, claims.share_id, now=now, revoke=True):
            return closed_state(await ledger.ledger_entry(conn, claims.jti))
        await ledger.count_use(conn, claims.share_id, revoked=True)
    return LinkState.REVOKED
