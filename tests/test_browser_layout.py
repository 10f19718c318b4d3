"""Every page in real Chromium, on a desktop and on a phone: nothing wider than the screen,
whatever people name their shares, users and tokens."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from .browsing import Problems, new_context
from .live import LiveServer, live_server
from .steps import add_user_with_share, log_in, logged_in_page

pytestmark = pytest.mark.asyncio(loop_scope="module")

PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 800}}
LONG_LABEL = "L" * 200  # no space to break at


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("layout")) as server:
        yield server


async def fits(page: Page, screen: dict[str, Any]) -> bool:
    """Whether the page is no wider than the screen. (A phone's layout viewport grows to fit
    what is too wide, so ``window.innerWidth`` cannot tell: the screen's width can.)"""
    width: int = await page.evaluate("document.documentElement.scrollWidth")
    return width <= screen["viewport"]["width"]


@pytest.mark.parametrize("screen", [DESKTOP, PHONE], ids=["desktop", "phone"])
async def test_a_long_label_without_spaces_fits_the_dashboard(
    server: LiveServer, chromium: Browser, problems: Problems, screen: dict[str, Any]
) -> None:
    name = f"una-{screen['viewport']['width']}"
    page = await logged_in_page(server, chromium, problems, name, label=LONG_LABEL, **screen)
    assert await fits(page, screen)
    await page.get_by_label("Secret note").fill("n")
    await page.get_by_label("Label").fill(LONG_LABEL)
    await page.get_by_role("button", name="Create links").click()
    await expect(page.locator(".created input[name=link]")).to_have_count(1)
    assert await fits(page, screen)
    await page.context.close()


async def test_every_page_of_an_admin_fits_a_phone(
    server: LiveServer, chromium: Browser, problems: Problems
) -> None:
    name = "an-administrator-with-a-name-of-sixty-four-characters-0123456789"
    await add_user_with_share(server, name, admin=True, label=LONG_LABEL)
    await add_user_with_share(server, "x" * 64, label=LONG_LABEL)
    context = await new_context(chromium, **PHONE)
    page = problems.watch(await context.new_page())
    await log_in(page, server, name)
    for path in ("/", "/tokens", "/account", "/admin/users", "/api/v1/docs"):
        await page.goto(server.base_url + path)
        assert await fits(page, PHONE), path
        log_out = await page.get_by_role("button", name="Log out").bounding_box()
        assert log_out is not None
        assert log_out["x"] + log_out["width"] <= PHONE["viewport"]["width"], path
    await context.close()
