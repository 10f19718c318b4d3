"""Admins and their users in real Chromium, with and without JavaScript: inviting someone,
the invitee's first steps, and the buttons that ask before they do what cannot be undone."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.async_api import Browser, Dialog, Page, expect

from .browsing import Problems, clipboard, new_context, screenshot
from .conftest import PASSWORD
from .live import LiveServer, live_server
from .steps import NOTE, add_user_with_share, log_in, logged_in_page

pytestmark = pytest.mark.asyncio(loop_scope="module")

CLIPBOARD = ["clipboard-read", "clipboard-write"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("admin")) as server:
        yield server


async def invite_someone(page: Page, server: LiveServer, label: str) -> str:
    await page.goto(server.base_url + "/admin/users")
    await page.get_by_role("textbox", name="For").fill(label)
    await page.get_by_role("button", name="Create invite link").click()
    return await page.get_by_label("Invite link").input_value()


async def choose_name_and_password(page: Page, link: str, name: str) -> None:
    await page.goto(link)
    await page.get_by_label("User name").fill(name)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Create my account").click()
    await expect(page.get_by_role("heading", name="Your shares")).to_be_visible()


async def test_an_admin_invites_someone_who_then_shares_a_note(
    server: LiveServer, chromium: Browser, problems: Problems
) -> None:
    page = await logged_in_page(
        server, chromium, problems, "ada", admin=True, permissions=CLIPBOARD
    )
    link = await invite_someone(page, server, "Dana from support")
    await page.get_by_role("button", name="Copy").click()
    assert await clipboard(page) == link
    await expect(page.locator("#announcer")).to_have_text("Link copied.")
    await page.goto(server.base_url + "/admin/users")
    invited = page.locator("tr", has_text="Dana from support")
    await expect(invited).to_contain_text("invited")
    await problems.audit(page)
    await screenshot(page, "users-invited")

    invitee = await new_context(chromium)
    dana = problems.watch(await invitee.new_page())
    await dana.goto(link)
    await problems.audit(dana)
    await screenshot(dana, "invite", full_page=False)
    await choose_name_and_password(dana, link, "dana")
    await expect(dana.locator("nav .who")).to_contain_text("Signed in as dana")
    await dana.get_by_label("Secret note").fill(NOTE)
    await dana.get_by_role("button", name="Create links").click()
    await expect(dana.locator(".created input[name=link]")).to_have_count(1)
    # The share list shows the new share at once, not when the live view next speaks.
    assert await dana.locator("#share-table tr", has_text="Untitled share").count() == 1

    await page.reload()
    await expect(page.locator("tr", has_text="Dana from support")).to_have_count(0)
    await expect(page.locator("tr", has_text="dana")).to_contain_text("active")
    await page.context.close()
    await invitee.close()


async def test_inviting_and_accepting_work_without_javascript(
    server: LiveServer, chromium: Browser, problems: Problems
) -> None:
    page = await logged_in_page(server, chromium, problems, "abe", admin=True, javascript=False)
    link = await invite_someone(page, server, "Eli")
    await expect(page.get_by_role("button", name="Copy")).to_be_hidden()
    await page.reload()  # the browser sends the form again: no second invite
    await expect(page.get_by_text("This form was sent already")).to_be_visible()
    await expect(page.locator("tr", has_text="Eli")).to_have_count(1)
    invitee = await new_context(chromium, javascript=False)
    await choose_name_and_password(problems.watch(await invitee.new_page()), link, "eli")
    await page.context.close()
    await invitee.close()


async def answer_dialogs(page: Page, accept: bool) -> list[str]:
    asked: list[str] = []

    async def answer(dialog: Dialog) -> None:
        asked.append(dialog.message)
        await (dialog.accept() if accept else dialog.dismiss())

    page.on("dialog", answer)
    return asked


async def test_revoking_a_token_or_disabling_a_user_asks_first(
    server: LiveServer, chromium: Browser, problems: Problems
) -> None:
    await add_user_with_share(server, "amy", admin=True)
    await add_user_with_share(server, "bo")
    context = await new_context(chromium)
    page = problems.watch(await context.new_page())
    await log_in(page, server, "amy")
    await page.goto(server.base_url + "/tokens")
    await page.get_by_label("Name").fill("deploy bot")
    await page.get_by_role("button", name="Create token").click()
    await page.goto(server.base_url + "/tokens")
    asked = await answer_dialogs(page, accept=False)
    await page.get_by_role("button", name="Revoke deploy bot").click()
    await page.goto(server.base_url + "/admin/users")
    await page.get_by_role("button", name="Disable bo").click()
    assert asked == [
        "Revoke the API token “deploy bot”? Scripts that use it stop working at once. "
        "This cannot be undone.",
        "Disable bo? They are logged out everywhere, their API tokens stop working, every link "
        "they issued is revoked and their notes are erased. You can enable them again, but not "
        "their links, notes or tokens.",
    ]
    await expect(page.locator("tr", has_text="bo")).to_contain_text("active")

    context2 = await new_context(chromium)
    yes = problems.watch(await context2.new_page())
    await log_in(yes, server, "amy")
    await answer_dialogs(yes, accept=True)
    await yes.goto(server.base_url + "/admin/users")
    await yes.get_by_role("button", name="Disable bo").click()
    await expect(yes.get_by_role("button", name="Enable bo")).to_be_visible()
    await yes.goto(server.base_url + "/tokens")
    await yes.get_by_role("button", name="Revoke deploy bot").click()
    await expect(yes.locator("tr", has_text="deploy bot")).to_have_count(0)
    await context.close()
    await context2.close()


async def test_without_javascript_the_new_token_has_no_copy_button_that_does_nothing(
    server: LiveServer, chromium: Browser, problems: Problems
) -> None:
    page = await logged_in_page(server, chromium, problems, "cy", javascript=False)
    await page.goto(server.base_url + "/tokens")
    await page.get_by_label("Name").fill("cron job")
    await page.get_by_role("button", name="Create token").click()
    await expect(page.get_by_label("New API token")).to_have_value(re.compile("^olk_"))
    await expect(page.get_by_role("button", name="Copy")).to_be_hidden()
    await page.context.close()
