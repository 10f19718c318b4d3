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

from quart_app.links.redemption import redeem_link
from quart_app.services import Services
from quart_app.storage.queries.users import User
from quart_app.web.views import live

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


async def events_since(services: Services, user: User) -> str:
    """The stream's address as the dashboard page links it: with the change stamp it
    rendered, where the backend keeps one."""
    stamp = await services.db.change_stamp(user.id)
    return "/shares/events" + ("" if stamp is None else f"?since={stamp}")


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
    async with stream(browser.client, await events_since(services, user)) as connection:
        assert "retry: " in await read_until(connection, "retry")
        if await services.db.change_stamp(user.id) is None:
            # No stamp to compare with: the list is sent at once, as it is now.
            assert "0 of 2 used" in await read_until(connection, "</table>")
        await redeem_link(services, token_of(created.links[0].url))
        received = await read_until(connection, "1 of 2 used")
        while not received.endswith("\n\n"):  # the rest of the message
            received += await read_until(connection, "\n")
    assert "data: " in received
    stamp = await services.db.change_stamp(user.id)
    if stamp is not None:
        assert f"id: {stamp}" in received


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
async def test_a_reconnecting_browser_is_sent_the_list_only_if_it_changed(
    browser: Browser, services: Services, user: User
) -> None:
    await share_for(services, user)
    now = await services.db.change_stamp(user.id)
    assert now is not None
    async with stream(browser.client, "/shares/events", {"Last-Event-ID": str(now)}) as same:
        await read_until(same, "retry")
        with pytest.raises(TimeoutError):
            await read_until(same, "data:", within=1)
    async with stream(browser.client, "/shares/events", {"Last-Event-ID": str(now - 1)}) as old:
        assert "Untitled share" in await read_until(old, "</table>")


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
async def test_without_a_stamp_a_reconnecting_browser_is_sent_the_list(
    browser: Browser, services: Services, user: User
) -> None:
    await share_for(services, user)
    async with stream(browser.client, "/shares/events") as connection:
        received = await read_until(connection, "</table>")
    assert "Untitled share" in received
    assert "id: " not in received


async def test_logging_out_ends_the_stream(
    browser: Browser, services: Services, user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live, "HEARTBEAT_SECONDS", 0.2)
    async with stream(browser.client, await events_since(services, user)) as connection:
        await read_until(connection, "retry")
        assert (await browser.post("/logout")).status_code == 303
        assert "event: done" in await read_until(connection, "event: done", within=2)


def test_each_line_of_html_becomes_a_data_line() -> None:
    assert live.message("<p>\n  one\n</p>", 7) == b"data: <p>\ndata:   one\ndata: </p>\nid: 7\n\n"


def test_streams_end_before_hypercorn_would_cut_a_silent_client() -> None:
    config = tomllib.loads((Path(__file__).parent.parent / "hypercorn.toml").read_text())
    assert config["read_timeout"] >= live.STREAM_SECONDS + 5
