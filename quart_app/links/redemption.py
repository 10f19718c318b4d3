"""Redeeming a link exactly once.

Redemption is one write transaction in which a single ``INSERT ... ON CONFLICT DO NOTHING
RETURNING`` picks the one winner, and records the grant in the audit trail (and so, in the
same transaction, the notices it calls for). A link sealed with a passphrase takes a
transaction first that counts the attempt (``locks``), then the key derivation, then the
claim.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .. import audit, reveal
from ..audit import Visitor
from ..note_keys import NoteKeyError, NoteKeys, StoredNote
from ..passphrases import MAX_ATTEMPTS
from ..services import Services
from ..storage.base import Connection
from ..storage.queries import attempts, ledger, reveals
from ..storage.queries.events import EventKind
from ..storage.queries.ledger import LinkTarget
from . import locks
from .inspection import NOBODY, closed_view, is_locked, link_number, verified_claims
from .locks import Lock
from .states import LinkState, LinkView, Refusal, closed_state
from .tokens import LinkClaims


@dataclass(frozen=True)
class Redemption:
    """The ledger's verdict on one claim: the share's owner and note for the one winner;
    why not for anyone else; or, for a link with a passphrase, the lock to open first."""

    state: LinkState  # GRANTED, USED, LOCKED, REVOKED, or READY with a lock
    owner_id: int = 0
    owner_name: str = ""
    note: str | None = None
    used_at: float = 0.0
    seal_key: bytes | None = None  # set when a sealed copy was kept for re-viewing
    lock: Lock | None = None
    # The note could not be opened (its note key is gone): nothing was written for this
    # claim, and its caller raises this once the others of its batch are committed.
    fault: NoteKeyError | None = None

    @property
    def granted(self) -> bool:
        return self.state is LinkState.GRANTED


@dataclass(frozen=True)
class Claim:
    """One attempt to use a link, as its redeemer's write step."""

    claims: LinkClaims
    note_keys: NoteKeys
    # Seconds the winner may read the note again; its sealed copy is written in the same
    # transaction as the claim, so no copy outlives a claim that did not commit.
    keep_for: float = 0
    visitor: Visitor = NOBODY
    passphrase_given: bool = False
    # The note, opened with the passphrase this claim was sent with: such a claim may win.
    opened_note: str | None = None

    async def __call__(self, conn: Connection, now: float) -> Redemption:
        """Nothing is written unless the share is live for this link's generation; then the
        INSERT's RETURNING says whether this caller is the one winner, and the grant goes
        into the audit trail in the same transaction."""
        jti, share_id = self.claims.jti, self.claims.share_id
        # The many losers of a race, and replays, stop here: a ledger row, once there, stays
        # until its token can no longer verify. The INSERT still decides every other case.
        entry = await ledger.ledger_entry(conn, jti)
        if entry is not None and not entry.revoked:
            return Redemption(LinkState.USED)
        target = await ledger.link_target(conn, share_id, lock=True)
        locked = await is_locked(conn, self.claims, target)
        if entry is not None or target is None or not target.is_live_for(self.claims.generation):
            # Read again: a winner that committed while this waited for the share's row
            # may have erased the note, with the last link.
            return Redemption(closed_state(await ledger.ledger_entry(conn, jti), locked=locked))
        # A claim whose passphrase opened the note counted its attempt before: it may win
        # even if that attempt was the last, unless the link locked meanwhile.
        if locked and self.opened_note is None:
            return Redemption(LinkState.LOCKED)
        try:
            # Opened before anything is written: a note that cannot be opened leaves the
            # link as it was, and fails this claim alone, not the others of its batch.
            stored_note = self._note(target)
        except NoteKeyError as error:
            return Redemption(LinkState.READY, fault=error)
        if target.passphrase_kdf is not None and self.opened_note is None:
            return await self._lock_of(conn, target, now, stored_note)
        if not await ledger.claim(conn, jti, share_id, now=now, revoke=False):
            return Redemption(closed_state(await ledger.ledger_entry(conn, jti)))
        await ledger.count_use(conn, share_id, revoked=False, now=now)
        await audit.record(
            conn, self.visitor.event(share_id, link_number(self.claims), EventKind.GRANTED, now)
        )
        note = stored_note if self.opened_note is None else self.opened_note
        granted = Redemption(
            LinkState.GRANTED, target.owner_id, target.owner_name, note=note, used_at=now
        )
        if self.keep_for <= 0:
            return granted
        sealed = reveal.seal(note, jti)
        await reveals.insert_reveal(conn, jti, sealed.blob, until=now + self.keep_for)
        return replace(granted, seal_key=sealed.key)

    async def _lock_of(
        self, conn: Connection, target: LinkTarget, now: float, sealed_note: str
    ) -> Redemption:
        """The lock to open; with a passphrase to try, this attempt is counted first, so
        no more key derivations run for the link than it has attempts."""
        ready = Redemption(LinkState.READY, target.owner_id, target.owner_name)
        if not self.passphrase_given:
            left = MAX_ATTEMPTS - await attempts.attempts_on(conn, self.claims.jti)
            return replace(ready, lock=Lock(left))
        attempt = await attempts.count_attempt(
            conn, self.claims.jti, target.share_id, limit=MAX_ATTEMPTS, now=now
        )
        if attempt is None:
            return Redemption(LinkState.LOCKED)
        assert target.passphrase_kdf is not None
        lock = Lock(MAX_ATTEMPTS - attempt, target.passphrase_kdf, sealed_note, attempt)
        return replace(ready, lock=lock)

    def _note(self, target: LinkTarget) -> str:
        """The live share's note as stored before encryption at rest: for a passphrase link,
        still sealed with the passphrase's key."""
        assert target.note is not None
        return self.note_keys.open(StoredNote(target.note, target.note_key), target.share_id)


