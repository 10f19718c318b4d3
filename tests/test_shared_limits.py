"""With ONCELINK_REDIS_URL, instances share their rate limits; without it, or while Redis is
away, each process counts on its own."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlencode

import pytest
from quart import Quart

from quart_app import create_app
from quart_app.clock import FrozenClock
from quart_app.config import Settings
from quart_app.services import open_services

from . import rawhttp
from .conftest import PASSWORD, log_in, make_settings, make_user, used_link
from .live import issue_links, live_server, live_servers
from .livestreams import live_stream
from .servers import free_port

WRONG_PASSWORD = "wrong password!"
WRONG = {"name": "user1", "password": WRONG_PASSWORD}
FORM = "application/x-www-form-urlencoded"


@contextlib.asynccontextmanager
async def instance(settings: Settings, clock: FrozenClock) -> AsyncIterator[Quart]:
    """One more app on the same database, as another instance would be."""
    app = create_app(settings, clock)
    async with app.test_app():
        yield app


@contextlib.asynccontextmanager
async def two_instances_on_one_redis(
    settings: Settings, clock: FrozenClock, redis_url: str
) -> AsyncIterator[tuple[Quart, Quart]]:
    """Two instances on one database and one Redis, with user1 in the database."""
    shared = replace(settings, redis_url=redis_url)
    async with instance(shared, clock) as first, instance(shared, clock) as second:
        await make_user(first.extensions["oncelink"])
        yield first, second


async def wrong_logins(app: Quart, times: int) -> list[int]:
    client = app.test_client()
    return [(await client.post("/login", form=WRONG)).status_code for _ in range(times)]


async def test_instances_with_one_redis_share_the_login_limit(
    settings: Settings, clock: FrozenClock, redis_url: str
) -> None:
    async with two_instances_on_one_redis(settings, clock, redis_url) as (first, second):
        assert await wrong_logins(first, 3) == [401] * 3
        assert await wrong_logins(second, 2) == [401] * 2
        assert await wrong_logins(second, 1) == [429]
        assert await wrong_logins(first, 1) == [429]


async def test_without_redis_each_instance_counts_alone(
    settings: Settings, clock: FrozenClock
) -> None:
    async with instance(settings, clock) as first, instance(settings, clock) as second:
        await make_user(first.extensions["oncelink"])
        assert await wrong_logins(first, 6) == [401] * 5 + [429]
        assert await wrong_logins(second, 1) == [401]


async def test_while_redis_is_away_each_process_keeps_counting(
    settings: Settings, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    nobody_listens = f"redis://127.0.0.1:{free_port()}/0"
    async with instance(replace(settings, redis_url=nobody_listens), clock) as app:
        await make_user(app.extensions["oncelink"])
        assert await wrong_logins(app, 6) == [401] * 5 + [429]
    away = [r for r in caplog.records if "Redis is unreachable" in r.getMessage()]
    assert [r.levelno for r in away] == [logging.WARNING] * 2  # once per limiter used


async def refused_redemptions(base_url: str, path: str, times: int) -> list[int]:
    return [(await rawhttp.request("POST", base_url + path))[0] for _ in range(times)]


async def test_two_served_instances_share_the_redemption_limit_through_redis(
    tmp_path: Path, database: str, redis_url: str
) -> None:
    async with open_services(make_settings(tmp_path, database=database)) as services:
        used = await used_link(services)  # dead links are refused before any limit counts
    env = {"ONCELINK_DATABASE": database, "ONCELINK_REDIS_URL": redis_url}
    with (
        live_server(tmp_path / "a", workers=1, ONCELINK_RATE_LIMITS="on", **env) as first,
        live_server(tmp_path / "b", workers=1, ONCELINK_RATE_LIMITS="on", **env) as second,
    ):
        # 60 a minute from one address, counted across both instances.
        assert await refused_redemptions(first.base_url, used, 30) == [410] * 30
        assert await refused_redemptions(second.base_url, used, 30) == [410] * 30
        assert await refused_redemptions(first.base_url, used, 1) == [429]
        assert await refused_redemptions(second.base_url, used, 1) == [429]


async def simultaneous_logins(
    base_url: str, name: str, password: str, addresses: list[str]
) -> Counter[int]:
    """One login attempt per address, all at once, each on a connection of its own (the
    server trusts the loopback proxy's X-Forwarded-For)."""
    body = urlencode({"name": name, "password": password}).encode()

    async def attempt(address: str) -> int:
        headers = {"Content-Type": FORM, "X-Forwarded-For": address}
        return (await rawhttp.request("POST", base_url + "/login", headers=headers, body=body))[0]

    return Counter(await asyncio.gather(*(attempt(address) for address in addresses)))


# 60 attempts from one address, and 100 from as many addresses, each at one user name.
ATTACKS = {"racer": ["198.51.100.7"] * 60, "runner": [f"203.0.113.{i}" for i in range(100)]}
LIMITS_ON = {"ONCELINK_RATE_LIMITS": "on", "ONCELINK_TRUSTED_PROXIES": "127.0.0.1"}


async def test_simultaneous_wrong_passwords_are_checked_five_times_per_worker_at_most(
    tmp_path: Path,
) -> None:
    with live_server(tmp_path, workers=2, **LIMITS_ON) as server:
        for name, addresses in ATTACKS.items():
            await issue_links(server, 1, owner=name)
            statuses = await simultaneous_logins(server.base_url, name, WRONG_PASSWORD, addresses)
            # Without Redis each of the two workers counts on its own.
            assert statuses[401] <= 2 * 5, name
            assert statuses[401] + statuses[429] == len(addresses), name


async def test_simultaneous_wrong_passwords_are_checked_five_times_across_instances(
    tmp_path: Path, redis_url: str
) -> None:
    env = {**LIMITS_ON, "ONCELINK_REDIS_URL": redis_url}
    env["ONCELINK_DATABASE"] = str(tmp_path / "shared.sqlite3")
    with live_servers([tmp_path / "a", tmp_path / "b"], workers=2, **env) as servers:
        for name, addresses in ATTACKS.items():
            await issue_links(servers[0], 1, owner=name)
            halves = (addresses[: len(addresses) // 2], addresses[len(addresses) // 2 :])
            statuses = sum(
                await asyncio.gather(
                    *(
                        simultaneous_logins(server.base_url, name, WRONG_PASSWORD, half)
                        for server, half in zip(servers, halves, strict=True)
                    )
                ),
                Counter[int](),
            )
            assert statuses == {401: 5, 429: len(addresses) - 5}, name
            right = await simultaneous_logins(servers[1].base_url, name, PASSWORD, ["192.0.2.9"])
            assert right == {429: 1}, name


async def test_instances_with_one_redis_share_the_live_stream_caps(
    settings: Settings, clock: FrozenClock, redis_url: str
) -> None:
    async with two_instances_on_one_redis(settings, clock, redis_url) as (first, second):
        browser = await log_in(first.test_client())
        elsewhere = second.test_client()  # the same browser, sent to the other instance
        for cookie in browser.client.cookie_jar:
            elsewhere.set_cookie("localhost", cookie.name, cookie.value)
        async with contextlib.AsyncExitStack() as tabs:
            for client in [browser.client] * 5 + [elsewhere] * 3:
                assert (await tabs.enter_async_context(live_stream(client))).status_code == 200
            for client in (browser.client, elsewhere):
                async with live_stream(client) as one_too_many:
                    assert one_too_many.status_code == 429
