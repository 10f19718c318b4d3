"""Creating, listing and revoking shares and their links: the one service layer that the
dashboard, the API and the CLI all call."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from . import audit, passphrases
from .links.states import LinkState, closed_state, signature_verdict
from .services import Services
from .share_requests import ShareRequest
from .storage.base import Connection
from .storage.queries import events, ledger, requests, users
from .storage.queries import shares as queries
from .storage.queries.events import NO_LINK, EventKind
from .storage.queries.shares import Share
from .storage.queries.users import User

SHARE_ID_PATTERN = "[A-Za-z0-9_-]{1,64}"  # what new_share_id makes, with room to spare
_SHARE_ID = re.compile(SHARE_ID_PATTERN)


# What the share list flags: a link tried after it was closed, or locked.
ALARMS = (EventKind.REFUSED, EventKind.LOCKED)


@dataclass(frozen=True)
class IssuedLink:
    url: str
    expires_at: float
    number: int  # within its share, from 1
    recipient: str | None = None


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
    alarms: frozenset[EventKind] = frozenset()  # of ALARMS, what happened to its links

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
        if is_gone(share):
            return "revoked"
        if share.links_issued and share.links_used >= share.links_issued:
            return "used"
        if self.expired:
            return "expired"
        return "closed" if self.links_left == 0 else "open"


def is_gone(share: Share) -> bool:
    """Whether the share was revoked (deleted): its links and note are gone for good, while
    its history stays to be read. The API and the share's page answer it with 410 Gone."""
    return share.revoked_at is not None


def new_share_id() -> str:
    return secrets.token_urlsafe(12)


def could_be_share_id(text: str) -> bool:
    """False for what no share id looks like, such as path segments sent by a fuzzer: they
    are nobody's share, and some of them no database could even look up."""
    return _SHARE_ID.fullmatch(text) is not None


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
    """Store the note (sealed, with a passphrase; encrypted at rest) and issue its links."""
    request = request.trimmed()
    share_id = new_share_id()
    note, kdf = request.note, None
    if request.passphrase is not None:
        kdf = passphrases.new_kdf()
        async with services.derivations.turn():
            key = await services.derivations.derive(request.passphrase, kdf)
        note = passphrases.seal(note, key, share_id)
    stored = services.note_keys.seal(note, share_id)
    async with services.db.changing(owner.id) as conn:
        if not await queries.insert_share(
            conn,
            share_id,
            owner.id,
            label=request.label,
            note=stored.text,
            note_key=stored.wrapped_key,
            ttl=request.ttl,
            now=services.clock(),
            form_nonce=form_nonce,
            recipients=request.recipients or (),
            passphrase_kdf=kdf,
        ):
            assert form_nonce is not None
            earlier = await queries.share_by_form_nonce(conn, owner.id, form_nonce)
            assert earlier is not None
            return AlreadyCreated(earlier)
        links = await _issue(
            services, conn, owner, share_id, request.links, request.ttl, request.recipients or ()
        )
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
    async with services.db.changing(owner.id) as conn:
        share = await queries.share_of(conn, owner.id, share_id)
        if share is None:
            return None
        # MAX_TTL may have been lowered since the share was made.
        ttl = ttl or min(share.default_ttl, services.settings.max_ttl)
        return await _issue(services, conn, owner, share_id, count, ttl)


async def _issue(
    services: Services,
    conn: Connection,
    owner: User,
    share_id: str,
    count: int,
    ttl: int,
    names: Sequence[str] = (),
) -> list[IssuedLink] | None:
    """``count`` new links; link i is for ``names[i - 1]`` where the share names one."""
    # The generation is read inside the transaction, so "revoke all" cannot slip between.
    user = await users.user_by_id(conn, owner.id)
    assert user is not None
    expires_at = int(services.clock()) + ttl
    first = await queries.record_issued_links(conn, share_id, count, expires_at)
    if first is None:
        return None
    issue, generation = services.signer.issue, user.link_generation
    return [
        IssuedLink(
            services.link_url(issue(share_id, ttl=ttl, generation=generation, number=number)),
            expires_at,
            number,
            names[number - 1] if number <= len(names) else None,
        )
        for number in range(first, first + count)
    ]


