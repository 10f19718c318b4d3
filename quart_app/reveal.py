"""Reading a redeemed note again, for a few minutes, in the browser that redeemed it only.

Redemption (``redeem.redeem_link`` with ``keep_for``) seals a copy of the note with a fresh
key, stores the sealed copy and hands the key to the browser in a signed, HttpOnly cookie
scoped to that one link. Here the cookie and the stored copy meet again. Nobody else has the
key, and the sweep deletes the copy when the time is up, so the server at rest never holds a
readable note after its last link was used.
"""

from __future__ import annotations

from . import sealing, store
from .redeem import LinkState, LinkView
from .services import Services
from .tokens import LinkError

REVIEW_SECONDS = 600


def cookie_name(secure: bool) -> str:
    # The __Secure- prefix makes browsers refuse the cookie unless it is Secure.
    return "__Secure-oncelink_reveal" if secure else "oncelink_reveal"


async def view_again(services: Services, token: str, reveal_pass: str) -> LinkView | None:
    """The granted view once more, or None if the pass does not open this link's note now.

    Revoking the share (or all the owner's links) ends re-viewing too."""
    signer = services.signer
    try:
        claims = signer.verify(token)
        jti, key = signer.verify_reveal(reveal_pass, max_age=REVIEW_SECONDS)
    except LinkError:
        return None
    if jti != claims.jti:
        return None
    conn = services.db.reader
    entry = await store.ledger_entry(conn, jti)
    kept = await store.reveal_of(conn, jti, now=services.clock())
    target = await store.link_target(conn, claims.share_id)
    if entry is None or entry.revoked or kept is None or target is None:
        return None
    if target.revoked or target.owner_generation != claims.generation:
        return None
    note = sealing.unseal(kept.sealed_note, key, jti)
    if note is None:
        return None
    return LinkView(
        LinkState.GRANTED,
        granted_by=target.owner_name,
        note=note,
        used_at=entry.used_at,
        reveal_until=kept.reveal_until,
    )
