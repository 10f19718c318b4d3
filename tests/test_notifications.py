"""Notifications delivered to a real HTTP receiver, on SQLite and PostgreSQL: every event
type, signed by the Standard Webhooks spec and verified with its library; nothing secret in
them; each sent once where once is promised."""

from __future__ import annotations

from collections import Counter

import pytest
from quart import Quart
from quart.testing import QuartClient

from quart_app.clock import FrozenClock
from quart_app.notifications import NoticeType, webhooks
from quart_app.notifications.types import CHOSEN_TYPES
from quart_app.services import Services
from quart_app.storage.queries.users import User
from quart_app.sweep import sweep

from .conftest import ask_for, send_path, share_for, token_of
from .receivers import WebhookReceiver

NOTE = "the vault code is 7261"
PASSPHRASE = "orange harbour sails"
BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"}
SLACKBOT = {"User-Agent": "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"}

pytestmark = pytest.mark.private


async def hook(
    services: Services, owner: User, receiver: WebhookReceiver, types: tuple[NoticeType, ...]
) -> str:
    created = await webhooks.create_webhook(services, owner, receiver.url, list(types))
    assert created is not None
    return created.secret


async def delivered(services: Services, receiver: WebhookReceiver, secret: str) -> list[dict]:
    await services.audit.flush()
    await services.sender.drain()
    return receiver.bodies(secret)


async def test_every_event_reaches_the_receiver_signed_and_verifiable(
    app: Quart,
    services: Services,
    user: User,
    client: QuartClient,
    receiver: WebhookReceiver,
    clock: FrozenClock,
) -> None:
    secret = await hook(services, user, receiver, CHOSEN_TYPES)
    used = await share_for(services, user, NOTE, recipients=["bob", "carol"])
    bob, carol = (f"/connect/{token_of(link.url)}" for link in used.links)
    await client.get(bob, headers=BROWSER)
    await client.post(bob, headers=BROWSER)
    await app.test_client().get(bob, headers=BROWSER)  # refused: used already
    await client.post(carol, headers=BROWSER)  # every link used
    sealed = await share_for(services, user, NOTE, passphrase=PASSPHRASE)
    sealed_link = f"/connect/{token_of(sealed.links[0].url)}"
    for attempt in range(5):
        await client.post(sealed_link, form={"passphrase": f"wrong {attempt}"}, headers=BROWSER)
    left = await share_for(services, user, NOTE, links=2, ttl=300)
    clock.advance(301)
    await sweep(services)
    await webhooks.send_test(services, user, (await webhooks.webhooks_of(services, user))[0].id)

    bodies = await delivered(services, receiver, secret)

    types = Counter(body["type"] for body in bodies)
    assert types == {
        "link.viewed": 1,
        "link.granted": 2,
        "link.refused": 1,
        "share.exhausted": 1,
        "link.passphrase_failed": 5,
        "link.locked": 1,
        "share.expired": 1,
        "test": 1,
    }
    # Sent side by side: in any order.
    granted = sorted(
        (body for body in bodies if body["type"] == "link.granted"), key=lambda b: b["data"]["link"]
    )
    assert [body["data"]["recipient"] for body in granted] == ["bob", "carol"]
    assert granted[0]["data"] == {
        "share_id": used.share.id,
        "label": None,
        "link": 1,
        "recipient": "bob",
        "address": None,  # the test client has no address
        "user_agent": BROWSER["User-Agent"],
    }
    expired = next(body for body in bodies if body["type"] == "share.expired")
    assert expired["data"]["share_id"] == left.share.id
    assert all(body["timestamp"].endswith("Z") for body in bodies)
    assert len({r.message_id for r in receiver.received}) == len(receiver.received)


