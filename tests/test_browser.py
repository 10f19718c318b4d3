"""The whole product in real Chromium against real Hypercorn with two workers: with and
without JavaScript, every recipient page, and no console error or CSP violation anywhere."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, expect

from quart_app.services import open_services
from quart_app.shares import revoke_share
from quart_app.storage.queries.shares import shares_page
from quart_app.storage.queries.users import user_by_name

from .browsing import Problems, clipboard, new_context, screenshot
from .conftest import PASSWORD
from .live import LiveServer, live_server
from .steps import LIVE_MS, NOTE, add_user_with_share, create_links, expired_link, log_in

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("browser")) as server:
        yield server


async def test_first_admin_shares_a_note_and_sees_its_use_live(
    server: LiveServer, chromium: Browser, problems: Problems
) -> None:
    owner = await new_context(chromium, permissions=["clipboard-read", "clipboard-write"])
    page = problems.watch(await owner.new_page())
    await page.goto(server.setup_link())
    await problems.audit(page)
    await screenshot(page, "setup", full_page=False)
    await page.get_by_label("User name").fill("alice")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Create admin").click()
    await page.get_by_role("button", name="Log out").click()
    await log_in(page, server, "alice")

    links = await create_links(page, "Office door", 3)
    created = page.get_by_role("heading", name="3 one-time links for “Office door”")
    await expect(created).to_be_focused()  # focus follows the new content, for screen readers
    await expect(page.locator(".created")).to_contain_text("in 1 hour")
    expires = page.locator(".created time")
    assert re.search(r"\d\d:\d\d (CET|CEST|GMT\+\d)", await expires.inner_text())  # local time
    assert (await expires.get_attribute("title") or "").endswith(" UTC")
    await expect(page.get_by_text("0 of 3 used")).to_be_visible(timeout=LIVE_MS)
    await problems.audit(page)
    await screenshot(page, "dashboard-new-links")
    await page.get_by_role("button", name="Copy link 1").click()
    assert await clipboard(page) == links[0]
    await page.get_by_role("button", name="Copy all 3").click()
    assert (await clipboard(page)).split() == links
    await page.evaluate("window.stillTheSamePage = true")

    recipient = await new_context(chromium, permissions=["clipboard-read", "clipboard-write"])
    reader = problems.watch(await recipient.new_page())
    await reader.goto(links[0])
    await expect(
        reader.get_by_role("heading", name="alice has shared something with you")
    ).to_be_visible()
    await reader.get_by_role("button", name="Open").click()
    await expect(reader.get_by_role("heading", name="Access granted by alice")).to_be_visible()
    await expect(reader.locator("#note")).to_have_text(NOTE)
    await reader.get_by_role("button", name="Copy note").click()
    assert await clipboard(reader) == NOTE

    await expect(page.get_by_text("1 of 3 used")).to_be_visible(timeout=LIVE_MS)
    assert await page.evaluate("window.stillTheSamePage")  # updated in place, not reloaded
    await expect(page.locator("[data-copy-all]")).to_have_text("Copy all 3", timeout=3000)
    await problems.audit(page)
    await screenshot(page, "dashboard-live")

    await page.get_by_label("Revoke one link").fill(links[2])
    await page.get_by_role("button", name="Revoke link").click()
    await expect(page.locator("#revoke-result")).to_have_text("Done: that link is revoked.")
    await expect(page.get_by_text("1 revoked")).to_be_visible(timeout=LIVE_MS)
    page.once("dialog", lambda dialog: dialog.accept())
    await page.get_by_role("button", name="Revoke Office door").click()
    await expect(page.locator("tr", has_text="Office door")).to_contain_text("Revoked")
    assert await page.evaluate("window.stillTheSamePage")
    await owner.close()
    await recipient.close()


async def test_everything_works_with_javascript_turned_off(
    server: LiveServer, chromium: Browser, problems: Problems, tmp_path: Path
) -> None:
    await add_user_with_share(server, "bob", links=1)
    owner = await new_context(chromium, javascript=False)
    page = problems.watch(await owner.new_page())
    await log_in(page, server, "bob")
    links = await create_links(page, "No script", 3)
    await expect(page.get_by_role("button", name="Copy link 1")).to_be_hidden()
    async with page.expect_download() as download_info:
        await page.get_by_role("button", name="Download CSV").click()
    download = await download_info.value
    saved = tmp_path / "links.csv"
    await download.save_as(saved)
    rows = list(csv.reader(io.StringIO(saved.read_text())))
    assert [row[0] for row in rows] == ["link", *links]

    recipient = await new_context(chromium, javascript=False)
    reader = problems.watch(await recipient.new_page())
    await reader.goto(links[0])
    await reader.get_by_role("button", name="Open").click()
    await expect(reader.locator("#note")).to_have_text(NOTE)
    await expect(reader.get_by_role("button", name="Copy note")).to_be_hidden()

    await page.goto(server.base_url + "/")
    row = page.locator("tr", has_text="No script")
    await expect(row).to_contain_text("1 of 3 used")
    await row.get_by_role("button", name="Revoke No script").click()
    await expect(page.get_by_role("heading", name="Revoke “No script”?")).to_be_visible()
    await page.get_by_role("button", name="Revoke this share").click()
    await expect(page.locator("tr", has_text="No script")).to_contain_text("Revoked")
    await page.get_by_label("I understand").check()
    await page.get_by_role("button", name="Revoke all my links").click()
    await expect(page.locator("#revoke-result")).to_contain_text("every link you have issued")
    await owner.close()
    await recipient.close()


async def test_every_recipient_page_says_plainly_what_happened(
    server: LiveServer, chromium: Browser, problems: Problems
) -> None:
    ready, used, revoked = await add_user_with_share(server, "carol", links=3)
    async with httpx.AsyncClient() as client:
        await client.post(used, headers={"Accept": "application/json"})
    async with open_services(server.settings) as services:
        owner = await user_by_name(services.db.reader, "carol")
        assert owner is not None
        [share] = await shares_page(services.db.reader, owner.id, limit=1)
    share_id = share.id
    expired = expired_link(server, share_id)
    invalid = server.base_url + "/connect/not-a-real-link"
    context = await new_context(chromium)
    page = problems.watch(await context.new_page())
    for name, url, status, heading in [
        ("recipient-ready", ready, 200, "carol has shared something with you"),
        ("recipient-used", used, 410, "This link has already been used"),
        ("recipient-expired", expired, 410, "This link has expired"),
        ("recipient-invalid", invalid, 404, "This link is not valid"),
    ]:
        response = await page.goto(url)
        assert response is not None
        assert response.status == status, name
        await expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        await problems.audit(page)
        await screenshot(page, name, full_page=False)
    async with open_services(server.settings) as services:
        await revoke_share(services, owner, share_id)
    await page.goto(revoked)
    await expect(page.get_by_role("heading", level=1)).to_have_text("This link was revoked")
    await problems.audit(page)
    await screenshot(page, "recipient-revoked", full_page=False)
    await context.close()


async def test_the_redeeming_browser_may_reload_the_note_and_nobody_else_sees_it(
    server: LiveServer, chromium: Browser, problems: Problems
) -> None:
    [link] = await add_user_with_share(server, "dave")
    first = await new_context(chromium)
    page = problems.watch(await first.new_page())
    await page.goto(link)
    await page.get_by_role("button", name="Open").click()
    await expect(page.locator("#note")).to_have_text(NOTE)
    await problems.audit(page)
    await screenshot(page, "recipient-granted", full_page=False)
    response = await page.goto(link)  # a reload, as a GET, like opening the link again
    assert response is not None
    assert response.status == 200
    await expect(page.locator("#note")).to_have_text(NOTE)
    await expect(page.get_by_text("You can reload this page until")).to_be_visible()
    second = await new_context(chromium)
    other = problems.watch(await second.new_page())
    response = await other.goto(link)
    assert response is not None
    assert response.status == 410
    await expect(other.get_by_role("heading", level=1)).to_have_text(
        "This link has already been used"
    )
    assert NOTE.split()[0] not in await other.content()
    await first.close()
    await second.close()


async def test_the_dashboard_fits_a_phone_and_is_usable_by_keyboard(
    server: LiveServer, chromium: Browser, problems: Problems
) -> None:
    await add_user_with_share(server, "erin", links=2)
    phone = await new_context(
        chromium,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        permissions=["clipboard-read", "clipboard-write"],
    )
    page = problems.watch(await phone.new_page())
    await log_in(page, server, "erin")
    links = await create_links(page, "On the go", 2)
    await expect(page.locator("tr", has_text="On the go")).to_be_visible(timeout=LIVE_MS)
    # Against the screen: a phone's layout viewport (innerWidth) grows to fit what is too wide.
    assert await page.evaluate("document.documentElement.scrollWidth <= 390")
    await problems.audit(page)
    await screenshot(page, "dashboard-phone")
    await page.keyboard.press("Tab")  # from the focused heading to the first link's field
    await page.keyboard.press("Tab")
    focused = page.get_by_role("button", name="Copy link 1")
    await expect(focused).to_be_focused()
    outline = await focused.evaluate("button => getComputedStyle(button).outlineStyle")
    assert outline != "none"  # focus is visible
    await page.keyboard.press("Enter")
    assert await clipboard(page) == links[0]
    await expect(page.locator("#announcer")).to_have_text("Link copied.")
    await phone.close()
