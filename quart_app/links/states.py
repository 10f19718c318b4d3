"""The states a link can be in, as a recipient meets them, and what settles them without
the database."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ..storage.queries.ledger import LedgerEntry
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


def closed_state(entry: LedgerEntry | None) -> LinkState:
    """Why a link that passed its signature check cannot be used: a ledger row that says it
    was used keeps it *used*, even if revoked since; anything else is *revoked*."""
    return LinkState.USED if entry is not None and not entry.revoked else LinkState.REVOKED
