"""Passphrases and the audit trail on real Hypercorn with two worker processes, on SQLite and
PostgreSQL: racing passphrases across processes, views kept through a clean shutdown, and
no secret in the events or the log."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from quart_app.clock import FrozenClock

from . import rawhttp
from .conftest import (
    BACKENDS,
    START,
    fresh_database,
    make_user,
    query_directly,
    share_for,
    token_of,
)
from .live import NOTE, LiveServer, issue_links, live_server

PASSPHRASE = "tangerine harbour 7"
JSON = {"Accept": "application/json", "Content-Type": "application/json"}


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LiveServer, str]]:
    instance = tmp_path_factory.mktemp("audit")
    with (
        fresh_database(request, request.param, instance) as database,
        live_server(instance, ONCELINK_DATABASE=database) as server,
    ):
        yield server, database


async def race(url: str, passphrases: list[str]) -> Counter[int]:
    """POST every passphrase to the link at once, each on a connection of its own."""
    answers = await asyncio.gather(
        *(
            rawhttp.request("POST", url, headers=JSON, body=json.dumps({"passphrase": p}).encode())
            for p in passphrases
        )
    )
    for status, body in answers:
        assert status != 200 or json.loads(body)["note"] == NOTE
    return Counter(status for status, _ in answers)


async def test_racing_right_passphrases_across_processes_have_one_winner(
    backend: tuple[LiveServer, str],
) -> None:
    server, _ = backend
    urls = await issue_links(server, 3, owner="right", passphrase=PASSPHRASE)
    for url in urls:
        statuses = await race(url, [PASSPHRASE] * 40)
        assert statuses[200] == 1, statuses
        assert statuses == Counter({200: 1, 410: 39}), statuses


async def test_fifty_racing_wrong_passphrases_never_count_past_five(
    backend: tuple[LiveServer, str],
) -> None:
    server, database = backend
    [url] = await issue_links(server, 1, owner="wrong", passphrase=PASSPHRASE)
    statuses = await race(url, [f"guess number {n}" for n in range(50)])
    assert statuses == Counter({403: 5, 410: 45})
    attempts = await query_directly(database, "SELECT attempts FROM passphrase_attempts")
    assert (5,) in attempts
    assert all(count <= 5 for (count,) in attempts)
    status, body = await rawhttp.request(
        "POST", url, headers=JSON, body=b'{"passphrase": "%s"}' % PASSPHRASE.encode()
    )
    assert (status, json.loads(body)["state"]) == (410, "locked")


async def test_a_clean_stop_writes_the_views_still_waiting(tmp_path: Path, database: str) -> None:
    from quart_app import create_app
    from quart_app.web.context import services_of

    from .conftest import make_settings

    app = create_app(make_settings(tmp_path, database=database), FrozenClock(START))
    async with app.test_app():
        services = services_of(app)
        owner = await make_user(services)
        path = "/connect/" + token_of((await share_for(services, owner)).links[0].url)
        assert (await app.test_client().get(path)).status_code == 200
        waiting = await query_directly(database, "SELECT count(*) FROM audit_events")
    assert waiting == [(0,)]  # still in the buffer when the app began to stop
    assert await query_directly(database, "SELECT kind FROM audit_events") == [("viewed",)]


async def test_views_are_kept_through_a_clean_stop_and_no_secret_reaches_events_or_log(
    tmp_path: Path, database: str
) -> None:
    wrong = b'{"passphrase": "not the passphrase at all"}'
    right = json.dumps({"passphrase": PASSPHRASE}).encode()
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    with live_server(tmp_path / "instance", ONCELINK_DATABASE=database) as server:
        urls = await issue_links(server, 2, owner="secretive", passphrase=PASSPHRASE)
        for _ in range(3):
            await rawhttp.request(
                "GET", urls[0], headers={"User-Agent": "TelegramBot (like TwitterBot)"}
            )
        await rawhttp.request("POST", urls[0], headers=JSON, body=wrong)
        await rawhttp.request("POST", urls[0], headers=JSON, body=right)
        await rawhttp.request("POST", urls[0], headers=JSON, body=right)
        await rawhttp.request("POST", urls[1], headers=form, body=b"passphrase=not+it+either")
    # Stopped: what was still waiting to be written was written on the way out.
    rows = await query_directly(
        database, "SELECT kind, count, bot FROM audit_events ORDER BY at, id"
    )
    assert rows == [
        ("viewed", 3, "Telegram"),
        ("passphrase_failed", 1, ""),
        ("granted", 1, ""),
        ("refused", 1, ""),
        ("passphrase_failed", 1, ""),
    ]
    stored = repr(await query_directly(database, "SELECT * FROM audit_events"))
    log = server.log()
    tokens = [url.rsplit("/", 1)[1] for url in urls]
    for secret in [*tokens, NOTE, PASSPHRASE, "not the passphrase", "not it either"]:
        assert secret not in stored
        assert secret not in log
