"""With ONCELINK_REDIS_URL, instances share their rate limits; without it, or while Redis is
away, each process counts on its own."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from quart import Quart

from quart_app import create_app
from quart_app.clock import FrozenClock
from quart_app.config import Settings
from quart_app.services import open_services

from . import rawhttp
from .conftest import make_settings, make_user, used_link
from .live import live_server
from .servers import free_port

WRONG = {"name": "user1", "password": "wrong password!"}


@contextlib.asynccontextmanager
async def instance(settings: Settings, clock: FrozenClock) -> AsyncIterator[Quart]:
    """One more app on the same database, as another instance would be."""
    app = create_app(settings, clock)
    async with app.test_app():
        yield app


async def wrong_logins(app: Quart, times: int) -> list[int]:
    client = app.test_client()
    return [(await client.post("/login", form=WRONG)).status_code for _ in range(times)]


async def test_instances_with_one_redis_share_the_login_limit(
    settings: Settings, clock: FrozenClock, redis_url: str
) -> None:
    shared = replace(settings, redis_url=redis_url)
    async with instance(shared, clock) as first, instance(shared, clock) as second:
        await make_user(first.extensions["oncelink"])
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
