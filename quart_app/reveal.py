"""Reading a redeemed note again, for a few minutes, in the browser that redeemed it only.

Redemption (``links.redemption`` with ``keep_for``) seals a copy of the note with a fresh
key (AES-256-GCM, bound to the link's jti), stores the sealed copy and hands the key to the
browser in a signed, HttpOnly cookie scoped to that one link. Here the cookie and the stored
copy meet again. Nobody else has the key, and the sweep deletes the copy when the time is
up, so the server at rest never holds a readable note after its last link was used.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .links.states import LinkState, LinkView
from .links.tokens import LinkError
from .services import Services
from .storage.queries import ledger, reveals

REVIEW_SECONDS = 600
NONCE_BYTES = 12


@dataclass(frozen=True)
class Sealed:
    key: bytes
    blob: bytes


def seal(note: str, jti: str) -> Sealed:
    """Encrypt ``note`` with a fresh random 256-bit key, bound to the link's jti."""
    key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(NONCE_BYTES)
    return Sealed(key, nonce + AESGCM(key).encrypt(nonce, note.encode(), jti.encode()))


def unseal(blob: bytes, key: bytes, jti: str) -> str | None:
    """The note, or None if the key is wrong, the blob was altered or belongs to another jti."""
    try:
        plain = AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], jti.encode())
    except (InvalidTag, ValueError):
        return None
    return plain.decode()


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
    entry = await ledger.ledger_entry(conn, jti)
    kept = await reveals.reveal_of(conn, jti, now=services.clock())
    target = await ledger.link_target(conn, claims.share_id)
    if entry is None or entry.revoked or kept is None or target is None:
        return None
    if target.revoked or target.owner_generation != claims.generation:
        return None
    note = unseal(kept.sealed_note, key, jti)
    if note is None:
        return None
    return LinkView(
        LinkState.GRANTED,
        granted_by=target.owner_name,
        note=note,
        used_at=entry.used_at,
        reveal_until=kept.reveal_until,
    )
