"""Notifications by mail, sent to a real SMTP server (aiosmtpd): an address is confirmed by
a one-time link before it gets anything, mails have a text and an HTML part and no secret;
without SMTP settings the page offers no mail at all."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from quart import Quart
from quart.testing import QuartClient

from quart_app import create_app
from quart_app.clock import FrozenClock
from quart_app.config import Settings
from quart_app.services import Services
from quart_app.storage.queries.users import User
from quart_app.web.context import services_of

from .conftest import START, Browser, log_in, make_settings, make_user, share_for, token_of
from .receivers import Inbox, smtp_server

NOTE = "the safe opens with 31-42-7"
ADDRESS = "alice@example.com"


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with smtp_server() as inbox:
        yield inbox


@pytest.fixture
def settings(tmp_path: Path, database: str, inbox: Inbox) -> Settings:
    return make_settings(tmp_path, database=database, smtp_url=inbox.smtp_url)


def confirmation_path(inbox: Inbox) -> str:
    [mail] = inbox.to(ADDRESS)
    found = re.search(
        r"https?://[^/\s]+(/confirm-mail/[A-Za-z0-9_.-]+)", mail.get_body(("plain",)).get_content()
    )
    assert found is not None
    return found.group(1)


async def use_link(app: Quart, services: Services, owner: User) -> None:
    created = await share_for(services, owner, NOTE)
    assert (
        await app.test_client().post(f"/connect/{token_of(created.links[0].url)}")
    ).status_code == 200
    await services.sender.drain()


async def test_mail_goes_only_to_a_confirmed_address(
    app: Quart, browser: Browser, services: Services, user: User, inbox: Inbox
) -> None:
    sent = await browser.post("/account/mail", {"address": ADDRESS})
    assert sent.status_code == 303
    assert "Confirm your address" in inbox.to(ADDRESS)[0]["Subject"]
    await use_link(app, services, user)
    assert len(inbox.messages) == 1  # the confirmation only: nothing before it is confirmed

    path = confirmation_path(inbox)
    stranger = app.test_client()
    page = await stranger.get(path)
    assert page.status_code == 200
    assert ADDRESS in await page.get_data(as_text=True)
    await use_link(app, services, user)
    assert len(inbox.messages) == 1  # opening the link (GET) confirms nothing
    assert (await stranger.post(path)).status_code == 200
    assert (await stranger.post(path)).status_code == 410  # once

    await use_link(app, services, user)
    [_, notice] = inbox.messages
    assert notice["To"] == ADDRESS
    assert notice["Subject"].startswith("Link 1 to share ")
    text = notice.get_body(("plain",)).get_content()
    html = notice.get_body(("html",)).get_content()
    assert "Link 1 to share" in html
    for secret in (NOTE, "/connect/"):
        assert secret not in text + html


async def test_a_newer_address_voids_the_older_ones_link(
    app: Quart, browser: Browser, inbox: Inbox
) -> None:
    await browser.post("/account/mail", {"address": ADDRESS})
    first = confirmation_path(inbox)
    await browser.post("/account/mail", {"address": "alice@example.org"})
    assert (await app.test_client().post(first)).status_code == 410
    page = await (await browser.get("/account")).get_data(as_text=True)
    assert "Waiting for you to confirm" in page
    assert "alice@example.org" in page


async def test_a_wrong_address_is_shown_again_with_the_problem(browser: Browser) -> None:
    answer = await browser.post("/account/mail", {"address": "alice at example"})
    assert answer.status_code == 422
    page = await answer.get_data(as_text=True)
    assert "This is not a mail address" in page
    assert 'value="alice at example"' in page


async def test_the_chosen_events_are_the_ones_mailed(
    app: Quart, browser: Browser, services: Services, user: User, inbox: Inbox
) -> None:
    await browser.post("/account/mail", {"address": ADDRESS})
    await app.test_client().post(confirmation_path(inbox))
    saved = await browser.client.post(
        "/account/mail/events",
        form={"csrf": browser.csrf, "events": "share.exhausted"},
    )
    assert saved.status_code == 303
    created = await share_for(services, user, NOTE, links=2)
    for link in created.links:
        await app.test_client().post(f"/connect/{token_of(link.url)}")
    await services.sender.drain()
    [_, notice] = inbox.messages
    assert notice["Subject"].strip().startswith("Every link to share ")


async def test_a_confirmation_link_for_anything_else_is_not_valid(client: QuartClient) -> None:
    answer = await client.get("/confirm-mail/not-a-token")
    assert answer.status_code == 404
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["Referrer-Policy"] == "no-referrer"


async def test_without_smtp_settings_no_mail_is_offered(tmp_path: Path, database: str) -> None:
    app = create_app(make_settings(tmp_path, database=database), FrozenClock(START))
    async with app.test_app():
        await make_user(services_of(app))
        browser = await log_in(app.test_client())
        page = await (await browser.get("/account")).get_data(as_text=True)
        assert "Notifications by mail" not in page
        assert (await browser.post("/account/mail", {"address": ADDRESS})).status_code == 404
        notifications = await (await browser.get("/notifications")).get_data(as_text=True)
        assert "It can also mail you" not in notifications
