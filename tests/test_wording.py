"""Words that agree with their numbers, on every page and in every message."""

from __future__ import annotations

import html
import re

import pytest

from quart_app.clock import in_words
from quart_app.services import Services
from quart_app.storage.queries.users import User
from quart_app.web.limits import RateLimited
from quart_app.words import plural

from .conftest import Browser, share_for

HTMX = {"HX-Request": "true"}


def text_of(page: str) -> str:
    """The page as a reader sees it: tags gone, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_one_thing_is_singular_and_every_other_count_is_plural() -> None:
    assert [plural(n, "link") for n in (0, 1, 2)] == ["links", "link", "links"]
    assert plural(1, "link stops", "links stop") == "link stops"
    assert plural(3, "link stops", "links stop") == "links stop"
    assert in_words(60) == "1 minute"
    assert in_words(120) == "2 minutes"
    assert RateLimited(1).detail == "Try again in 1 second."
    assert RateLimited(5).detail == "Try again in 5 seconds."


@pytest.mark.parametrize(
    ("links", "left", "used"),
    [
        (1, "Its 1 unused link stops working", "0 of 1 link was used"),
        (2, "Its 2 unused links stop working", "0 of 2 links were used"),
    ],
)
async def test_revoking_asks_in_words_that_agree_with_the_count(
    browser: Browser, services: Services, user: User, links: int, left: str, used: str
) -> None:
    created = await share_for(services, user, links=links)
    asked = await browser.post(f"/shares/{created.share.id}/revoke")
    assert left in text_of(await asked.get_data(as_text=True))
    assert used in text_of(await asked.get_data(as_text=True))
    dashboard = html.unescape(await (await browser.get("/")).get_data(as_text=True))
    assert left in dashboard  # the dialog's question, with JavaScript


@pytest.mark.parametrize(
    ("links", "words"),
    [
        ("1", "1 one-time link Copy it now: links are shown only once. It expires"),
        ("3", "3 one-time links Copy them now: links are shown only once. They expire"),
    ],
)
async def test_new_links_are_announced_in_words_that_agree_with_the_count(
    browser: Browser, links: str, words: str
) -> None:
    form = {"note": "door code 4711", "label": "", "ttl": "3600", "links": links}
    created = await browser.post("/shares", form, headers=HTMX)
    assert words in text_of(await created.get_data(as_text=True))
