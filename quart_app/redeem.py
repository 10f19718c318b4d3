"""What a link is worth right now, and redeeming it exactly once.

Verification (``tokens``) settles *invalid* and *expired* without I/O; the ledger settles
*used* and *revoked*. GET-side inspection only reads; redemption is one write transaction in
which a single ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` picks the one winner.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from . import store
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


def _is_live(target: store.LinkTarget | None, claims: LinkClaims) -> bool:
    return (
        target is not None
        and not target.revoked
        and target.note is not None
        and target.owner_generation == claims.generation
    )


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
    if entry is not None or target is None or not _is_live(target, claims):
        return LinkView(_closed_state(entry))
    return LinkView(LinkState.READY, granted_by=target.owner_name, expires_at=claims.expires_at)


async def redeem_link(services: Services, token: str) -> LinkView:
    """Use the link: exactly one caller per link ever gets GRANTED with the note."""
    claims = _verified(services, token)
    if isinstance(claims, LinkView):
        return claims
    # Fast path for the many losers of a race and for replays: a ledger row, once there,
    # stays until its token can no longer verify, so reading it needs no write lock.
    # The INSERT below still decides every case this read does not.
    entry = await store.ledger_entry(services.db.reader, claims.jti)
    if entry is not None:
        return LinkView(_closed_state(entry))
    async with services.db.transaction() as conn:
        now = services.clock()
        target = await store.link_target(conn, claims.share_id, lock=True)
        if target is None or not _is_live(target, claims):
            return LinkView(_closed_state(await store.ledger_entry(conn, claims.jti)))
        if not await store.claim(conn, claims.jti, claims.share_id, now=now, revoke=False):
            return LinkView(_closed_state(await store.ledger_entry(conn, claims.jti)))
        await store.count_use(conn, claims.share_id, revoked=False)
        await store.announce_change(conn, target.owner_id)
    return LinkView(LinkState.GRANTED, granted_by=target.owner_name, note=target.note, used_at=now)
