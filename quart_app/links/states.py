"""The states a link can be in, as a recipient meets them, and what settles them without
the database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from ..storage.queries.ledger import LedgerEntry
from .tokens import LinkClaims, LinkExpired, LinkInvalid, LinkSigner, RequestClaims

Claims = TypeVar("Claims")


class LinkState(StrEnum):
    READY = "ready"
    GRANTED = "granted"
    USED = "used"
    EXPIRED = "expired"
    REVOKED = "revoked"
    LOCKED = "locked"  # too many wrong passphrases
    INVALID = "invalid"
    SENT = "sent"  # a request's link, answered by this very request


class Refusal(StrEnum):
    """Why a ready link was not opened: its passphrase was missing or wrong."""

    MISSING = "This link needs its passphrase"
    WRONG = "Wrong passphrase"


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
    passphrase: bool = False  # the link opens only with its share's passphrase
    # Set on a ready view answering a POST that did not open the link.
    refusal: Refusal | None = None
    attempts_left: int | None = None


def signature_verdict(signer: LinkSigner, token: str) -> LinkClaims | LinkState:
    """The token's claims, or EXPIRED or INVALID: what the signature alone can settle."""
    return _verdict(signer.verify, token)


def request_verdict(signer: LinkSigner, token: str) -> RequestClaims | LinkState:
    """As ``signature_verdict``, for the link of a request for a secret."""
    return _verdict(signer.verify_request, token)


def _verdict(verify: Callable[[str], Claims], token: str) -> Claims | LinkState:
    try:
        return verify(token)
    except LinkExpired:
        return LinkState.EXPIRED
    except LinkInvalid:
        return LinkState.INVALID


def closed_state(entry: LedgerEntry | None, *, locked: bool = False) -> LinkState:
    """Why a link that passed its signature check cannot be used: a ledger row that says it
    was used keeps it *used*, even if locked or revoked since; a locked link stays *locked*
    even if revoked since; anything else is *revoked*."""
    if entry is not None and not entry.revoked:
        return LinkState.USED
    return LinkState.LOCKED if locked else LinkState.REVOKED
