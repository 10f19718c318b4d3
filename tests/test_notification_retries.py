"""Delivery that loses nothing: a receiver down for a while gets every notice once it is
back, each webhook-id at least once; retries follow the schedule, with the clock moved, not
waited for; after 24 hours a notice is marked failed; a private address is refused at
delivery too."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest
from quart.testing import QuartClient

from quart_app.clock import FrozenClock
from quart_app.notifications import NoticeType, webhooks
from quart_app.notifications.sender import Sender, next_attempt_at
from quart_app.services import Services
from quart_app.storage.queries.outbox import Due
from quart_app.storage.queries.users import User

from .conftest import query_directly, share_for, token_of
from .receivers import WebhookReceiver, verified, webhook_receiver

GRANTED = (NoticeType.LINK_GRANTED,)

pytestmark = pytest.mark.private


async def grants(services: Services, owner: User, client: QuartClient, count: int) -> None:
    created = await share_for(services, owner, links=count)
    for link in created.links:
        assert (await client.post(f"/connect/{token_of(link.url)}")).status_code == 200


async def drain_at(services: Services, clock: FrozenClock, seconds: float) -> int:
    clock.advance(seconds)
    return await services.sender.drain()


def due(attempts: int, at: float = 0.0) -> Due:
    return Due(
        1, "m", "link.granted", at, None, None, "{}", attempts, "d", "webhook", "", *[None] * 3
    )


def test_retries_follow_the_schedule_with_up_to_a_fifth_more_and_stop_after_a_day() -> None:
    waits = [next_attempt_at(due(made), 0.0, lambda: 0.0) for made in range(7)]
    assert waits == [5, 30, 120, 600, 3600, 3 * 3600, 3 * 3600]
    assert next_attempt_at(due(0), 0.0, lambda: 1.0) == pytest.approx(6.0)
    assert next_attempt_at(due(9), 22 * 3600.0, lambda: 0.0) is None  # past 24 h


async def test_a_receiver_down_for_a_while_gets_every_notice_once_it_is_back(
    services: Services,
    user: User,
    client: QuartClient,
    clock: FrozenClock,
) -> None:
    with webhook_receiver() as receiver:
        url, port = receiver.url, receiver.port
        created = await webhooks.create_webhook(services, user, url, list(GRANTED))
        assert created is not None
    # Nothing listens on the port now: every attempt is refused a connection.
    await grants(services, user, client, 6)
    assert await services.sender.drain() == 6
    assert await drain_at(services, clock, 4) == 0  # the first retry is 5 s after
    assert await drain_at(services, clock, 2.1) == 6
    with webhook_receiver(port) as failing:
        failing.status = 503  # up, but failing
        assert await drain_at(services, clock, 36.1) == 6
    with webhook_receiver(port) as receiver:
        assert await drain_at(services, clock, 144.1) == 6
        assert await services.sender.drain() == 0
    delivered = {r.message_id for r in receiver.answered()}
    assert len(delivered) == 6
    assert all(verified(created.secret, r)["type"] == "link.granted" for r in receiver.received)
    log = await webhooks.deliveries_of(services, user, created.webhook.id)
    assert log is not None
    assert sorted((a.attempt, a.status_code) for a in log if a.message_id in delivered) == sorted(
        [(1, None), (2, None), (3, 503), (4, 204)] * 6
    )
    assert await query_directly(services.settings.database, "SELECT count(*) FROM outbox") == [(0,)]


async def test_a_notice_undelivered_for_a_day_is_marked_failed_and_logged(
    services: Services,
    user: User,
    client: QuartClient,
    clock: FrozenClock,
    receiver: WebhookReceiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    receiver.status = 500
    created = await webhooks.create_webhook(services, user, receiver.url, list(GRANTED))
    assert created is not None
    await grants(services, user, client, 1)
    attempts = await services.sender.drain()
    with caplog.at_level(logging.WARNING):
        while clock() < 1_800_000_000 + 26 * 3600:
            attempts += await drain_at(services, clock, 600)
    assert 10 <= attempts <= 14
    assert len(receiver.received) == attempts
    assert len({r.message_id for r in receiver.received}) == 1
    log = await webhooks.deliveries_of(services, user, created.webhook.id)
    assert log is not None
    assert [a.gave_up for a in log] == [True] + [False] * (attempts - 1)
    assert log[0].at - log[-1].at <= 24 * 3600
    failed = await query_directly(services.settings.database, "SELECT failed_at FROM outbox")
    assert failed[0][0] is not None
    assert "failed for good" in caplog.text


async def test_a_private_address_is_refused_at_delivery_too(
    services: Services, user: User, client: QuartClient, receiver: WebhookReceiver
) -> None:
    created = await webhooks.create_webhook(services, user, receiver.url, list(GRANTED))
    assert created is not None
    await grants(services, user, client, 1)
    strict = replace(services.settings, webhook_allow_private=False)
    sender = Sender(services.db, services.clock, strict, None)
    assert await sender.drain() == 1
    assert receiver.received == []
    log = await webhooks.deliveries_of(services, user, created.webhook.id)
    assert log is not None
    assert log[0].error == "refused: 127.0.0.1 is a private or local address (127.0.0.1)"
