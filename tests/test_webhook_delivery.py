"""How notices leave: written in the transaction of what they report or not at all, shared by
the senders of several processes (each notice once), posted only where the URL's checked
address leads, with no redirect followed, within 5 s, at most 64 KiB of an answer read; and
as a chat message for Slack and Microsoft Teams."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import ssl
import threading
from collections.abc import AsyncIterator
from typing import Any

import pytest
from quart.testing import QuartClient

from quart_app import audit
from quart_app.clock import FrozenClock, human_utc
from quart_app.notifications import NoticeType, outbound, webhooks
from quart_app.notifications.outbound import Reply
from quart_app.notifications.sender import Sender
from quart_app.services import Services, build_services, start, stop
from quart_app.share_requests import ShareRequest
from quart_app.shares import create_share
from quart_app.storage.base import Dialect
from quart_app.storage.queries import outbox
from quart_app.storage.queries.events import EventKind, NewEvent
from quart_app.storage.queries.users import User

from .conftest import share_for, token_of
from .receivers import WebhookReceiver

GRANTED = [NoticeType.LINK_GRANTED]
SLACK = "https://hooks.slack.com/services/T000/B000/XXXX"
TEAMS = "https://example.webhook.office.com/webhookb2/abc/IncomingWebhook/def/ghi"

pytestmark = pytest.mark.private


async def hook(services: Services, owner: User, url: str) -> str:
    created = await webhooks.create_webhook(services, owner, url, GRANTED)
    assert created is not None
    return created.webhook.id


async def grants(services: Services, owner: User, client: QuartClient, count: int) -> None:
    created = await share_for(services, owner, links=count)
    for link in created.links:
        assert (await client.post(f"/connect/{token_of(link.url)}")).status_code == 200


async def test_a_notice_exists_only_if_what_it_reports_committed(
    services: Services, user: User, receiver: WebhookReceiver, clock: FrozenClock
) -> None:
    await hook(services, user, receiver.url)
    created = await share_for(services, user, links=2)
    share_id = created.share.id

    async def granted_then_failed() -> None:
        async with services.db.transaction() as conn:
            await audit.record(conn, NewEvent(share_id, 1, EventKind.GRANTED, clock()))
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        await granted_then_failed()
    assert await services.sender.drain() == 0
    async with services.db.transaction() as conn:
        await audit.record(conn, NewEvent(share_id, 2, EventKind.GRANTED, clock()))
    assert await services.sender.drain() == 1
    assert [json.loads(r.body)["data"]["link"] for r in receiver.received] == [2]


async def test_senders_of_several_processes_share_the_outbox_each_notice_once(
    services: Services, user: User, client: QuartClient, receiver: WebhookReceiver
) -> None:
    await hook(services, user, receiver.url)
    await grants(services, user, client, 12)
    other = build_services(services.settings, services.clock)
    await start(other)
    try:
        async with services.db.sending() as turn:  # this process's turn, under way
            assert turn is not None
            taken = await outbox.due_notices(turn.conn, now=services.clock(), limit=5)
            sent_meanwhile = await other.sender.drain()
    finally:
        await stop(other)
    sent_after = await services.sender.drain()
    if services.db.reader.dialect is Dialect.POSTGRESQL:
        # FOR UPDATE SKIP LOCKED: the other process took every row but the five held.
        assert (len(taken), sent_meanwhile, sent_after) == (5, 7, 5)
    else:
        # SQLite: one process sends at a time; the other waits for its next turn.
        assert (len(taken), sent_meanwhile, sent_after) == (5, 0, 12)
    ids = [r.message_id for r in receiver.received]
    assert len(ids) == len(set(ids)) == 12


async def test_slack_and_teams_get_a_chat_message_instead_of_the_event(
    services: Services, user: User, client: QuartClient, clock: FrozenClock
) -> None:
    for url in (SLACK, TEAMS):
        await hook(services, user, url)
    request = ShareRequest.for_recipients("the note", "office door", 3600, ["bob"], None)
    created = await create_share(services, user, request)
    await client.post(f"/connect/{token_of(created.links[0].url)}")
    posted: dict[str, Any] = {}

    async def post(url: str, body: bytes, headers: dict[str, str], **_: Any) -> Reply:
        posted[url] = json.loads(body)
        return Reply(200, None)

    assert await Sender(services.db, clock, services.settings, None, post=post).drain() == 2
    said = f"bob opened the link to “office door” ({human_utc(clock())})"
    assert posted[SLACK] == {"text": said}
    [card] = posted[TEAMS]["attachments"]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["content"]["body"][0]["text"] == said


@contextlib.asynccontextmanager
async def raw_server(head: str, *, endless: bool = False) -> AsyncIterator[str]:
    """A server that answers every request with ``head`` (then, if ``endless``, a body that
    never ends): its URL."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(65536)
        writer.write(head.encode())
        with contextlib.suppress(ConnectionError):
            while endless and not writer.is_closing():
                writer.write(b"x" * 65536)
                await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    async with server:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/hook"


