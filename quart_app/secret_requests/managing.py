"""Making requests for secrets and revoking them: the one service layer that the dashboard
and the API call."""

from __future__ import annotations

from dataclasses import dataclass

from .. import audit, passphrases, shares
from ..audit import Visitor
from ..services import Services
from ..storage.queries import requests
from ..storage.queries.events import EventKind
from ..storage.queries.requests import SecretRequest
from ..storage.queries.users import User
from . import sealing
from .asking import Ask
from .status import could_be_request_id


@dataclass(frozen=True)
class CreatedRequest:
    request: SecretRequest
    url: str  # the request's one link, shown only this once


@dataclass(frozen=True)
class AlreadyAsked:
    """A form sent a second time: the request it made the first time. Its link is not shown
    again: the server keeps none."""

    request: SecretRequest


async def create_request(
    services: Services, owner: User, ask: Ask, *, form_nonce: str | None = None
) -> CreatedRequest | AlreadyAsked:
    """Store the request and issue its link. The caller has checked ``problems_with``. A
    form's nonce makes one request however often the form is sent. May raise
    ``DerivationsBusy`` when the answer is to be sealed with a passphrase."""
    request_id = shares.new_share_id()
    kdf, public_key = None, None
    if ask.passphrase is not None:
        kdf, public_key = await _sealing_key(services, ask.passphrase)
    token = services.signer.issue_request(request_id, ttl=ask.ttl)
    claims = services.signer.verify_request(token)
    async with services.db.changing(owner.id) as conn:
        made = await requests.insert_request(
            conn,
            request_id,
            owner.id,
            label=ask.label,
            instructions=ask.instructions,
            now=services.clock(),
            expires_at=claims.expires_at,
            form_nonce=form_nonce,
            passphrase_kdf=kdf,
            sealing_key=public_key,
        )
        if not made:
            assert form_nonce is not None
            earlier = await requests.request_by_form_nonce(conn, owner.id, form_nonce)
            assert earlier is not None
            return AlreadyAsked(earlier)
        request = await requests.request_of(conn, owner.id, request_id)
    assert request is not None
    return CreatedRequest(request, services.request_url(token))


async def _sealing_key(services: Services, passphrase: str) -> tuple[str, bytes]:
    """A fresh key derivation for the passphrase, and the public key answers are sealed to."""
    kdf = passphrases.new_kdf()
    async with services.derivations.turn():
        private_key = await services.derivations.derive(passphrase, kdf)
    return kdf, sealing.public_key_of(private_key)


async def revoke_request(services: Services, owner: User, request_id: str) -> bool:
    """The request's link stops working, and an answer nobody read is erased with every copy
    of it; False if the request is not the owner's. A request already read, revoked or
    expired stays as it is (but a copy kept for re-reading its answer goes)."""
    if not could_be_request_id(request_id):
        return False
    now = services.clock()
    async with services.db.changing(owner.id) as conn:
        request = await requests.request_of(conn, owner.id, request_id, lock=True)
        if request is None:
            return False
        open_ = request.read_at is None and request.revoked_at is None
        revoke = open_ and (request.answered_at is not None or request.expires_at > now)
        if revoke:
            # Revocations are the owner's doing: no address or user agent of theirs is kept.
            await audit.record(conn, Visitor().request_event(request_id, EventKind.REVOKED, now))
        await requests.revoke_request(conn, owner.id, request_id, now=now, revoke=revoke)
    return True
