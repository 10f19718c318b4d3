"""Asking for a secret in real Chromium against real Hypercorn with two workers: the owner
asks on the dashboard, the person asked sends the secret, the owner's list shows it at once
and the owner reads it once; with JavaScript and without."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.async_api import Browser, Page, expect

from .browsing import Problems, clipboard, new_context, screenshot
from .live import LiveServer, live_server
from .steps import LIVE_MS, add_user_with_share, log_in

pytestmark = pytest.mark.asyncio(loop_scope="module")

LABEL = "Staging database password"
INSTRUCTIONS = "The password of the app user, please. The user name I have."
SECRET = "Tr0ub4dor-3-staging"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("requests")) as server:
        yield server


async def ask(page: Page, label: str, *, passphrase: str = "") -> str:
    """Ask for a secret on the dashboard; the request's link."""
    await page.get_by_label("What you need").fill(label)
    await page.get_by_label("Instructions").fill(INSTRUCTIONS)
    if passphrase:
        await page.get_by_text("Seal the answer with a passphrase").click()
        await page.get_by_label("Phrase to seal the answer with").fill(passphrase)
    await page.get_by_role("button", name="Create request link").click()
    link = page.get_by_role("textbox", name="Request link")
    await expect(link).to_be_visible()
    return await link.input_value()


async def send(page: Page, link: str, asker: str, label: str) -> None:
    """The person asked opens the link and sends the secret."""
    await page.goto(link)
    await expect(page.get_by_role("heading", name=f"{asker} asks you for: {label}")).to_be_visible()
    await expect(page.get_by_text(INSTRUCTIONS)).to_be_visible()
    await page.get_by_label("Your answer").fill(SECRET)
    await page.get_by_role("button", name="Send").click()
    sent = page.get_by_role("heading", name=f"Sent. Only {asker} can read it, once.")
    await expect(sent).to_be_visible()


async def test_ask_send_and_read_once_with_the_list_live(
    server: LiveServer, chromium: Browser, problems: Problems
) -> None:
    await add_user_with_share(server, "olivia")
    owner = await new_context(chromium, permissions=["clipboard-read", "clipboard-write"])
    page = problems.watch(await owner.new_page())
    await log_in(page, server, "olivia")
    link = await ask(page, LABEL)
    created = page.get_by_role("heading", name=f"A request link for “{LABEL}”")
    await expect(created).to_be_focused()
    await page.get_by_role("button", name="Copy link").click()
    assert await clipboard(page) == link
    row = page.locator("#request-table tr", has_text=LABEL)
    await expect(row).to_contain_text("Waiting")
    await problems.audit(page)
    await page.evaluate("window.stillTheSamePage = true")

    sender = problems.watch(await (await new_context(chromium)).new_page())
    await sender.goto(link)
    await problems.audit(sender)
    await screenshot(sender, "sender-ready", full_page=False)
    await send(sender, link, "olivia", LABEL)
    await problems.audit(sender)
    await screenshot(sender, "sender-sent", full_page=False)
    await sender.reload()  # sends the form again: the link is used now
    await expect(
        sender.get_by_role("heading", name="This link has already been used")
    ).to_be_visible()

    await expect(row).to_contain_text("Answered", timeout=LIVE_MS)
    assert await page.evaluate("window.stillTheSamePage")  # updated in place, not reloaded
    await row.get_by_role("link", name=f"Read the answer to {LABEL}").click()
    await page.get_by_role("button", name="Read the answer").click()
    await expect(page.locator("#answer-text")).to_have_text(SECRET)
    await problems.audit(page)
    await screenshot(page, "request-answer")
    await page.reload()  # the same browser may read it again for ten minutes
    await expect(page.locator("#answer-text")).to_have_text(SECRET)
    await expect(page.get_by_text("you read the answer")).to_be_visible()
    await owner.close()


async def test_everything_works_with_javascript_turned_off(
    server: LiveServer, chromium: Browser, problems: Problems
) -> None:
    await add_user_with_share(server, "quentin")
    page = problems.watch(await (await new_context(chromium, javascript=False)).new_page())
    await log_in(page, server, "quentin")
    link = await ask(page, "API key", passphrase="orange harbour")
    await expect(page.get_by_role("button", name="Copy link")).to_be_hidden()
    sender = problems.watch(await (await new_context(chromium, javascript=False)).new_page())
    await send(sender, link, "quentin", "API key")

    await page.goto(server.base_url + "/")
    row = page.locator("#request-table tr", has_text="API key")
    await expect(row).to_contain_text("Answered")
    await row.get_by_role("link", name="Read the answer to API key").click()
    await page.get_by_label("Passphrase").fill("orange harbour")
    await page.get_by_role("button", name="Read the answer").click()
    await expect(page.locator("#answer-text")).to_have_text(SECRET)

    other = await ask_from_dashboard(page, server, "SSH key")
    await page.goto(server.base_url + "/")
    await (
        page.locator("#request-table tr", has_text="SSH key")
        .get_by_role("button", name="Revoke the request for SSH key")
        .click()
    )
    await page.get_by_role("button", name="Revoke this request").click()
    await expect(page.get_by_text("its link no longer works")).to_be_visible()
    problems.expect_status(410)
    await sender.goto(other)
    await expect(sender.get_by_role("heading", name="This link was revoked")).to_be_visible()


async def ask_from_dashboard(page: Page, server: LiveServer, label: str) -> str:
    await page.goto(server.base_url + "/")
    return await ask(page, label)