async def test_an_answered_request_is_told_by_its_id_and_label_and_never_its_answer(
    services: Services, user: User, client: QuartClient, receiver: WebhookReceiver
) -> None:
    secret = await hook(services, user, receiver, CHOSEN_TYPES)
    made = await ask_for(services, user, "staging database password")
    path = send_path(made.url)
    await client.get(path, headers=BROWSER)  # a request's view is told nobody
    await client.post(path, form={"note": NOTE}, headers=BROWSER)
    await client.post(path, form={"note": "another"}, headers=BROWSER)  # refused: nor that
    [body] = await delivered(services, receiver, secret)
    assert body["type"] == "request.answered"
    # The fields every event's data has, those of a link null; and the request's id.
    assert body["data"] == {
        "share_id": None,
        "label": "staging database password",
        "link": None,
        "recipient": None,
        "address": None,  # the test client has no address
        "user_agent": BROWSER["User-Agent"],
        "request_id": made.request.id,
    }
    sent = b"".join(r.body + repr(r.headers).encode() for r in receiver.received)
    for kept_secret in (NOTE, path.rsplit("/", 1)[1]):
        assert kept_secret.encode() not in sent


async def test_no_note_token_or_passphrase_is_ever_sent(
    services: Services, user: User, client: QuartClient, receiver: WebhookReceiver
) -> None:
    await hook(services, user, receiver, CHOSEN_TYPES)
    created = await share_for(services, user, NOTE, passphrase=PASSPHRASE)
    path = f"/connect/{token_of(created.links[0].url)}"
    await client.get(path, headers=BROWSER)
    await client.post(path, form={"passphrase": "not the one"}, headers=BROWSER)
    await client.post(path, form={"passphrase": PASSPHRASE}, headers=BROWSER)
    await services.audit.flush()
    await services.sender.drain()
    sent = b"".join(r.body + repr(r.headers).encode() for r in receiver.received)
    assert len(receiver.received) == 4
    for secret in (NOTE, PASSPHRASE, "not the one", token_of(created.links[0].url)):
        assert secret.encode() not in sent


async def test_a_link_is_told_viewed_once_and_never_for_a_previewer(
    services: Services,
    user: User,
    client: QuartClient,
    receiver: WebhookReceiver,
    clock: FrozenClock,
) -> None:
    secret = await hook(services, user, receiver, (NoticeType.LINK_VIEWED,))
    created = await share_for(services, user, NOTE)
    path = f"/connect/{token_of(created.links[0].url)}"
    await client.get(path, headers=SLACKBOT)
    assert await delivered(services, receiver, secret) == []
    for _ in range(3):
        await client.get(path, headers=BROWSER)
        clock.advance(120)
        await services.audit.flush()
    bodies = await delivered(services, receiver, secret)
    assert [body["type"] for body in bodies] == ["link.viewed"]


async def test_a_flood_of_refusals_is_told_once_a_minute(
    app: Quart, services: Services, user: User, receiver: WebhookReceiver, clock: FrozenClock
) -> None:
    secret = await hook(services, user, receiver, (NoticeType.LINK_REFUSED,))
    created = await share_for(services, user, NOTE)
    path = f"/connect/{token_of(created.links[0].url)}"
    await app.test_client().post(path, headers=BROWSER)
    for _ in range(20):
        await app.test_client().post(path, headers=BROWSER)
    await services.audit.flush()
    clock.advance(60)
    await app.test_client().post(path, headers=BROWSER)
    assert [body["type"] for body in await delivered(services, receiver, secret)] == [
        "link.refused",
        "link.refused",
    ]


async def test_only_the_chosen_events_are_sent(
    services: Services, user: User, client: QuartClient, receiver: WebhookReceiver
) -> None:
    secret = await hook(services, user, receiver, (NoticeType.SHARE_EXHAUSTED,))
    created = await share_for(services, user, NOTE, links=2)
    for link in created.links:
        await client.post(f"/connect/{token_of(link.url)}", headers=BROWSER)
    bodies = await delivered(services, receiver, secret)
    assert [body["type"] for body in bodies] == ["share.exhausted"]


async def test_another_users_events_are_not_sent(
    services: Services, user: User, client: QuartClient, receiver: WebhookReceiver
) -> None:
    from .conftest import make_user

    await hook(services, user, receiver, CHOSEN_TYPES)
    other = await make_user(services, "other")
    created = await share_for(services, other, NOTE)
    await client.post(f"/connect/{token_of(created.links[0].url)}", headers=BROWSER)
    await services.sender.drain()
    assert receiver.received == []
