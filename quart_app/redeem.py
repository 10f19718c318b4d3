"""What a link is worth right now, and redeeming it exactly once.

Verification (``tokens``) settles *invalid* and *expired* without I/O; the ledger settles
*used* and *revoked*. GET-side inspection only reads; redemption is one write transaction in
which a single ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` picks the one winner.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from . import store
from .group_commit import Claim
from .services import Services
from .tokens import LinkClaims, LinkExpired, LinkInvalid, LinkSigner


class LinkState(StrEnum):
    READY = "ready"
    GRANTED = "granted"
    USED = "used"
    EXPIRED = "expired"
    REVOKED = "revoked"
    INVALID = "invalid"


@dataclass(frozen=True)
class LinkView:
    state: LinkState
    granted_by: str | None = None
    expires_at: float | None = None
    note: str | None = None
    used_at: float | None = None
    # Set on a granted view that the recipient may read again: the pass for their cookie.
    reveal_pass: str | None = None
    reveal_until: float | None = None


def signature_verdict(signer: LinkSigner, token: str) -> LinkClaims | LinkState:
    """The token's claims, or EXPIRED or INVALID: what the signature alone can settle."""
    try:
        return signer.verify(token)
    except LinkExpired:
        return LinkState.EXPIRED
    except LinkInvalid:
        return LinkState.INVALID


def _verified(services: Services, token: str, verified: LinkClaims | None) -> LinkClaims | LinkView:
    if verified is not None:
        return verified
    verdict = signature_verdict(services.signer, token)
    return LinkView(verdict) if isinstance(verdict, LinkState) else verdict


def _closed_state(entry: store.LedgerEntry | None) -> LinkState:
    """A link whose ledger row says it was used stays *used*, even if revoked since."""
    return LinkState.USED if entry is not None and not entry.revoked else LinkState.REVOKED


async def inspect_link(
    services: Services, token: str, *, verified: LinkClaims | None = None
) -> LinkView:
    """The state a recipient would meet, without changing anything. ``verified``: the token's
    claims, when the caller has just checked its signature."""
    claims = _verified(services, token, verified)
    if isinstance(claims, LinkView):
        return claims
    conn = services.db.reader
    entry = await store.ledger_entry(conn, claims.jti)
    target = await store.link_target(conn, claims.share_id)
    if entry is not None or target is None or not target.is_live_for(claims.generation):
        return LinkView(_closed_state(entry))
    return LinkView(LinkState.READY, granted_by=target.owner_name, expires_at=claims.expires_at)


async def redeem_link(
    services: Services, token: str, *, keep_for: float = 0, verified: LinkClaims | None = None
) -> LinkView:
    """Use the link: exactly one caller per link ever gets GRANTED with the note.

    With ``keep_for``, the winner also gets a pass to read the note again for that many
    seconds; the copy it opens is sealed with a key that only the pass holds."""
    claims = _verified(services, token, verified)
    if isinstance(claims, LinkView):
        return claims
    verdict = await services.writer.redeem(
        Claim(claims.jti, claims.share_id, claims.generation, keep_for=keep_for)
    )
    if not verdict.granted:
        return LinkView(_closed_state(verdict.entry))
    granted = LinkView(
        LinkState.GRANTED, granted_by=verdict.owner_name, note=verdict.note, used_at=verdict.used_at
    )
    if verdict.seal_key is None:
        return granted
    reveal_pass = services.signer.issue_reveal(claims.jti, verdict.seal_key)
    return replace(granted, reveal_pass=reveal_pass, reveal_until=verdict.used_at + keep_for)