async def redeem_link(
    services: Services,
    token: str,
    *,
    keep_for: float = 0,
    verified: LinkClaims | None = None,
    visitor: Visitor = NOBODY,
    passphrase: str | None = None,
    reveal_pass: str | None = None,
) -> LinkView:
    """Use the link: exactly one caller per link ever gets GRANTED with the note.

    With ``keep_for``, the winner also gets a pass to read the note again for that many
    seconds; the copy it opens is sealed with a key that only the pass holds. A link with a
    passphrase opens only with ``passphrase``. May raise ``DerivationsBusy``."""
    claims = verified_claims(services, token, verified)
    if isinstance(claims, LinkView):
        return claims
    claim = Claim(claims, services.note_keys, keep_for, visitor, passphrase_given=bool(passphrase))
    if passphrase:
        async with services.derivations.turn():
            verdict = await _redeem_with(services, claim, passphrase)
    else:
        verdict = await services.redeemer.redeem(claim)
    return await _view_of(services, token, claim, verdict, reveal_pass)


async def _redeem_with(services: Services, claim: Claim, passphrase: str) -> Redemption:
    verdict = await services.redeemer.redeem(claim)
    lock = verdict.lock
    if lock is None or not lock.kdf:
        return verdict
    share_id = claim.claims.share_id
    note = await locks.opened(services, lock, passphrase, share_id)
    if note is not None:
        return await services.redeemer.redeem(replace(claim, opened_note=note))
    await services.redeemer.redeem(locks.FailedAttempt(claim.claims, claim.visitor, lock.attempt))
    await services.db.announce_change(verdict.owner_id)
    return replace(verdict, lock=replace(lock, wrong=True))


async def _view_of(
    services: Services, token: str, claim: Claim, verdict: Redemption, reveal_pass: str | None
) -> LinkView:
    claims = claim.claims
    if verdict.fault is not None:
        raise verdict.fault
    if verdict.state is LinkState.READY:
        assert verdict.lock is not None
        return LinkView(
            LinkState.READY,
            granted_by=verdict.owner_name,
            expires_at=claims.expires_at,
            passphrase=True,
            refusal=Refusal.WRONG if verdict.lock.wrong else Refusal.MISSING,
            attempts_left=verdict.lock.attempts_left,
        )
    if not verdict.granted:
        return await closed_view(services, token, claims, verdict.state, claim.visitor, reveal_pass)
    await services.db.announce_change(verdict.owner_id)
    granted = LinkView(
        LinkState.GRANTED, granted_by=verdict.owner_name, note=verdict.note, used_at=verdict.used_at
    )
    if verdict.seal_key is None:
        return granted
    reveal_pass = services.signer.issue_reveal(claims.jti, verdict.seal_key)
    return replace(granted, reveal_pass=reveal_pass, reveal_until=verdict.used_at + claim.keep_for)