async def list_shares(
    services: Services, owner: User, *, limit: int, before: int | None = None
) -> list[ShareStatus]:
    await services.audit.flush()  # the refusals this process saw are shown at once
    conn = services.db.reader
    shares = await queries.shares_page(conn, owner.id, limit=limit, before=before)
    ids = [share.id for share in shares]
    uses = await queries.uses_of(conn, ids)
    alarms = await events.alarms_of(conn, ids, ALARMS)
    now = services.clock()
    return [
        ShareStatus(share, uses[share.id], share.expires_at <= now, frozenset(alarms[share.id]))
        for share in shares
    ]


async def share_status(services: Services, owner: User, share_id: str) -> ShareStatus | None:
    if not could_be_share_id(share_id):
        return None
    share = await queries.share_of(services.db.reader, owner.id, share_id)
    if share is None:
        return None
    uses = await queries.uses_of(services.db.reader, [share_id])
    alarms = await events.alarms_of(services.db.reader, [share_id], ALARMS)
    expired = share.expires_at <= services.clock()
    return ShareStatus(share, uses[share_id], expired, frozenset(alarms[share_id]))


async def revoke_share(services: Services, owner: User, share_id: str) -> bool:
    """Burn every link of the share and erase its note; False if it is not the owner's."""
    if not could_be_share_id(share_id):
        return False
    now = services.clock()
    async with services.db.changing(owner.id) as conn:
        share = await queries.share_of(conn, owner.id, share_id, lock=True)
        if share is None:
            return False
        if share.revoked_at is None and not share.note_erased:
            await _record_revoked(conn, share_id, NO_LINK, now)
        return await queries.revoke_share(conn, owner.id, share_id, now=now)


async def revoke_all_links(services: Services, owner: User) -> None:
    """Every link the owner ever issued stops working, with no per-link write; the counts
    of the owner's shares say so, and their notes, which no link can reach now, are erased.
    The links of the owner's requests for secrets nobody answered yet stop working too."""
    now = services.clock()
    async with services.db.changing(owner.id) as conn:
        await record_revocations(conn, owner.id, now=now)
        await users.bump_link_generation(conn, owner.id)
        await queries.revoke_unspent_links(conn, owner.id, now=now)
        await requests.revoke_waiting_requests(conn, owner.id, now=now)


async def revoke_link(services: Services, owner: User, token: str) -> LinkState:
    """Revoke one link by its token. Answers REVOKED, or why not: USED, EXPIRED or INVALID
    (which includes links of other users' shares, so they cannot be probed)."""
    claims = signature_verdict(services.signer, token)
    if isinstance(claims, LinkState):
        return claims
    async with services.db.changing(owner.id) as conn:
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
        await ledger.count_use(conn, claims.share_id, revoked=True, now=now)
        await _record_revoked(conn, claims.share_id, claims.number or NO_LINK, now)
    return LinkState.REVOKED


async def record_revocations(conn: Connection, owner_id: int, *, now: float) -> None:
    """Into the audit trail, in the caller's transaction, before it revokes them: each of the
    owner's shares that has links left is revoked as a whole, and each request waiting for
    its answer."""
    for share_id in await queries.open_share_ids(conn, owner_id, now=now):
        await _record_revoked(conn, share_id, NO_LINK, now)
    for request_id in await requests.waiting_request_ids(conn, owner_id, now=now):
        await audit.record(conn, audit.Visitor().request_event(request_id, EventKind.REVOKED, now))


async def _record_revoked(conn: Connection, share_id: str, link: int, now: float) -> None:
    """Revocations are the owner's doing: no address or user agent of theirs is kept."""
    await audit.record(conn, events.NewEvent(share_id, link, EventKind.REVOKED, now))
