"""What a person does in the browser tests, step by step: log in, create links, and the
users, shares and links a test starts from."""

from __future__ import annotations

import time
from typing import Any

from playwright.async_api import Browser, Page, expect

from quart_app.accounts import NewUser, add_user
from quart_app.clock import FrozenClock
from quart_app.links.tokens import LinkSigner
from quart_app.services import open_services
from quart_app.share_requests import ShareRequest
from quart_app.shares import create_share
from quart_app.storage.queries.users import user_by_name

from .browsing import Problems, new_context
from .conftest import PASSWORD
from .live import LiveServer

NOTE = "Door code 4711\nWi-Fi: correct-horse-battery"
LIVE_MS = 2000


async def add_user_with_share(
    server: LiveServer, name: str, links: int = 1, *, admin: bool = False, label: str = ""
) -> list[str]:
    async with open_services(server.settings) as services:
        await add_user(services, NewUser(name, PASSWORD), is_admin=admin)
        user = await user_by_name(services.db.reader, name)
        assert user is not None
        created = await create_share(services, user, ShareRequest(NOTE, label, 3600, links))
    return [link.url for link in created.links]


async def log_in(page: Page, server: LiveServer, name: str) -> None:
    await page.goto(server.base_url + "/login")
    await fill_login(page, name)
    await expect(page.get_by_role("heading", name="Your shares")).to_be_visible()


async def fill_login(page: Page, name: str, password: str = PASSWORD) -> None:
    await page.get_by_label("User name").fill(name)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Log in").click()


async def create_links(page: Page, label: str, count: int) -> list[str]:
    await page.get_by_label("Secret note").fill(NOTE)
    await page.get_by_label("Label").fill(label)
    await page.get_by_label("Number of links").fill(str(count))
    await page.get_by_role("button", name="Create links").click()
    links = page.locator(".created input[name=link]")
    await expect(links).to_have_count(count)
    return await links.evaluate_all("inputs => inputs.map(input => input.value)")


async def new_page(chromium: Browser, problems: Problems, **options: Any) -> Page:
    """A page in a browser of its own (its own cookies), watched for problems."""
    context = await new_context(chromium, **options)
    return problems.watch(await context.new_page())


async def logged_in_page(
    server: LiveServer,
    chromium: Browser,
    problems: Problems,
    name: str,
    *,
    admin: bool = False,
    label: str = "",
    **options: Any,
) -> Page:
    """A browser of its own in which ``name``, a new user with one share, has logged in."""
    await add_user_with_share(server, name, admin=admin, label=label)
    page = await new_page(chromium, problems, **options)
    await log_in(page, server, name)
    return page


def expired_link(server: LiveServer, share_id: str) -> str:
    """A correctly signed link whose time ran out an hour ago, made without waiting."""
    settings = server.settings
    past = FrozenClock(time.time() - 3600 - 300)
    signer = LinkSigner(settings.signing_keys, max_ttl=settings.max_ttl, clock=past)
    return f"{server.base_url}/connect/{signer.issue(share_id, ttl=300, generation=0)}"
