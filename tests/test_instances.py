"""Several oncelink instances, each its own Hypercorn, on one database: a link still works
exactly once however the requests are spread over them, and an instance killed mid-load
loses no redemption it answered and lets no link be used twice; a dashboard open on one
instance sees what happens on another."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from quart_app.clock import system_clock
from quart_app.links.tokens import LinkSigner

from . import rawhttp
from .conftest import PASSWORD, SIGNING_KEY, query_directly
from .live import NOTE, LiveServer, issue_links, live_server, live_servers

JSON = {"Accept": "application/json"}
INSTANCES = 3


@pytest.fixture
def servers(tmp_path: Path, database: str) -> Iterator[list[LiveServer]]:
    folders = [tmp_path / f"instance{number}" for number in range(INSTANCES)]
    with live_servers(folders, ONCELINK_DATABASE=database) as servers:
        yield servers


def token_of(url: str) -> str:
    return url.rsplit("/connect/", 1)[1]


def jti_of(token: str) -> str:
    return LinkSigner((SIGNING_KEY,), max_ttl=86400, clock=system_clock).verify(token).jti


async def post(server: LiveServer, token: str) -> int | None:
    """The status of one redemption on its own connection; None if the server vanished."""
    try:
        status, body = await rawhttp.request(
            "POST", f"{server.base_url}/connect/{token}", headers=JSON
        )
    except (OSError, IndexError, ValueError):  # refused, reset, or cut before a status line
        return None
    assert status != 200 or NOTE in body.decode()
    return status


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
async def test_racing_posts_spread_over_three_instances_have_one_winner_per_link(
    servers: list[LiveServer], database: str
) -> None:
    tokens = [token_of(url) for url in await issue_links(servers[0], 50)]
    # 300 clients, a hundred on each instance, each on a connection it keeps open.
    clients = await asyncio.gather(
        *(rawhttp.KeepAlive.open(servers[n % INSTANCES].base_url) for n in range(300))
    )
    try:
        for token in tokens:
            answers = await asyncio.gather(
                *(client.request("POST", f"/connect/{token}", headers=JSON) for client in clients)
            )
            assert Counter(status for status, _ in answers) == Counter({200: 1, 410: 299})
            assert any(NOTE in body.decode() for status, body in answers if status == 200)
    finally:
        await asyncio.gather(*(client.close() for client in clients))
    [(used,)] = await query_directly(database, "SELECT sum(links_used) FROM shares")
    assert used == 50


async def test_a_killed_instance_loses_no_answered_redemption_and_no_link_works_twice(
    servers: list[LiveServer], database: str, tmp_path: Path
) -> None:
    tokens = [token_of(url) for url in await issue_links(servers[0], 600)]
    victim = servers[-1]
    victims = {token for index, token in enumerate(tokens) if index % INSTANCES == INSTANCES - 1}
    answers: dict[str, int | None] = {}
    slots = asyncio.Semaphore(60)
    victim_answered_enough = asyncio.Event()

    async def redeem(index: int, token: str) -> None:
        async with slots:
            answers[token] = await post(servers[index % INSTANCES], token)
        if sum(answers.get(token) == 200 for token in victims) >= 40:
            victim_answered_enough.set()

    load = asyncio.gather(*(redeem(index, token) for index, token in enumerate(tokens)))
    # kill -9 the victim once it has answered some, with more of its requests under way.
    await asyncio.wait_for(victim_answered_enough.wait(), timeout=60)
    victim.crash()
    await load

    granted = {token for token, status in answers.items() if status == 200}
    lost = {token for token in victims if answers[token] is None}
    assert granted & victims, "the victim answered nothing before it was killed"
    assert lost, "the victim was killed when it had nothing under way"
    ledger = {jti for (jti,) in await query_directly(database, "SELECT jti FROM redemptions")}
    assert {jti_of(token) for token in granted} <= ledger  # every 200 was durable

    # The victim comes back; every link is tried again on it and on another instance.
    with live_server(tmp_path / "instance-back", workers=1, ONCELINK_DATABASE=database) as back:
        retries = await asyncio.gather(
            *(post(server, token) for token in tokens for server in (back, servers[0]))
        )
    for token, (first, second) in zip(
        tokens, zip(retries[::2], retries[1::2], strict=True), strict=True
    ):
        grants = [answers[token], first, second].count(200)
        assert grants <= 1, token  # never twice, whoever answered
        if jti_of(token) in ledger:
            assert (first, second) == (410, 410), token  # used before: stays used
        else:
            assert grants == 1, token  # never used: works once now
    [(used,)] = await query_directly(database, "SELECT sum(links_used) FROM shares")
    assert used == len(tokens)


async def test_a_dashboard_on_one_instance_sees_a_link_used_on_another(
    servers: list[LiveServer],
) -> None:
    [url] = await issue_links(servers[0], 1)
    first, second = servers[0], servers[1]
    async with httpx.AsyncClient(base_url=first.base_url, timeout=10) as browser:
        login = await browser.post("/login", data={"name": "racer", "password": PASSWORD})
        assert login.status_code == 303
        headers = {"Accept": "text/event-stream"}
        async with browser.stream("GET", "/shares/events", headers=headers) as events:
            lines = events.aiter_lines()
            await read_until(lines, "0 of 1 used")  # the list as it is: now it watches
            assert await post(second, token_of(url)) == 200
            await read_until(lines, "1 of 1 used")


async def read_until(lines: AsyncIterator[str], text: str) -> None:
    async with asyncio.timeout(10):
        async for line in lines:
            if text in line:
                return
    raise AssertionError(f"the stream ended without {text!r}")
