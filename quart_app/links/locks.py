"""Links sealed with a passphrase: what a claim finds when it meets one, trying a passphrase
against it, and the record of a wrong one.

A claim that brings a passphrase counts its attempt in the database before anything else
(``Claim``), at most ``MAX_ATTEMPTS`` per link; only then is the key derived, off the event
loop. A wrong passphrase is written into the audit trail, and the last one locks the link.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import audit, passphrases
from ..audit import Visitor
from ..passphrases import MAX_ATTEMPTS
from ..services import Services
from ..storage.base import Connection
from ..storage.queries import ledger
from ..storage.queries.events import EventKind
from .inspection import link_number
from .tokens import LinkClaims


@dataclass(frozen=True)
class Lock:
    """A passphrase link's lock, as a claim found it: what opening it takes."""

    attempts_left: int
    kdf: str = ""  # set when this claim's attempt was counted: derive the key now
    sealed_note: str = ""
    attempt: int = 0
    wrong: bool = False  # the passphrase this claim brought did not open it


async def opened(services: Services, lock: Lock, passphrase: str, share_id: str) -> str | None:
    """The note, if ``passphrase`` opens the lock; None if it does not."""
    key = await services.derivations.derive(passphrase, lock.kdf)
    return passphrases.unseal(lock.sealed_note, key, share_id)


@dataclass(frozen=True)
class FailedAttempt:
    """A wrong passphrase, as its redeemer's write step. The last one locks the link: dead
    for good, it is entered in the ledger and counted as revoked, so that its share's counts
    add up and the note goes once no link of it is left."""

    claims: LinkClaims
    visitor: Visitor
    attempt: int

    async def __call__(self, conn: Connection, now: float) -> None:
        share_id, link = self.claims.share_id, link_number(self.claims)
        failed = self.visitor.event(share_id, link, EventKind.PASSPHRASE_FAILED, now)
        if self.attempt < MAX_ATTEMPTS:
            await audit.record(conn, failed)
            return
        await audit.record(conn, failed, self.visitor.event(share_id, link, EventKind.LOCKED, now))
        # The share's row first, as a claim takes it (see ledger.link_target): a revocation
        # cannot slip in between, and the two never wait for each other.
        target = await ledger.link_target(conn, share_id, lock=True)
        if target is None or not target.is_live_for(self.claims.generation):
            return  # revoked meanwhile: counted as such already
        if await ledger.claim(conn, self.claims.jti, share_id, now=now, revoke=True):
            await ledger.count_use(conn, share_id, revoked=True, now=now)
