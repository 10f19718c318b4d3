"""Forms in real Chromium when things go otherwise than planned: the session under them
changed or ended, the answer is an error rather than a fragment, the form is sent again."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.async_api import Browser, Page, expect

from .browsing import Problems, new_context
from .conftest import PASSWORD
from .live import LiveServer, live_server
from .steps import NOTE, create_links, fill_login, log_in, logged_in_page

pytestmark = pytest.mark.asyncio(loop_scope="module")

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("forms")) as server:
        yield server


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
async def test_the_forms_after_a_password_change_still_work(
    server: LiveServer, chromium: Browser, problems: Problems, javascript: bool
) -> None:
    name = f"pat-{'js' if javascript else 'nojs'}"
    page = await logged_in_page(server, chromium, problems, name, javascript=javascript)
    await page.goto(server.base_url + "/account")
    await page.get_by_label("Current password").fill(PASSWORD)
    await page.get_by_label("New password").fill(NEW_PASSWORD)
    await page.get_by_role("button", name="Change password").click()
    await expect(page.get_by_text("Password changed")).to_be_visible()
    await page.get_by_role("button", name="Log out").click()
    await expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    await page.context.close()


async def fill_share_form(page: Page, note: str, label: str, links: str) -> None:
    await page.get_by_label("Secret note").fill(note)
    await page.get_by_label("Label").fill(label)
    await page.get_by_label("Number of links").fill(links)


async def test_a_session_ended_elsewhere_takes_the_window_to_login_and_back_with_the_note(
    server: LiveServer, chromium: Browser, problems: Problems
) -> None:
    page = await logged_in_page(server, chromium, problems, "quinn")
    await fill_share_form(page, NOTE, "Half written", "2")
    elsewhere = await new_context(chromium)
    other = problems.watch(await elsewhere.new_page())
    await log_in(other, server, "quinn")
    await other.goto(server.base_url + "/account")
    await other.get_by_label("Current password").fill(PASSWORD)
    await other.get_by_label("New password").fill(NEW_PASSWORD)
    await other.get_by_role("button", name="Change password").click()
    await expect(other.get_by_text("Password changed")).to_be_visible()

    problems.expect_status(401)
    await page.get_by_role("button", name="Create links").click()
    await expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    await expect(page.locator("header.site")).to_have_count(1)
    await problems.audit(page)
    await fill_login(page, "quinn", NEW_PASSWORD)
    await expect(page.get_by_role("heading", name="Your shares")).to_be_visible()
    await expect(page.get_by_label("Secret note")).to_have_value(NOTE)
    await expect(page.get_by_label("Label")).to_have_value("Half written")
    await expect(page.get_by_label("Number of links")).to_have_value("2")
    await page.get_by_role("button", name="Create links").click()
    await expect(page.locator(".created input[name=link]")).to_have_count(2)
    await page.reload()  # the draft was used up: it does not come back
    await expect(page.get_by_label("Secret note")).to_have_value("")
    await page.context.close()
    await elsewhere.close()


async def test_a_note_too_large_to_send_is_refused_in_place_and_kept(
    server: LiveServer, chromium: Browser, problems: Problems
) -> None:
    page = await logged_in_page(server, chromium, problems, "rory")
    huge = "x" * (1024 * 1024 + 100 * 1024)
    await fill_share_form(page, huge, "Too big", "1")
    problems.expect_status(413)
    await page.get_by_role("button", name="Create links").click()
    problem = page.locator("#new-share [role=alert]")
    await expect(problem).to_contain_text("too large")
    await expect(page.locator("header.site")).to_have_count(1)
    await problems.audit(page)
    assert await page.get_by_label("Secret note").input_value() == huge
    await expect(page.get_by_label("Label")).to_have_value("Too big")
    await fill_share_form(page, NOTE, "Just right", "1")
    await page.get_by_role("button", name="Create links").click()
    await expect(page.locator(".created input[name=link]")).to_have_count(1)
    await expect(problem).to_have_count(0)
    await page.context.close()


async def test_a_form_from_an_earlier_session_is_refused_in_place_and_kept(
    server: LiveServer, chromium: Browser, problems: Problems
) -> None:
    page = await logged_in_page(server, chromium, problems, "sam")
    await fill_share_form(page, NOTE, "Stale", "1")
    tab = problems.watch(await page.context.new_page())  # same browser: the cookie is shared
    await tab.goto(server.base_url + "/")
    await tab.get_by_role("button", name="Log out").click()
    await log_in(tab, server, "sam")
    problems.expect_status(403)
    await page.get_by_role("button", name="Create links").click()
    await expect(page.locator("#new-share [role=alert]")).to_contain_text("expired")
    await expect(page.locator("header.site")).to_have_count(1)
    await expect(page.get_by_label("Secret note")).to_have_value(NOTE)
    await page.context.close()


async def test_reloading_the_new_links_page_without_javascript_makes_no_second_share(
    server: LiveServer, chromium: Browser, problems: Problems
) -> None:
    page = await logged_in_page(server, chromium, problems, "tess", javascript=False)
    links = await create_links(page, "Only once", 2)
    await page.reload()  # the browser sends the same form again
    await expect(page.get_by_role("heading", name="This form was sent already")).to_be_visible()
    await expect(page.locator(".created input[name=link]")).to_have_count(0)
    await expect(page.locator("tr", has_text="Only once")).to_have_count(1)
    shown = await page.content()
    assert all(link not in shown for link in links)
    await page.context.close()
