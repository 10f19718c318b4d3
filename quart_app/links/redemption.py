"""What a link is worth right now, and redeeming it exactly once.

Verification (``tokens``) settles *invalid* and *expired* without I/O; the ledger settles
*used* and *revoked*. GET-side inspection only reads; redemption is one write transaction in
which a single ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` picks the one winner.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .. import reveal
from ..services import Services
from ..storage.base import Connection
from ..storage.queries import ledger, reveals
from ..storage.queries.ledger import LedgerEntry
from .states import LinkState, LinkView, closed_state, signature_verdict
from .tokens import LinkClaims


def _verified(services: Services, token: str, verified: LinkClaims | None) -> LinkClaims | LinkView:
    if verified is not None:
        return verified
    verdict = signature_verdict(services.signer, token)
    return LinkView(verdict) if isinstance(verdict, LinkState) else verdict


async def inspect_link(
    services: Services, token: str, *, verified: LinkClaims | None = None
) -> LinkView:
    """The state a recipient would meet, without changing anything. ``verified``: the token's
    claims, when the caller has just checked its signature."""
    claims = _verified(services, token, verified)
    if isinstance(claims, LinkView):
        return claims
    conn = services.db.reader
    entry = await ledger.ledger_entry(conn, claims.jti)
    target = await ledger.link_target(conn, claims.share_id)
    if entry is not None or target is None or not target.is_live_for(claims.generation):
        return LinkView(closed_state(entry))
    return LinkView(LinkState.READY, granted_by=target.owner_name, expires_at=claims.expires_at)


@dataclass(frozen=True)
class Redemption:
    """The ledger's verdict on one claim: the share's owner and note for the one winner,
    or the ledger row that says why not (None: the share is gone or revoked)."""

    granted: bool
    owner_id: int = 0
    owner_name: str = ""
    note: str | None = None
    used_at: float = 0.0
    entry: LedgerEntry | None = None
    seal_key: bytes | None = None  # set when a sealed copy was kept for re-viewing


@dataclass(frozen=True)
class Claim:
    """One attempt to use a link, as its redeemer's write step."""

    claims: LinkClaims
    # Seconds the winner may read the note again; its sealed copy is written in the same
    # transaction as the claim, so no copy outlives a claim that did not commit.
    keep_for: float = 0

    async def __call__(self, conn: Connection, now: float) -> Redemption:
        """Nothing is written unless the share is live for this link's generation; then the
        INSERT's RETURNING says whether this caller is the one winner."""
        jti, share_id = self.claims.jti, self.claims.share_id
        # The many losers of a race, and replays, stop here: a ledger row, once there, stays
        # until its token can no longer verify. The INSERT still decides every other case.
        entry = await ledger.ledger_entry(conn, jti)
        if entry is not None:
            return Redemption(False, entry=entry)
        target = await ledger.link_target(conn, share_id, lock=True)
        if (
            target is None
            or not target.is_live_for(self.claims.generation)
            or not await ledger.claim(conn, jti, share_id, now=now, revoke=False)
        ):
            return Redemption(False, entry=await ledger.ledger_entry(conn, jti))
        await ledger.count_use(conn, share_id, revoked=False)
        granted = Redemption(
            True, target.owner_id, target.owner_name, note=target.note, used_at=now
        )
        if self.keep_for <= 0 or target.note is None:
            return granted
        sealed = reveal.seal(target.note, jti)
        await reveals.insert_reveal(conn, jti, sealed.blob, until=now + self.keep_for)
        return replace(granted, seal_key=sealed.key)


async def redeem_link(
    services: Services, token: str, *, keep_for: float = 0, verified: LinkClaims | None = None
) -> LinkView:
    """Use the link: exactly one caller per link ever gets GRANTED with the note.

    With ``keep_for``, the winner also gets a pass to read the note again for that many
    seconds; the copy it opens is sealed with a key that only the pass holds."""
    claims = _verified(services, token, verified)
    if isinstance(claims, LinkView):
        return claims
    verdict = await services.redeemer.redeem(Claim(claims, keep_for=keep_for))
    if not verdict.granted:
        return LinkView(closed_state(verdict.entry))
    await services.db.announce_change(verdict.owner_id)
    granted = LinkView(
        LinkState.GRANTED, granted_by=verdict.owner_name, note=verdict.note, used_at=verdict.used_at
    )
    if verdict.seal_key is None:
        return granted
    reveal_pass = services.signer.issue_reveal(claims.jti, verdict.seal_key)
    return replace(granted, reveal_pass=reveal_pass, reveal_until=verdict.used_at + keep_for)
