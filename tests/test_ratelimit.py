"""Rate limits: guessing passwords and hammering links get 429 with Retry-After. Every test
runs with the limits kept in the process and with the limits kept in Redis."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import replace
from ipaddress import ip_network
from pathlib import Path

import pytest
from quart import Quart
from quart.testing import QuartClient

from quart_app import create_app
from quart_app.clock import FrozenClock
from quart_app.config import Settings
from quart_app.ratelimit.local import STANDARD_RATES, Limiter, Limits, Rate
from quart_app.ratelimit.shared import shared_limits
from quart_app.ratelimit.slots import STREAM_SLOTS
from quart_app.services import Services
from quart_app.storage.queries.users import User
from quart_app.web.context import services_of

from .apiclient import ApiClient
from .conftest import PASSWORD, log_in, make_settings, share_for, token_of, used_link
from .livestreams import live_stream

WRONG = {"name": "user1", "password": "wrong password!"}


@pytest.fixture(params=["in-process", "redis"])
def limits_url(request: pytest.FixtureRequest) -> str | None:
    """ONCELINK_REDIS_URL for the limits: none, or an empty Redis."""
    return request.getfixturevalue("redis_url") if request.param == "redis" else None


@pytest.fixture
def settings(tmp_path: Path, database: str, limits_url: str | None) -> Settings:
    return make_settings(tmp_path, database=database, redis_url=limits_url)


@pytest.fixture
async def limits(clock: FrozenClock, limits_url: str | None) -> AsyncIterator[Limits]:
    """Limits as configured, but three redemptions a minute per address."""
    rates = {**STANDARD_RATES, "redeem_per_address": Rate(3, 60)}
    limits = (
        shared_limits(clock, limits_url, rates) if limits_url else Limits.standard(clock, rates)
    )
    yield limits
    if limits.close is not None:
        await limits.close()


async def hits(limiter: Limiter, key: str, times: int) -> list[int | None]:
    return [await limiter.hit(key) for _ in range(times)]


async def test_a_burst_up_to_the_limit_passes_then_waits_are_told(
    limits: Limits, clock: FrozenClock
) -> None:
    limiter = limits.redeem_per_address
    assert await hits(limiter, "k", 3) == [None, None, None]
    assert await limiter.hit("k") == 20
    assert await limiter.hit("k") == 20  # a refused hit counts nothing
    assert await limiter.hit("other") is None
    clock.advance(19.5)
    assert await limiter.hit("k") == 1  # never less than a second
    clock.advance(0.5)
    assert await limiter.hit("k") is None
    assert await limiter.hit("k") == 20
    clock.advance(60)
    assert await hits(limiter, "k", 4) == [None, None, None, 20]  # a full burst again


async def test_a_slot_is_held_until_let_go_or_until_its_time_is_up(
    limits: Limits, clock: FrozenClock
) -> None:
    slots = limits.streams_per_session
    for n in range(slots.size):
        assert await slots.take("tab", f"ticket{n}", until=clock() + 30)
    assert not await slots.take("tab", "one too many", until=clock() + 30)
    assert await slots.take("another session", "ticket", until=clock() + 30)
    await slots.release("tab", "ticket0")
    assert await slots.take("tab", "let go", until=clock() + 60)
    # A holder that never lets go (its process died) holds only until the time it gave:
    # all but the last one taken are free again.
    clock.advance(30)
    for n in range(slots.size - 1):
        assert await slots.take("tab", f"later{n}", until=clock() + 30)
    assert not await slots.take("tab", "full again", until=clock() + 30)


async def test_five_wrong_passwords_lock_the_user_out_with_a_time_to_retry(
    client: QuartClient, user: User, clock: FrozenClock
) -> None:
    for _ in range(5):
        assert (await client.post("/login", form=WRONG)).status_code == 401
    locked = await client.post("/login", form={"name": "USER1", "password": PASSWORD})
    assert locked.status_code == 429
    assert locked.headers["Retry-After"] == "180"
    assert "Too many attempts. Try again in 3 minutes." in await locked.get_data(as_text=True)
    clock.advance(180)
    assert (
        await client.post("/login", form={"name": "user1", "password": PASSWORD})
    ).status_code == 303


async def test_one_address_cannot_spray_passwords_over_many_users(
    client: QuartClient, user: User
) -> None:
    statuses = [
        (await client.post("/login", form={"name": f"u{i}", "password": "x" * 12})).status_code
        for i in range(31)
    ]
    assert statuses == [401] * 30 + [429]


async def test_hammering_redemptions_from_one_address_is_slowed(
    client: QuartClient, services: Services, user: User
) -> None:
    used = await used_link(services)
    for _ in range(60):
        assert (await client.post(used)).status_code == 410
    created = await share_for(services, user)
    blocked = await client.post("/connect/" + token_of(created.links[0].url))
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) == 1
    assert blocked.headers["Cache-Control"] == "no-store"
    assert (await client.get("/connect/" + token_of(created.links[0].url))).status_code == 200


@pytest.mark.parametrize("accept", ["text/html", "application/json"])
async def test_limits_are_per_client_address(
    client: QuartClient, services: Services, user: User, accept: str
) -> None:
    used = await used_link(services)

    async def post(peer: str) -> int:
        response = await client.post(
            used, headers={"Accept": accept}, scope_base={"client": (peer, 1234)}
        )
        return response.status_code

    for _ in range(60):
        assert await post("192.0.2.1") == 410
    assert await post("192.0.2.1") == 429
    assert await post("192.0.2.2") == 410


# Browsers are answered by the view; programs (JSON) at the door, which must count alike.
@pytest.mark.parametrize("accept", ["text/html", "application/json"])
async def test_forwarded_for_counts_only_behind_a_trusted_proxy(
    settings: Settings, clock: FrozenClock, accept: str
) -> None:
    settings = replace(settings, trusted_proxies=(ip_network("10.0.0.0/8"),))
    app: Quart = create_app(settings, clock)
    async with app.test_app():
        client = app.test_client()
        used = await used_link(services_of(app))

        async def post(peer: str, forwarded: str) -> int:
            response = await client.post(
                used,
                headers={"X-Forwarded-For": forwarded, "Accept": accept},
                scope_base={"client": (peer, 1)},
            )
            return response.status_code

        for i in range(60):
            assert await post("10.0.0.5", f"198.51.100.{i}, 203.0.113.7") == 410
        assert await post("10.0.0.5", "203.0.113.7") == 429
        assert await post("10.0.0.5", "203.0.113.8") == 410
        # From an untrusted peer the header is ignored: the peer itself is the client.
        for _ in range(60):
            await post("192.0.2.50", "203.0.113.9")
        assert await post("192.0.2.50", "203.0.113.10") == 429


async def test_rate_limits_off_lets_everything_through(
    settings: Settings, clock: FrozenClock
) -> None:
    app = create_app(replace(settings, rate_limits=False), clock)
    async with app.test_app():
        client = app.test_client()
        used = await used_link(services_of(app))
        for _ in range(100):
            assert (await client.post(used)).status_code == 410


async def test_api_calls_are_limited_per_token(api: ApiClient, client: QuartClient) -> None:
    # Calls are counted before the token is looked up: an unknown one counts the same.
    unknown = {"Authorization": "Bearer olk_" + "x" * 43}
    for _ in range(STANDARD_RATES["api_per_token"].count):
        assert (await client.get("/api/v1/shares", headers=unknown)).status_code == 401
    limited = await client.get("/api/v1/shares", headers=unknown)
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "1"
    assert await limited.get_json() == {
        "error": "Too many requests with this API token.",
        "detail": "Try again in 1 second.",
    }
    assert (await api.get("/shares")).status_code == 200  # other tokens are not held back


async def test_simultaneous_wrong_passwords_for_one_name_are_checked_five_times_at_most(
    client: QuartClient, user: User
) -> None:
    """The name's count is taken before the password is checked: attempts sent at the same
    moment, from many addresses, cannot all be checked before any of them is counted."""

    async def attempt(peer: str, password: str) -> int:
        form = {"name": "user1", "password": password}
        response = await client.post("/login", form=form, scope_base={"client": (peer, 1)})
        return response.status_code

    wrong = WRONG["password"]
    statuses = await asyncio.gather(*(attempt(f"198.51.100.{i}", wrong) for i in range(60)))
    assert Counter(statuses) == {401: 5, 429: 55}
    assert await attempt("203.0.113.1", PASSWORD) == 429


async def test_right_passwords_never_use_up_the_names_attempts(
    client: QuartClient, user: User
) -> None:
    right = {"name": "user1", "password": PASSWORD}
    for _ in range(4):
        assert (await client.post("/login", form=WRONG)).status_code == 401
    for _ in range(8):
        assert (await client.post("/login", form=right)).status_code == 303
    assert (await client.post("/login", form=WRONG)).status_code == 401
    assert (await client.post("/login", form=right)).status_code == 429


async def test_guessing_the_current_password_on_the_account_page_is_limited(
    app: Quart, client: QuartClient, user: User
) -> None:
    """A stolen session cookie must not open a way around the login's limit: both forms
    spend the same five wrong guesses per name."""
    thief = await log_in(client)
    for _ in range(2):
        assert (await app.test_client().post("/login", form=WRONG)).status_code == 401
    guess = {"current": "wrong password!", "new": "a brand new passphrase"}
    for _ in range(3):
        assert (await thief.post("/account/password", guess)).status_code == 422
    limited = await thief.post("/account/password", {**guess, "current": PASSWORD})
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "180"
    assert "Too many attempts. Try again in 3 minutes." in await limited.get_data(as_text=True)
    right = {"name": "user1", "password": PASSWORD}
    assert (await app.test_client().post("/login", form=right)).status_code == 429


async def test_one_session_keeps_eight_live_streams_open_at_most(
    app: Quart, client: QuartClient, user: User
) -> None:
    await log_in(client)
    async with contextlib.AsyncExitStack() as tabs:
        for _ in range(STREAM_SLOTS["streams_per_session"]):
            assert (await tabs.enter_async_context(live_stream(client))).status_code == 200
        async with live_stream(client) as one_too_many:
            assert one_too_many.status_code == 429
            assert one_too_many.headers["Retry-After"] == "30"
        other_session = await log_in(app.test_client())
        async with live_stream(other_session.client) as elsewhere:
            assert elsewhere.status_code == 200
    async with live_stream(client) as after_closing:  # closed tabs let their slots go
        assert after_closing.status_code == 200


async def test_one_address_keeps_fifty_live_streams_open_at_most(app: Quart, user: User) -> None:
    per_session = STREAM_SLOTS["streams_per_session"]
    sessions = [
        (await log_in(app.test_client())).client
        for _ in range(STREAM_SLOTS["streams_per_address"] // per_session + 1)
    ]
    async with contextlib.AsyncExitStack() as tabs:
        opened = [
            (await tabs.enter_async_context(live_stream(session))).status_code
            for session in sessions
            for _ in range(per_session)
        ]
        assert Counter(opened) == {200: 50, 429: len(opened) - 50}
        async with live_stream(sessions[-1], peer="192.0.2.2") as other_address:
            assert other_address.status_code == 200
