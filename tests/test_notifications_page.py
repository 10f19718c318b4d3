"""The Notifications page, as a browser without JavaScript uses it: add a webhook and see
its secret once, the form kept with its problem when something is wrong, send a test event,
read the deliveries, delete with a question first."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from quart.wrappers import Response as PageAnswer

from quart_app.notifications import webhooks
from quart_app.services import Services
from quart_app.storage.queries.users import User

from .conftest import Browser
from .receivers import WebhookReceiver, verified

pytestmark = pytest.mark.private


async def add(browser: Browser, url: str, *events: str, nonce: str = "") -> PageAnswer:
    """The form sent as a browser sends it: one ``events`` field for each box ticked."""
    fields = [("csrf", browser.csrf), ("url", url), ("nonce", nonce)]
    body = urlencode(fields + [("events", event) for event in events])
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    return await browser.client.post("/notifications", data=body, headers=headers)


async def test_a_webhook_added_on_the_page_shows_its_secret_once_and_takes_a_test(
    browser: Browser, services: Services, user: User, receiver: WebhookReceiver
) -> None:
    page = await (await browser.get("/notifications")).get_data(as_text=True)
    nonce = re.search(r'name="nonce" value="([^"]+)"', page)
    assert nonce is not None
    sent = (receiver.url, "link.granted", "share.expired")
    added = await add(browser, *sent, nonce=nonce.group(1))
    assert added.status_code == 201
    text = await added.get_data(as_text=True)
    secret = re.search(r'value="(whsec_[^"]+)"', text)
    assert secret is not None
    again = await add(browser, *sent, nonce=nonce.group(1))  # the page reloaded
    assert "This form was sent already" in await again.get_data(as_text=True)
    assert secret.group(1) not in await again.get_data(as_text=True)
    [hook] = await webhooks.webhooks_of(services, user)
    assert [t.value for t in hook.events] == ["link.granted", "share.expired"]

    tested = await browser.post(f"/notifications/{hook.id}/test")
    assert tested.status_code == 303
    await services.sender.drain()
    assert verified(secret.group(1), receiver.received[0])["type"] == "test"
    log = await (await browser.get(f"/notifications/{hook.id}")).get_data(as_text=True)
    assert "delivered" in log
    assert receiver.received[0].message_id in log


async def test_a_wrong_url_is_shown_again_with_its_problem_and_the_events_kept(
    browser: Browser,
) -> None:
    answer = await add(browser, "http://hooks.example.com/x", "link.locked")
    assert answer.status_code == 422
    page = await answer.get_data(as_text=True)
    assert "Use an https:// URL" in page
    assert 'value="http://hooks.example.com/x"' in page
    assert re.search(r'value="link.locked" checked', page)
    assert not re.search(r'value="link.granted" checked', page)


async def test_no_event_chosen_is_a_problem(browser: Browser) -> None:
    answer = await add(browser, "https://h.example/x")
    assert answer.status_code == 422
    assert "Choose at least one event." in await answer.get_data(as_text=True)


async def test_deleting_asks_first_without_javascript(
    browser: Browser, services: Services, user: User
) -> None:
    created = await webhooks.create_webhook(
        services, user, "https://hooks.example.com/x", list(webhooks.CHOSEN_TYPES)
    )
    assert created is not None
    path = f"/notifications/{created.webhook.id}/delete"
    asked = await browser.post(path)
    assert "Delete the webhook to https://hooks.example.com/x?" in await asked.get_data(
        as_text=True
    )
    assert await webhooks.webhooks_of(services, user) != []
    assert (await browser.post(path, {"confirm": "yes"})).status_code == 303
    assert await webhooks.webhooks_of(services, user) == []
    assert (await browser.post(path, {"confirm": "yes"})).status_code == 404


async def test_another_users_webhook_pages_are_not_found(
    browser: Browser, services: Services
) -> None:
    from .conftest import make_user

    other = await make_user(services, "other")
    created = await webhooks.create_webhook(
        services, other, "https://hooks.example.com/x", list(webhooks.CHOSEN_TYPES)
    )
    assert created is not None
    assert (await browser.get(f"/notifications/{created.webhook.id}")).status_code == 404
    assert (await browser.post(f"/notifications/{created.webhook.id}/test")).status_code == 404
