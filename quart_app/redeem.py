"""What a link is worth right now, and redeeming it exactly once.

Verification (``tokens``) settles *invalid* and *expired* without I/O; the ledger settles
*used* and *revoked*. GET-side inspection only reads; redemption is one write transaction in
which a single ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` picks the one winner.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from . import store
from .group_commit import Claim
from .services import Services
from .tokens import LinkClaims, LinkExpired, LinkInvalid


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


def _verified(services: Services, token: str) -> LinkClaims | LinkView:
    try:
        return services.signer.verify(token)
    except LinkExpired:
        return LinkView(LinkState.EXPIRED)
    except LinkInvalid:
        return LinkView(LinkState.INVALID)


def _closed_state(entry: store.LedgerEntry | None) -> LinkState:
    """A link whose ledger row says it was used stays *used*, even if revoked since."""
    return LinkState.USED if entry is not None and not entry.revoked else LinkState.REVOKED


async def inspect_link(services: Services, token: str) -> LinkView:
    """The state a recipient would meet, without changing anything."""
    claims = _verified(services, token)
    if isinstance(claims, LinkView):
        return claims
    conn = services.db.reader
    entry = await store.ledger_entry(conn, claims.jti)
    target = await store.link_target(conn, claims.share_id)
    if entry is not None or target is None or not target.is_live_for(claims.generation):
        return LinkView(_closed_state(entry))
    return LinkView(LinkState.READY, granted_by=target.owner_name, expires_at=claims.expires_at)


async def redeem_link(services: Services, token: str) -> LinkView:
    """Use the link: exactly one caller per link ever gets GRANTED with the note."""
    claims = _verified(services, token)
    if isinstance(claims, LinkView):
        return claims
    verdict = await services.writer.redeem(Claim(claims.jti, claims.share_id, claims.generation))
    if not verdict.granted:
        return LinkView(_closed_state(verdict.entry))
    return LinkView(
        LinkState.GRANTED, granted_by=verdict.owner_name, note=verdict.note, used_at=verdict.used_at
    )
