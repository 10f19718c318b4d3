"""The Server-Sent Events stream that keeps an open dashboard's share list live."""

from __future__ import annotations

import asyncio
import tomllib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from quart.testing import QuartClient
from quart.testing.connections import TestHTTPConnection as Connection

from quart_app.redeem import redeem_link
from quart_app.services import Services
from quart_app.store import User
from quart_app.views import live

from .conftest import Browser, share_for, token_of


@asynccontextmanager
async def stream(
    client: QuartClient, path: str, headers: dict[str, str] | None = None
) -> AsyncIterator[Connection]:
    headers = {"Accept": "text/event-stream", **(headers or {})}
    async with client.request(path, headers=headers) as connection:
        assert isinstance(connection, Connection)
        await connection.send_complete()
        yield connection
        await connection.disconnect()


async def read_until(connection: Connection, text: str, within: float = 3) -> str:
    """Everything received until ``text`` shows up; fails after ``within`` seconds."""
    received = ""
    async with asyncio.timeout(within):
        while text not in received:
            received += (await connection.receive()).decode()
    return received


async def counter(services: Services, user: User) -> int:
    return await services.feed.counter_of(user.id)


async def test_only_event_source_clients_get_a_stream(browser: Browser) -> None:
    response = await browser.get("/shares/events")
    assert response.status_code == 406
    assert "live updates" in await response.get_data(as_text=True)


async def test_an_anonymous_browser_is_told_to_stop_listening(client: QuartClient) -> None:
    response = await client.get("/shares/events", headers={"Accept": "text/event-stream"})
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    assert "event: done" in await response.get_data(as_text=True)


async def test_a_used_link_sends_the_list_again(
    browser: Browser, services: Services, user: User
) -> None:
    created = await share_for(services, user, links=2)
    since = await counter(services, user)
    async with stream(browser.client, f"/shares/events?since={since}") as connection:
        assert "retry: " in await read_until(connection, "retry")
        await redeem_link(services, token_of(created.links[0].url))
        received = await read_until(connection, "\n\n", within=3)
        while "id: " not in received:
            received += await read_until(connection, "\n\n")
    assert "data: " in received
    assert "1 of 2 used" in received
    assert f"id: {await counter(services, user)}" in received


async def test_a_reconnecting_browser_is_sent_the_list_only_if_it_changed(
    browser: Browser, services: Services, user: User
) -> None:
    await share_for(services, user)
    now = await counter(services, user)
    async with stream(browser.client, "/shares/events", {"Last-Event-ID": str(now)}) as same:
        await read_until(same, "retry")
        with pytest.raises(TimeoutError):
            await read_until(same, "data:", within=1)
    async with stream(browser.client, "/shares/events", {"Last-Event-ID": str(now - 1)}) as old:
        assert "Untitled share" in await read_until(old, "</table>")


async def test_logging_out_ends_the_stream(
    browser: Browser, services: Services, user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live, "HEARTBEAT_SECONDS", 0.2)
    since = await counter(services, user)
    async with stream(browser.client, f"/shares/events?since={since}") as connection:
        await read_until(connection, "retry")
        assert (await browser.post("/logout")).status_code == 303
        assert "event: done" in await read_until(connection, "event: done", within=2)


def test_each_line_of_html_becomes_a_data_line() -> None:
    assert live.message("<p>\n  one\n</p>", 7) == b"data: <p>\ndata:   one\ndata: </p>\nid: 7\n\n"


def test_streams_end_before_hypercorn_would_cut_a_silent_client() -> None:
    config = tomllib.loads((Path(__file__).parent.parent / "hypercorn.toml").read_text())
    assert config["read_timeout"] >= live.STREAM_SECONDS + 5
