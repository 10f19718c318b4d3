"""Forms in real Chromium when the session under them changes or ends: a password change,
a session that ended in another browser, answers that are errors rather than fragments."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.async_api import Browser, expect

from .browsing import Problems, new_context
from .conftest import PASSWORD
from .live import LiveServer, live_server
from .steps import add_user_with_share, log_in

pytestmark = pytest.mark.asyncio(loop_scope="module")

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("sessions")) as server:
        yield server


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
async def test_the_forms_after_a_password_change_still_work(
    server: LiveServer, chromium: Browser, problems: Problems, javascript: bool
) -> None:
    name = f"pat-{'js' if javascript else 'nojs'}"
    await add_user_with_share(server, name)
    context = await new_context(chromium, javascript=javascript)
    page = problems.watch(await context.new_page())
    await log_in(page, server, name)
    await page.goto(server.base_url + "/account")
    await page.get_by_label("Current password").fill(PASSWORD)
    await page.get_by_label("New password").fill(NEW_PASSWORD)
    await page.get_by_role("button", name="Change password").click()
    await expect(page.get_by_text("Password changed")).to_be_visible()
    await page.get_by_role("button", name="Log out").click()
    await expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    await context.close()
