"""Recipients, passphrases and the audit trail in real Chromium against real Hypercorn with
two workers, with JavaScript and without, each new page audited by axe-core."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from .browsing import Problems, clipboard, new_context, screenshot
from .live import LiveServer, live_server
from .steps import LIVE_MS, NOTE, add_user_with_share, log_in

pytestmark = pytest.mark.asyncio(loop_scope="module")

SLACK = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"
EVENTS_MS = 5000  # views are written a second after the answer, then the page hears of it


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("audit")) as server:
        yield server


async def create_named_links(page: Page, label: str, recipients: str, passphrase: str) -> None:
    await page.get_by_label("Secret note").fill(NOTE)
    await page.get_by_label("Label").fill(label)
    await page.get_by_text("Name the recipients, or add a passphrase").click()
    await page.get_by_label("Recipients").fill(recipients)
    await page.get_by_label("Passphrase").fill(passphrase)
    await page.get_by_role("button", name="Create links").click()


async def test_named_recipients_a_passphrase_and_the_share_page_live(
    server: LiveServer, chromium: Browser, problems: Problems
) -> None:
    await add_user_with_share(server, "frank")
    owner = await new_context(chromium, permissions=["clipboard-read", "clipboard-write"])
    page = problems.watch(await owner.new_page())
    await log_in(page, server, "frank")
    await create_named_links(
        page, "Door codes", "bob@example.com\ncarol@example.com", "orange harbour"
    )
    await expect(page.locator(".created .link-recipient")).to_have_text(
        ["bob@example.com", "carol@example.com"]
    )
    links = await page.locator(".created input[name=link]").evaluate_all(
        "inputs => inputs.map(input => input.value)"
    )
    await problems.audit(page)
    await screenshot(page, "dashboard-recipients")
    await page.get_by_role("button", name="Copy all 2").click()
    assert (await clipboard(page)).splitlines() == [
        f"bob@example.com: {links[0]}",
        f"carol@example.com: {links[1]}",
    ]
    await page.get_by_role("link", name="See who opens them").click()
    await expect(page.get_by_role("heading", name="Door codes")).to_be_visible()
    bob_row, carol_row = page.locator("#link-1"), page.locator("#link-2")
    await expect(bob_row).to_contain_text("Ready")

    preview = await new_context(chromium, user_agent=SLACK)
    await (await preview.new_page()).goto(links[0])
    await expect(bob_row).to_contain_text("Previewed by Slack", timeout=EVENTS_MS)

    problems.expect_status(403)  # a wrong passphrase
    recipient = await new_context(chromium)
    reader = problems.watch(await recipient.new_page())
    await reader.goto(links[0])
    await expect(reader.get_by_label("Passphrase")).to_be_visible()
    await problems.audit(reader)
    await screenshot(reader, "recipient-passphrase", full_page=False)
    await reader.get_by_label("Passphrase").fill("lemon harbour")
    await reader.get_by_role("button", name="Open").click()
    await expect(reader.get_by_role("alert")).to_contain_text("Wrong passphrase.")
    await expect(reader.get_by_role("alert")).to_contain_text("4 tries left")
    await problems.audit(reader)
    await reader.get_by_label("Passphrase").fill("orange harbour")
    await reader.get_by_role("button", name="Open").click()
    await expect(reader.locator("#note")).to_have_text(NOTE)
    await expect(bob_row).to_contain_text("Used", timeout=LIVE_MS)
    await expect(bob_row).to_contain_text("Wrong passphrase", timeout=EVENTS_MS)

    for _ in range(5):
        await reader.goto(links[1])
        await reader.get_by_label("Passphrase").fill("not the one")
        await reader.get_by_role("button", name="Open").click()
    await reader.goto(links[1])
    await expect(reader.get_by_role("heading", level=1)).to_have_text(
        "This link was locked after too many wrong passphrases"
    )
    await problems.audit(reader)
    await screenshot(reader, "recipient-locked", full_page=False)
    await expect(carol_row).to_contain_text("Locked", timeout=EVENTS_MS)
    await problems.audit(page)
    await screenshot(page, "share-page")
    await page.get_by_role("link", name="← Your shares").click()
    row = page.locator("tr", has_text="Door codes")
    await expect(row.locator(".badge-alarm")).to_have_text(["Refused", "Locked"])
    await problems.audit(page)
    for context in (owner, preview, recipient):
        await context.close()


async def test_recipients_and_passphrases_work_with_javascript_turned_off(
    server: LiveServer, chromium: Browser, problems: Problems, tmp_path: Path
) -> None:
    await add_user_with_share(server, "gina")
    owner = await new_context(chromium, javascript=False)
    page = problems.watch(await owner.new_page())
    await log_in(page, server, "gina")
    problems.expect_status(422)  # the form sent back with what is wrong in it
    await create_named_links(page, "Quiet", "=SUM(1)\nhal", "short")
    await expect(page.get_by_text("Use a passphrase of 8 to 128 characters.")).to_be_visible()
    await expect(page.get_by_label("Recipients")).to_have_value("=SUM(1)\nhal")
    await page.get_by_label("Passphrase").fill("silent valley")
    await page.get_by_role("button", name="Create links").click()
    links = await page.locator(".created input[name=link]").evaluate_all(
        "inputs => inputs.map(input => input.value)"
    )
    assert len(links) == 2
    async with page.expect_download() as download_info:
        await page.get_by_role("button", name="Download CSV").click()
    saved = tmp_path / "links.csv"
    await (await download_info.value).save_as(saved)
    rows = list(csv.reader(io.StringIO(saved.read_text())))
    assert rows == [
        ["link", "recipient", "expires_at"],
        [links[0], "'=SUM(1)", rows[1][2]],
        [links[1], "hal", rows[2][2]],
    ]

    recipient = await new_context(chromium, javascript=False)
    reader = problems.watch(await recipient.new_page())
    await reader.goto(links[1])
    await reader.get_by_label("Passphrase").fill("silent valley")
    await reader.get_by_role("button", name="Open").click()
    await expect(reader.locator("#note")).to_have_text(NOTE)

    await page.get_by_role("link", name="See who opens them").click()
    await expect(page.locator("#link-2")).to_contain_text("Used")
    await expect(page.locator("#link-2")).to_contain_text("hal")
    await shows_the_view_once_written(page, "#link-2")
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Download events (CSV)").click()
    saved = tmp_path / "events.csv"
    await (await download_info.value).save_as(saved)
    events = list(csv.DictReader(io.StringIO(saved.read_text())))
    assert [(event["link"], event["recipient"], event["kind"]) for event in events] == [
        ("2", "hal", "viewed"),
        ("2", "hal", "granted"),
    ]
    await owner.close()
    await recipient.close()


async def shows_the_view_once_written(page: Page, link: str) -> None:
    """A view is written within a second by whichever worker served it, and without
    JavaScript the page shows it on the next load: reload until it is there."""
    views = page.locator(f"{link} .event-viewed")
    for _ in range(20):
        if await views.count():
            return
        await page.wait_for_timeout(250)
        await page.reload()
    await expect(views).to_have_count(1)
