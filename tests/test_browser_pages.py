"""Every page and state of the web app in real Chromium, in light and dark colours (each
audit judges both), as axe-core judges it: WCAG 2.x A and AA and axe's best practices,
without a violation.

The tests share a server but not their users: whichever order they run in, and whichever
test process runs each, they hold."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.async_api import Browser, Page, expect

from .browsing import Problems, new_context
from .conftest import PASSWORD
from .live import LiveServer, live_server
from .steps import (
    add_user_with_share,
    create_links,
    expired_link,
    fill_login,
    log_in,
    new_page,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("pages")) as server:
        yield server


async def visit(page: Page, problems: Problems, url: str, heading: str) -> None:
    await page.goto(url)
    await expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
    await problems.audit(page)


async def submit_without_asking(page: Page, action: str) -> None:
    """Send a form the way a browser without JavaScript does: no dialog, a page that asks."""
    form = page.locator(f"form[action$='{action}']").first
    await form.evaluate("form => form.submit()")


async def test_the_login_pages_and_a_used_setup_link(
    server: LiveServer, chromium: Browser, problems: Problems
) -> None:
    # The open setup page is audited by test_browser's first test; its fields with their
    # problems are the invite page's, audited below. Here it is closed, whatever ran first.
    await add_user_with_share(server, "sue")
    problems.expect_status(401)
    problems.expect_status(410)
    page = await new_page(chromium, problems)
    await visit(page, problems, server.setup_link(), "This setup link can no longer be used")
    await visit(page, problems, server.base_url + "/login", "Log in")
    await fill_login(page, "nobody", "wrong password")
    await expect(page.get_by_role("alert")).to_contain_text("Wrong user name")
    await problems.audit(page)
    await page.context.close()


async def test_every_page_a_recipient_may_meet(
    server: LiveServer, chromium: Browser, problems: Problems
) -> None:
    [ready] = await add_user_with_share(server, "rosa")
    context = await new_context(chromium)
    page = problems.watch(await context.new_page())
    await visit(page, problems, ready, "has shared something with you")
    await page.get_by_role("button", name="Open").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Access granted")
    await problems.audit(page)
    await visit(page, problems, ready, "Access granted")  # the reload
    other = problems.watch(await (await new_context(chromium)).new_page())
    await visit(other, problems, ready, "This link has already been used")
    await visit(other, problems, server.base_url + "/connect/nonsense", "This link is not valid")
    await context.close()
    await other.context.close()


async def test_every_page_of_a_user(
    server: LiveServer, chromium: Browser, problems: Problems
) -> None:
    name = "uma"
    await add_user_with_share(server, name, links=2, label="Printed already")
    context = await new_context(chromium)
    page = problems.watch(await context.new_page())
    await log_in(page, server, name)
    await problems.audit(page)
    problems.expect_status(422)
    await page.get_by_label("Secret note").fill("")
    await page.get_by_label("Number of links").fill("0")
    await page.get_by_role("button", name="Create links").click()
    await expect(page.get_by_text("Please fix the fields marked below.")).to_be_visible()
    await problems.audit(page)
    await create_links(page, "Fresh", 3)
    await problems.audit(page)
    await page.get_by_label("Revoke one link").fill("not a link")
    await page.get_by_role("button", name="Revoke link").click()
    await expect(page.locator("#revoke-result")).to_contain_text("not a link")
    await problems.audit(page)
    await submit_without_asking(page, "/revoke")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Revoke “")
    await problems.audit(page)

    await visit(page, problems, server.base_url + "/account", "Change your password")
    await page.get_by_label("Current password").fill("not it")
    await page.get_by_label("New password").fill("a new passphrase")
    await page.get_by_role("button", name="Change password").click()
    await expect(page.get_by_text("That is not your current password.")).to_be_visible()
    await problems.audit(page)
    await page.get_by_label("Current password").fill(PASSWORD)
    await page.get_by_label("New password").fill(PASSWORD)
    await page.get_by_role("button", name="Change password").click()
    await expect(page.get_by_text("Password changed")).to_be_visible()
    await problems.audit(page)

    await visit(page, problems, server.base_url + "/tokens", "API tokens")
    await page.get_by_label("Name").fill("deploy bot")
    await page.get_by_role("button", name="Create token").click()
    await expect(page.get_by_text("shown only this once")).to_be_visible()
    await problems.audit(page)
    await submit_without_asking(page, "/revoke")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Revoke the API token")
    await problems.audit(page)
    await visit(page, problems, server.base_url + "/api/v1/docs", "oncelink API")
    problems.expect_status(403)
    problems.expect_status(404)
    await visit(page, problems, server.base_url + "/admin/users", "Only admins")
    await visit(page, problems, server.base_url + "/nowhere", "There is nothing here")
    await context.close()


async def test_every_page_of_an_admin_and_an_invitee(
    server: LiveServer, chromium: Browser, problems: Problems
) -> None:
    name = "ada"
    await add_user_with_share(server, name, admin=True)
    await add_user_with_share(server, "bea")  # someone to disable
    context = await new_context(chromium)
    page = problems.watch(await context.new_page())
    await log_in(page, server, name)
    await visit(page, problems, server.base_url + "/admin/users", "Users")
    await page.get_by_role("textbox", name="For").fill("x" * 100)
    await page.get_by_role("button", name="Create invite link").click()
    link = await page.get_by_label("Invite link").input_value()
    await problems.audit(page)
    await page.reload()  # the same form again
    await expect(page.get_by_text("This form was sent already")).to_be_visible()
    await problems.audit(page)
    await submit_without_asking(page, "/disable")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Disable ")
    await problems.audit(page)
    await page.goto(server.base_url + "/admin/users")
    await submit_without_asking(page, "/revoke")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Revoke this invite")
    await problems.audit(page)

    invitee = problems.watch(await (await new_context(chromium)).new_page())
    await visit(invitee, problems, link, "invited you to oncelink")
    await invitee.get_by_label("User name").fill("x y")
    await invitee.get_by_label("Password").fill(PASSWORD)
    problems.expect_status(422)
    await invitee.get_by_role("button", name="Create my account").click()
    await expect(invitee.get_by_text("Use up to 64 letters")).to_be_visible()
    await problems.audit(invitee)
    await invitee.get_by_label("User name").fill("ivy")
    await invitee.get_by_label("Password").fill(PASSWORD)
    await invitee.get_by_role("button", name="Create my account").click()
    await expect(invitee.get_by_role("heading", name="Your shares")).to_be_visible()
    problems.expect_status(410)
    await visit(page, problems, link, "This invite has already been used")
    await context.close()
    await invitee.context.close()


async def test_an_expired_link(server: LiveServer, chromium: Browser, problems: Problems) -> None:
    await add_user_with_share(server, "exa")
    context = await new_context(chromium)
    page = problems.watch(await context.new_page())
    problems.expect_status(410)
    await visit(page, problems, expired_link(server, "some-share"), "This link has expired")
    await context.close()
