"""Signing and verifying one-time links. The only module that imports itsdangerous.

A link token is a timestamp-signed payload ``{"s": share id, "j": jti, "t": ttl, "g":
generation, "i": number}``; ``i``, the link's number within its share (1-based), is absent
from tokens issued before links were numbered, which stay valid. Verification decides
*invalid* and *expired* without touching the database; whether the link was used or revoked
is the ledger's business.

Request links (``{"r": request id, "t": ttl}``: someone is asked to send a secret), setup
links, invites, re-view passes and the links that confirm a mail address are signed with the
same keys under salts of their own, so that none of them is ever valid as another.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

from itsdangerous import (
    BadData,
    Serializer,
    SignatureExpired,
    TimestampSigner,
    URLSafeTimedSerializer,
)
from itsdangerous.encoding import base64_decode, base64_encode

from ..clock import Clock

LINK_SALT = "oncelink.link"
SETUP_SALT = "oncelink.setup"
REVEAL_SALT = "oncelink.reveal"
INVITE_SALT = "oncelink.invite"
MAIL_CONFIRMATION_SALT = "oncelink.mail-confirmation"
REQUEST_SALT = "oncelink.request"
MAX_TOKEN_LENGTH = 256
# itsdangerous' base64 decoder skips characters outside its alphabet, so a token with stray
# characters could verify; we refuse anything that is not exactly the URL-safe alphabet.
_TOKEN_SHAPE = re.compile(rf"[A-Za-z0-9_.\-]{{1,{MAX_TOKEN_LENGTH}}}")


def has_token_shape(text: str) -> bool:
    """Whether ``text`` could be a token at all: the alphabet and length every token has."""
    return _TOKEN_SHAPE.fullmatch(text) is not None


class LinkError(Exception):
    """The token cannot be used; subclasses say why."""


class LinkInvalid(LinkError):
    """Forged, truncated, malformed, or signed with a key we no longer hold."""


class LinkExpired(LinkError):
    """Correctly signed, but its time ran out."""


@dataclass(frozen=True)
class OneTimeClaims:
    """An invite's, or a mail confirmation's: its row's jti, and when it expires."""

    jti: str
    expires_at: int


@dataclass(frozen=True)
class RequestClaims:
    """A request link's claims: the request is the one thing it names, so its id is the
    request's ledger key, whatever string of the token was sent."""

    request_id: str
    ttl: int
    issued_at: int

    @property
    def expires_at(self) -> int:
        return self.issued_at + self.ttl


@dataclass(frozen=True)
class LinkClaims:
    share_id: str
    jti: str
    ttl: int
    generation: int
    issued_at: int
    number: int | None = None  # within the share, 1-based; None on tokens issued before

    @property
    def expires_at(self) -> int:
        return self.issued_at + self.ttl