async def posted(url: str) -> Reply:
    headers = {"webhook-id": "msg_1"}
    tls = ssl.create_default_context()
    return await outbound.post(url, b"{}", headers, allow_private=True, tls=tls)


async def test_a_redirect_is_a_failure_not_followed(receiver: WebhookReceiver) -> None:
    redirect = f"HTTP/1.1 307 Temporary Redirect\r\nLocation: {receiver.url}\r\n\r\n"
    async with raw_server(redirect) as url:
        reply = await posted(url)
    assert reply == Reply(307, "answered 307: redirects are not followed")
    assert receiver.received == []


async def test_an_endless_answer_is_read_no_further_than_64_kib() -> None:
    endless = "HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n"
    async with raw_server(endless, endless=True) as url, asyncio.timeout(2):
        assert await posted(url) == Reply(200, None)


async def test_an_answer_late_by_more_than_the_timeout_is_a_failure(
    monkeypatch: pytest.MonkeyPatch, receiver: WebhookReceiver
) -> None:
    monkeypatch.setattr(outbound, "TIMEOUT", 0.2)  # 5 s, shortened for the test
    receiver.hold = threading.Event()
    receiver.hold.set()
    reply = await posted(receiver.url)
    receiver.released.set()
    assert reply == Reply(None, "no answer within 0.2 s")


async def test_a_name_is_resolved_once_and_the_checked_address_connected_to(
    monkeypatch: pytest.MonkeyPatch, receiver: WebhookReceiver
) -> None:
    looked_up: list[str] = []
    loop = asyncio.get_running_loop()
    resolve = loop.getaddrinfo

    async def one_answer_then_another(host: Any, *args: Any, **kwargs: Any) -> Any:
        looked_up.append(host)
        # A name that would lead elsewhere if looked up again (DNS rebinding).
        target = "127.0.0.1" if len(looked_up) == 1 else "192.0.2.1"
        return await resolve(target, *args, **kwargs)

    monkeypatch.setattr(loop, "getaddrinfo", one_answer_then_another)
    reply = await posted(f"http://hooks.test:{receiver.port}/hook")
    assert reply == Reply(204, None)
    assert looked_up == ["hooks.test"]
    assert receiver.received[0].headers["host"] == f"hooks.test:{receiver.port}"


async def test_a_name_that_resolves_to_a_private_address_is_not_posted_to(
    monkeypatch: pytest.MonkeyPatch, receiver: WebhookReceiver
) -> None:
    async def private(host: Any, port: Any, **_: Any) -> Any:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", port))]

    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", private)
    tls = ssl.create_default_context()
    reply = await outbound.post(
        "https://hooks.example.com/x", b"{}", {}, allow_private=False, tls=tls
    )
    refused = "refused: hooks.example.com is a private or local address (10.1.2.3)"
    assert reply == Reply(None, refused)
