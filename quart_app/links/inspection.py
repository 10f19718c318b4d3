"""What a link is worth right now, as a visit sees it: read, never changed.

Verification (``tokens``) settles *invalid* and *expired* without I/O; the ledger settles
*used* and *revoked*, and the passphrase attempts *locked*. Each visit of a link that passed
its signature check goes into the audit trail, after the answer (``audit.EventBuffer``).
"""

from __future__ import annotations

from .. import reveal
from ..audit import Visitor
from ..passphrases import MAX_ATTEMPTS
from ..services import Services
from ..storage.base import Connection
from ..storage.queries import attempts, ledger
from ..storage.queries.events import NO_LINK, EventKind
from ..storage.queries.ledger import LinkTarget
from .states import LinkState, LinkView, closed_state, signature_verdict
from .tokens import LinkClaims

NOBODY = Visitor()


def verified_claims(
    services: Services, token: str, verified: LinkClaims | None
) -> LinkClaims | LinkView:
    """The token's claims (``verified``, when the caller has just checked its signature),
    or the view of a link its signature alone settles."""
    if verified is not None:
        return verified
    verdict = signature_verdict(services.signer, token)
    return LinkView(verdict) if isinstance(verdict, LinkState) else verdict


def link_number(claims: LinkClaims) -> int:
    """The link's number in the audit trail: NO_LINK for links issued before numbers."""
    return NO_LINK if claims.number is None else claims.number


async def inspect_link(
    services: Services,
    token: str,
    *,
    verified: LinkClaims | None = None,
    visitor: Visitor = NOBODY,
    reveal_pass: str | None = None,
) -> LinkView:
    """The state a recipient would meet, without changing it; the visit goes into the audit
    trail. ``verified``: the token's claims, when the caller has just checked its signature;
    ``reveal_pass``: the redeeming browser's pass to see the note again."""
    claims = verified_claims(services, token, verified)
    if isinstance(claims, LinkView):
        return claims
    conn = services.db.reader
    entry = await ledger.ledger_entry(conn, claims.jti)
    target = await ledger.link_target(conn, claims.share_id)
    locked = await is_locked(conn, claims, target)
    if entry is not None or target is None or not target.is_live_for(claims.generation) or locked:
        state = closed_state(entry, locked=locked)
        return await closed_view(services, token, claims, state, visitor, reveal_pass)
    services.audit.add(
        visitor.event(claims.share_id, link_number(claims), EventKind.VIEWED, services.clock())
    )
    return LinkView(
        LinkState.READY,
        granted_by=target.owner_name,
        expires_at=claims.expires_at,
        passphrase=target.passphrase_kdf is not None,
    )


async def is_locked(conn: Connection, claims: LinkClaims, target: LinkTarget | None) -> bool:
    if target is None or target.passphrase_kdf is None:
        return False  # only links with a passphrase count attempts: others read nothing more
    return await attempts.attempts_on(conn, claims.jti) >= MAX_ATTEMPTS


async def closed_view(
    services: Services,
    token: str,
    claims: LinkClaims,
    state: LinkState,
    visitor: Visitor,
    reveal_pass: str | None,
) -> LinkView:
    """A used, locked or revoked link: the note again for the browser that used it, for a
    while; for anyone else a refusal, which the audit trail notes (a possible leak)."""
    if state is LinkState.USED and reveal_pass:
        again = await reveal.view_again(services, token, reveal_pass)
        if again is not None:
            return again
    event = visitor.event(claims.share_id, link_number(claims), EventKind.REFUSED, services.clock())
    services.audit.add(event)
    return LinkView(state)