class _ClockedSigner(TimestampSigner):
    """A timestamp signer that reads the app's clock, so tests can move time."""

    def __init__(self, *args: Any, clock: Clock, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clock = clock

    def get_timestamp(self) -> int:
        return int(self._clock())


class _Serializer(URLSafeTimedSerializer):
    """Skips zlib: payloads are ~80 bytes and never shrink, but ``zlib.compress`` costs more
    than the signature. Loading still accepts compressed payloads."""

    def dump_payload(self, obj: Any) -> bytes:
        return base64_encode(Serializer.dump_payload(self, obj))


class LinkSigner:
    """Issues and checks link tokens with a rotating key list (oldest first, newest signs)."""

    def __init__(self, keys: tuple[str, ...], *, max_ttl: int, clock: Clock) -> None:
        if not keys:
            raise ValueError("at least one signing key is required")
        self.max_ttl = max_ttl
        self._clock = clock
        self._links = self._serializer(keys, LINK_SALT)
        self._setup = self._serializer(keys, SETUP_SALT)
        self._reveal = self._serializer(keys, REVEAL_SALT)
        self._invite = self._serializer(keys, INVITE_SALT)
        self._mail_confirmation = self._serializer(keys, MAIL_CONFIRMATION_SALT)
        self._request = self._serializer(keys, REQUEST_SALT)

    def _serializer(self, keys: tuple[str, ...], salt: str) -> _Serializer:
        return _Serializer(
            list(keys),
            salt=salt,
            signer=_ClockedSigner,
            signer_kwargs={"digest_method": hashlib.sha256, "clock": self._clock},
        )

    def issue(self, share_id: str, *, ttl: int, generation: int, number: int | None = None) -> str:
        """A new token for link ``number`` of the share (None: a link without a number, as
        issued before links were numbered); each call gets a fresh 128-bit jti."""
        if not 0 < ttl <= self.max_ttl:
            raise ValueError(f"ttl {ttl} is outside (0, {self.max_ttl}]")
        payload = {"s": share_id, "j": secrets.token_urlsafe(16), "t": ttl, "g": generation}
        if number is not None:
            payload["i"] = number
        return self._links.dumps(payload)

    def verify(self, token: str) -> LinkClaims:
        """Return the claims of a live, authentic token, or raise LinkInvalid / LinkExpired."""
        payload, issued_at = self._load(self._links, token, self.max_ttl)
        claims = _claims_from(payload, int(issued_at.timestamp()))
        if claims.expires_at < self._clock():
            raise LinkExpired("link expired")
        return claims

    def issue_request(self, request_id: str, *, ttl: int) -> str:
        """The one link by which a request is answered, valid for ``ttl`` seconds."""
        if not 0 < ttl <= self.max_ttl:
            raise ValueError(f"ttl {ttl} is outside (0, {self.max_ttl}]")
        return self._request.dumps({"r": request_id, "t": ttl})

    def verify_request(self, token: str) -> RequestClaims:
        """The claims of a live, authentic request token, or LinkInvalid / LinkExpired."""
        payload, issued_at = self._load(self._request, token, self.max_ttl)
        request_id, ttl = _name_and_ttl(payload, "r")
        claims = RequestClaims(request_id, ttl, int(issued_at.timestamp()))
        if claims.expires_at < self._clock():
            raise LinkExpired("request expired")
        return claims

    def issue_setup(self) -> str:
        """A setup token: lets whoever holds it create the first admin, while none exists."""
        return self._setup.dumps({"j": secrets.token_urlsafe(16)})

    def verify_setup(self, token: str, *, max_age: int) -> None:
        self._load(self._setup, token, max_age)

    def issue_invite(self, jti: str, *, ttl: int) -> str:
        """An invite token: lets whoever holds it create one account, for ``ttl`` seconds.
        The ``jti`` names the invite's row, which says whether it may still be used."""
        return self._invite.dumps({"j": jti, "t": ttl})

    def verify_invite(self, token: str, *, max_age: int) -> OneTimeClaims:
        """The claims of an authentic invite token younger than its own ``t`` and
        ``max_age``, or LinkInvalid / LinkExpired."""
        return self._one_time_claims(self._invite, token, max_age)

    def issue_mail_confirmation(self, jti: str, *, ttl: int) -> str:
        """A token that confirms a mail address, for ``ttl`` seconds; ``jti`` names the
        address waiting for it."""
        return self._mail_confirmation.dumps({"j": jti, "t": ttl})

    def verify_mail_confirmation(self, token: str, *, max_age: int) -> OneTimeClaims:
        return self._one_time_claims(self._mail_confirmation, token, max_age)

    def _one_time_claims(self, serializer: _Serializer, token: str, max_age: int) -> OneTimeClaims:
        payload, issued_at = self._load(serializer, token, max_age)
        jti, ttl = _name_and_ttl(payload, "j")
        claims = OneTimeClaims(jti, int(issued_at.timestamp()) + ttl)
        if claims.expires_at < self._clock():
            raise LinkExpired("expired")
        return claims

    def issue_reveal(self, jti: str, key: bytes) -> str:
        """A pass to read a redeemed note again: names the link's jti and carries the key
        its sealed copy opens with. Only the redeeming browser gets it, in a cookie."""
        return self._reveal.dumps({"j": jti, "k": base64_encode(key).decode()})

    def verify_reveal(self, value: str, *, max_age: int) -> tuple[str, bytes]:
        """The jti and key of an authentic pass younger than ``max_age``, or LinkError."""
        payload, _ = self._load(self._reveal, value, max_age)
        if not isinstance(payload, dict) or set(payload) != {"j", "k"}:
            raise LinkInvalid("unexpected payload")
        jti, key = payload["j"], payload["k"]
        if not (isinstance(jti, str) and isinstance(key, str)):
            raise LinkInvalid("unexpected payload")
        try:
            return jti, base64_decode(key)
        except BadData:
            raise LinkInvalid("bad key") from None

    @staticmethod
    def _load(serializer: _Serializer, token: str, max_age: int) -> tuple[Any, Any]:
        if not has_token_shape(token):
            raise LinkInvalid("malformed token")
        try:
            result: tuple[Any, Any] = serializer.loads(
                token, max_age=max_age, return_timestamp=True
            )
        except SignatureExpired:
            raise LinkExpired("link expired") from None
        except BadData:
            raise LinkInvalid("bad signature or payload") from None
        return result


def _name_and_ttl(payload: Any, key: str) -> tuple[str, int]:
    """What a payload of exactly ``{key: name, "t": ttl}`` holds: a non-empty string that
    names a row, and a positive number of seconds; anything else is invalid."""
    if not isinstance(payload, dict) or set(payload) != {key, "t"}:
        raise LinkInvalid("unexpected payload")
    name, ttl = payload[key], payload["t"]
    if not (isinstance(name, str) and name and type(ttl) is int and ttl > 0):
        raise LinkInvalid("unexpected payload")
    return name, ttl


_KEYS = frozenset({"s", "j", "t", "g"})
_NUMBERED_KEYS = _KEYS | {"i"}


def _claims_from(payload: Any, issued_at: int) -> LinkClaims:
    """Check the payload's shape; a signed but ill-formed payload is still invalid."""
    if not isinstance(payload, dict) or set(payload) not in (_KEYS, _NUMBERED_KEYS):
        raise LinkInvalid("unexpected payload")
    share_id, jti, ttl, generation = payload["s"], payload["j"], payload["t"], payload["g"]
    number = payload.get("i")
    if not (isinstance(share_id, str) and isinstance(jti, str) and share_id and jti):
        raise LinkInvalid("unexpected payload")
    if not all(type(n) is int for n in (ttl, generation)) or ttl <= 0:
        raise LinkInvalid("unexpected payload")
    if "i" in payload and (type(number) is not int or number < 1):
        raise LinkInvalid("unexpected payload")
    return LinkClaims(share_id, jti, ttl, generation, issued_at, number)
