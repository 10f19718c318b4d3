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
from ..storage.queries.events import EventKind


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
    """A wrong passphrase, as its redeemer's write step: the last one locks the link."""

    share_id: str
    link: int
    visitor: Visitor
    attempt: int

    async def __call__(self, conn: Connection, now: float) -> None:
        kinds = [EventKind.PASSPHRASE_FAILED]
        if self.attempt >= MAX_ATTEMPTS:
            kinds.append(EventKind.LOCKED)
        await audit.record(
            conn, *(self.visitor.event(self.share_id, self.link, kind, now) for kind in kinds)
        )
