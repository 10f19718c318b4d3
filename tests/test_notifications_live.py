"""Notifications from real serving processes, on SQLite and PostgreSQL: a server killed (-9)
while a notice is on its way, after its worker took it from the outbox and before the
delivery was answered, delivers it after a restart, with the same webhook-id."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from quart_app.accounts import NewUser, add_user
from quart_app.notifications import NoticeType, webhooks
from quart_app.services import open_services
from quart_app.storage.queries.users import user_by_name

from .conftest import PASSWORD, query_directly
from .live import LiveServer, issue_links, live_server
from .receivers import Received, WebhookReceiver, verified, webhook_receiver

OWNER = "watcher"


async def watch(server: LiveServer, receiver: WebhookReceiver) -> str:
    """The owner's webhook to the receiver; its secret."""
    async with open_services(server.settings) as services:
        await add_user(services, NewUser(OWNER, PASSWORD), is_admin=False)
        owner = await user_by_name(services.db.reader, OWNER)
        assert owner is not None
        created = await webhooks.create_webhook(
            services, owner, receiver.url, [NoticeType.LINK_GRANTED]
        )
    assert created is not None
    return created.secret


async def wait_for(condition: Callable[[], Awaitable[bool]], seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not await condition():
        assert time.monotonic() < deadline, "waited in vain"
        await asyncio.sleep(0.05)


async def test_a_notice_taken_by_a_killed_worker_is_delivered_after_a_restart(
    tmp_path: Path, database: str
) -> None:
    instance = tmp_path / "instance"
    env = {"ONCELINK_DATABASE": database, "ONCELINK_WEBHOOK_ALLOW_PRIVATE": "on"}
    with webhook_receiver() as receiver:
        receiver.hold = threading.Event()
        receiver.hold.set()  # the first delivery is never answered
        with live_server(instance, workers=1, **env) as server:
            secret = await watch(server, receiver)
            [url] = await issue_links(server, 1, owner=OWNER)
            used = await asyncio.to_thread(httpx.post, url, headers={"Accept": "application/json"})
            assert used.status_code == 200
            await wait_for(lambda: _count(receiver.received, 1))
            server.crash()
        receiver.hold.clear()
        receiver.released.set()
        with live_server(instance, workers=1, **env):
            await wait_for(lambda: _count(receiver.received, 2))
            await wait_for(lambda: _outbox_empty(database))
    first, again = receiver.received
    assert first.message_id == again.message_id
    assert verified(secret, first) == verified(secret, again)
    assert verified(secret, again)["type"] == "link.granted"


async def _count(items: list[Received], count: int) -> bool:
    return len(items) == count


async def _outbox_empty(database: str) -> bool:
    return await query_directly(database, "SELECT count(*) FROM outbox") == [(0,)]
