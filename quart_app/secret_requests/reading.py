"""The owner reads a request's answer: once, and then it is erased.

Reading is one transaction whose conditional UPDATE erases the answer: of readers racing, one
gets it. A browser that reads may read it again for a few minutes, as a link's redeeming
browser may (``reveal``): a copy sealed with a fresh key is kept, and the key goes to that
browser only, in a signed pass. An answer sealed with a passphrase opens only with it; a
wrong one erases nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from .. import audit, reveal
from ..audit import Visitor
from ..links.tokens import LinkError
from ..note_keys import StoredNote
from ..reveal import REVIEW_SECONDS
from ..services import Services
from ..storage.queries import requests
from ..storage.queries.events import EventKind
from ..storage.queries.users import User
from . import sealing
from .status import request_status


class Reading(StrEnum):
    READ = "read"  # here is the answer
    WAITING = "waiting"  # nobody answered yet
    GONE = "gone"  # read already, revoked, or expired unanswered: there is nothing to read
    NEEDS_PASSPHRASE = "needs_passphrase"  # noqa: S105 - a name, not a secret
    WRONG_PASSPHRASE = "wrong_passphrase"  # noqa: S105 - a name, not a secret


@dataclass(frozen=True)
class ReadAnswer:
    reading: Reading
    answer: str | None = None
    answered_at: float | None = None
    # Set when this browser may read the answer again: the pass for its cookie, and until when.
    reveal_pass: str | None = None
    reveal_until: float | None = None


def _pass_name(request_id: str) -> str:
    """What a re-reading pass names: never a link's jti, which has no colon."""
    return f"request:{request_id}"


async def read_answer(
    services: Services,
    owner: User,
    request_id: str,
    *,
    passphrase: str | None = None,
    keep_for: float = 0,
) -> ReadAnswer | None:
    """The answer, to one caller, once; None if the request is not the owner's. With
    ``keep_for``, a pass to read it again for that many seconds. May raise
    ``DerivationsBusy`` for an answer sealed with a passphrase."""
    status = await request_status(services, owner, request_id)
    if status is None:
        return None
    stored = await requests.stored_answer(services.db.reader, owner.id, request_id)
    if stored is None:
        return ReadAnswer(Reading.WAITING if status.state == "waiting" else Reading.GONE)
    at_rest = StoredNote(stored.answer, stored.answer_key)
    answer = services.note_keys.open(at_rest, sealing.at_rest_context(request_id))
    if stored.passphrase_kdf is not None:
        opened = await _unsealed(services, answer, stored.passphrase_kdf, passphrase, request_id)
        if isinstance(opened, Reading):
            return ReadAnswer(opened)
        answer = opened
    return await _take(services, owner, request_id, answer, stored.answered_at, keep_for)


async def _unsealed(
    services: Services, sealed: str, kdf: str, passphrase: str | None, request_id: str
) -> str | Reading:
    """An answer sealed with the request's passphrase, opened with the one given; or why
    it was not (none given, or a wrong one)."""
    if not passphrase:
        return Reading.NEEDS_PASSPHRASE
    async with services.derivations.turn():
        key = await services.derivations.derive(passphrase, kdf)
    answer = sealing.unseal(sealed, key, request_id)
    return Reading.WRONG_PASSPHRASE if answer is None else answer


async def _take(
    services: Services,
    owner: User,
    request_id: str,
    answer: str,
    answered_at: float,
    keep_for: float,
) -> ReadAnswer:
    """Erase the answer as read, unless another reader got there first."""
    now = services.clock()
    sealed = reveal.seal(answer, _pass_name(request_id)) if keep_for > 0 else None
    until = now + keep_for if sealed is not None else None
    async with services.db.transaction() as conn:
        copy = None if sealed is None else sealed.blob
        if not await requests.take_answer(conn, request_id, now=now, copy=copy, until=until):
            return ReadAnswer(Reading.GONE)
        await audit.record(conn, Visitor().request_event(request_id, EventKind.READ, now))
    await services.db.announce_change(owner.id)
    read = ReadAnswer(Reading.READ, answer, answered_at)
    if sealed is None:
        return read
    pass_ = services.signer.issue_reveal(_pass_name(request_id), sealed.key)
    return replace(read, reveal_pass=pass_, reveal_until=until)


async def read_again(
    services: Services, owner: User, request_id: str, reveal_pass: str
) -> ReadAnswer | None:
    """The answer once more, for the browser that read it and holds ``reveal_pass``, while
    its time lasts; None otherwise. Revoking the request ends it too."""
    try:
        name, key = services.signer.verify_reveal(reveal_pass, max_age=REVIEW_SECONDS)
    except LinkError:
        return None
    if name != _pass_name(request_id):
        return None
    now = services.clock()
    kept = await requests.revealed_answer(services.db.reader, owner.id, request_id, now=now)
    if kept is None:
        return None
    answer = reveal.unseal(kept.sealed, key, name)
    if answer is None:
        return None
    return ReadAnswer(Reading.READ, answer, kept.answered_at, reveal_until=kept.until)
