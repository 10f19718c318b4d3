"""Link tokens: what verifies, what does not, and key rotation."""

from __future__ import annotations

import hashlib

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from quart_app.clock import FrozenClock
from quart_app.links.tokens import LINK_SALT, MAX_TOKEN_LENGTH, LinkExpired, LinkInvalid, LinkSigner

OLD = "old-signing-key-" + "a" * 32
NEW = "new-signing-key-" + "b" * 32
DAY = 86400


@pytest.fixture
def clock() -> FrozenClock:
    """Starts at the real time, as tokens from other tools would be dated."""
    return FrozenClock()


def signer(clock: FrozenClock, *keys: str) -> LinkSigner:
    return LinkSigner(keys, max_ttl=30 * DAY, clock=clock)


def raw_token(clock: FrozenClock, payload: object, key: str = NEW) -> str:
    """A correctly signed token with any payload, as a holder of the key could make, dated
    by the test's clock (signed a second later than the clock says, it would be from the
    future, which itsdangerous calls expired)."""

    class AtTheClock(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(clock())

    serializer = URLSafeTimedSerializer(
        key, salt=LINK_SALT, signer=AtTheClock, signer_kwargs={"digest_method": hashlib.sha256}
    )
    return serializer.dumps(payload)


def test_token_carries_share_jti_ttl_and_generation(clock: FrozenClock) -> None:
    token = signer(clock, NEW).issue("share-1", ttl=600, generation=3)
    claims = signer(clock, NEW).verify(token)
    assert (claims.share_id, claims.ttl, claims.generation) == ("share-1", 600, 3)
    assert len(claims.jti) == 22
    assert claims.expires_at == int(clock()) + 600


def test_a_link_carries_its_number_and_old_links_without_one_stay_valid(
    clock: FrozenClock,
) -> None:
    links = signer(clock, NEW)
    assert links.verify(links.issue("s", ttl=600, generation=0, number=7)).number == 7
    old = raw_token(clock, {"s": "s", "j": "j", "t": 600, "g": 0})
    assert links.verify(old).number is None


def test_every_link_gets_its_own_jti(clock: FrozenClock) -> None:
    links = signer(clock, NEW)
    jtis = {links.verify(links.issue("s", ttl=600, generation=0)).jti for _ in range(200)}
    assert len(jtis) == 200


def test_each_link_expires_after_its_own_ttl(clock: FrozenClock) -> None:
    links = signer(clock, NEW)
    short, long = (links.issue("s", ttl=ttl, generation=0) for ttl in (300, 3600))
    clock.advance(301)
    with pytest.raises(LinkExpired):
        links.verify(short)
    assert links.verify(long).ttl == 3600


def test_nothing_outlives_max_ttl_whatever_its_payload_says(clock: FrozenClock) -> None:
    token = raw_token(clock, {"s": "s", "j": "j", "t": 365 * DAY, "g": 0})
    assert signer(clock, NEW).verify(token).ttl == 365 * DAY
    clock.advance(30 * DAY + 1)
    with pytest.raises(LinkExpired):
        signer(clock, NEW).verify(token)


@pytest.mark.parametrize(
    "payload",
    [
        {"s": "s", "j": "j", "t": 600},
        {"s": "s", "j": "j", "t": "600", "g": 0},
        {"s": "s", "j": "j", "t": 600, "g": 0.5},
        {"s": "s", "j": "j", "t": True, "g": 0},
        {"s": 1, "j": "j", "t": 600, "g": 0},
        {"s": "s", "j": "", "t": 600, "g": 0},
        {"s": "s", "j": "j", "t": -5, "g": 0},
        {"s": "s", "j": "j", "t": 600, "g": 0, "x": 1},
        {"s": "s", "j": "j", "t": 600, "g": 0, "i": 0},
        {"s": "s", "j": "j", "t": 600, "g": 0, "i": "1"},
        {"s": "s", "j": "j", "t": 600, "g": 0, "i": True},
        {"s": "s", "j": "j", "t": 600, "g": 0, "i": None},
        ["s", "j", 600, 0],
        "just a string",
    ],
)
def test_signed_but_ill_formed_payloads_are_invalid(clock: FrozenClock, payload: object) -> None:
    with pytest.raises(LinkInvalid):
        signer(clock, NEW).verify(raw_token(clock, payload))


def test_rotation_new_key_signs_old_links_still_verify(clock: FrozenClock) -> None:
    old_link = signer(clock, OLD).issue("s", ttl=600, generation=0)
    rotated = signer(clock, OLD, NEW)
    new_link = rotated.issue("s", ttl=600, generation=0)
    assert rotated.verify(old_link).share_id == "s"
    with pytest.raises(LinkInvalid):
        signer(clock, OLD).verify(new_link)  # proves the newest key signed it
    with pytest.raises(LinkInvalid):
        signer(clock, NEW).verify(old_link)  # dropping the old key retires its links


def test_setup_tokens_are_not_links(clock: FrozenClock) -> None:
    links = signer(clock, NEW)
    with pytest.raises(LinkInvalid):
        links.verify(links.issue_setup())
    with pytest.raises(LinkInvalid):
        links.verify_setup(links.issue("s", ttl=600, generation=0), max_age=600)


def test_largest_real_tokens_fit_the_length_limit_with_room(clock: FrozenClock) -> None:
    links = signer(clock, NEW)
    token = links.issue("x" * 16, ttl=30 * DAY, generation=10**9, number=1000)
    assert len(token) < MAX_TOKEN_LENGTH * 0.7
    assert links.verify(token).generation == 10**9
