"""Live dashboards against real Hypercorn with two workers: a redemption made anywhere shows
up within two seconds, and open streams never hold up a shutdown."""

from __future__ import annotations

import asyncio
import re
import signal
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from quart_app.accounts import NewUser, add_user
from quart_app.links.redemption import redeem_link
from quart_app.services import open_services
from quart_app.share_requests import ShareRequest
from quart_app.shares import create_share
from quart_app.storage.queries.users import user_by_name

from .conftest import PASSWORD, token_of
from .live import LiveServer, live_server

LIVE_WITHIN = 2.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("live-updates")) as server:
        yield server


async def user_with_share(server: LiveServer, name: str, links: int) -> list[str]:
    async with open_services(server.settings) as services:
        await add_user(services, NewUser(name, PASSWORD), is_admin=False)
        user = await user_by_name(services.db.reader, name)
        assert user is not None
        created = await create_share(services, user, ShareRequest("note", "", 3600, links))
    return [link.url for link in created.links]


@asynccontextmanager
async def dashboard(server: LiveServer, name: str) -> AsyncIterator[httpx.Response]:
    """A logged-in browser's live stream, as the dashboard page opens it."""
    async with httpx.AsyncClient(base_url=server.base_url) as browser:
        login = await browser.post("/login", data={"name": name, "password": PASSWORD})
        assert login.status_code == 303
        page = (await browser.get("/")).text
        connect = re.search(r'hx-sse:connect="([^"]+)"', page)
        assert connect is not None
        url = connect.group(1).replace("&amp;", "&")
        # What htmx 4's SSE extension sends.
        headers = {"HX-Request": "true", "Accept": "text/html, text/event-stream"}
        async with browser.stream("GET", url, headers=headers) as events:
            assert events.headers["content-type"].startswith("text/event-stream")
            yield events


async def wait_for(events: AsyncIterator[str], text: str) -> float:
    """Seconds until ``text`` arrives on the stream."""
    started = time.monotonic()
    async with asyncio.timeout(LIVE_WITHIN):
        async for chunk in events:
            if text in chunk:
                return time.monotonic() - started
    raise AssertionError(f"the stream ended before {text!r}")


async def test_a_use_by_another_process_shows_within_two_seconds(server: LiveServer) -> None:
    urls = await user_with_share(server, "watcher", links=3)
    async with dashboard(server, "watcher") as events:
        lines = events.aiter_text()
        # Redeemed by this test process: neither worker serving the stream made the change.
        async with open_services(server.settings) as services:
            await redeem_link(services, token_of(urls[0]))
        assert await wait_for(lines, "1 of 3 used") < LIVE_WITHIN
        async with httpx.AsyncClient() as recipient:
            assert (await recipient.post(urls[1])).status_code == 200
        assert await wait_for(lines, "2 of 3 used") < LIVE_WITHIN


async def test_stopping_the_server_ends_open_streams_at_once(tmp_path: Path) -> None:
    with live_server(tmp_path / "instance") as server:
        await user_with_share(server, "leaver", links=1)
        async with dashboard(server, "leaver") as events:
            started = time.monotonic()
            server.process.send_signal(signal.SIGINT)
            async with asyncio.timeout(4):
                async for _ in events.aiter_text():  # ends cleanly: no protocol error
                    pass
            await asyncio.to_thread(server.process.wait, 10)
        stopped_after = time.monotonic() - started
    # Hypercorn's graceful_timeout is 5 s; a stream nobody ends would make it wait that long.
    assert stopped_after < 3, stopped_after
    assert server.process.returncode == 0
