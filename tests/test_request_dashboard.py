"""Asking for a secret from the dashboard, and the list of requests on it: the link shown
once, problems shown next to the form, revoking, paging, and the list kept live."""

from __future__ import annotations

import re

from quart.testing import QuartClient

from quart_app.services import Services
from quart_app.storage.queries.users import User

from .conftest import Browser, ask_for, send_path
from .test_share_events import events_since, read_until, stream

HTMX = {"HX-Request": "true"}
ASK = {"label": "staging database password", "instructions": "EU cluster", "ttl": "3600"}


def request_links(page: str) -> list[str]:
    return re.findall(r'value="(http://oncelink\.test/send/[^"]+)"', page)


async def test_asking_shows_the_link_once_and_lists_the_request(
    browser: Browser, client: QuartClient
) -> None:
    made = await browser.post("/requests", ASK)
    page = await made.get_data(as_text=True)
    assert made.status_code == 201
    [link] = request_links(page)
    assert 'A request link for “<span class="chosen">staging database password</span>”' in page
    ready = await client.get(send_path(link), headers={"Accept": "application/json"})
    assert (await ready.get_json())["instructions"] == "EU cluster"
    dashboard = await (await browser.get("/")).get_data(as_text=True)
    assert request_links(dashboard) == []  # shown only once
    row = dashboard[dashboard.index('<tr id="request-') :]
    assert "staging database password" in row
    assert "Waiting</mark>" in row


async def test_htmx_gets_the_form_with_the_link_and_the_list_at_once(browser: Browser) -> None:
    made = await browser.post("/requests", ASK, headers=HTMX)
    fragment = await made.get_data(as_text=True)
    assert fragment.startswith('<section id="ask"')
    assert len(request_links(fragment)) == 1
    assert '<hx-partial hx-target="#request-table"' in fragment
    assert "Waiting</mark>" in fragment


async def test_a_form_with_problems_comes_back_as_typed(browser: Browser) -> None:
    typed = {"label": "  ", "instructions": "keep me", "ttl": "60", "passphrase": "short"}
    response = await browser.post("/requests", typed)
    page = await response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Say what you need" in page
    assert "Links must live between 5 minutes and 30 days." in page
    assert "Use a passphrase of 8 to 128 characters." in page
    assert ">keep me</textarea>" in page
    assert request_links(page) == []


async def test_the_form_sent_again_makes_no_second_request(
    browser: Browser, services: Services, user: User
) -> None:
    page = await (await browser.get("/")).get_data(as_text=True)
    nonces = re.findall(r'name="nonce" value="([^"]+)"', page)
    form = {**ASK, "nonce": nonces[-1]}  # the ask form's, after the share form's
    assert (await browser.post("/requests", form)).status_code == 201
    again = await browser.post("/requests", form)
    text = await again.get_data(as_text=True)
    assert "This form was sent already" in text
    assert request_links(text) == []
    assert text.count('<tr id="request-') == 1


async def test_without_javascript_revoking_asks_first_then_revokes(
    browser: Browser, client: QuartClient, services: Services, user: User
) -> None:
    made = await ask_for(services, user)
    revoke = f"/requests/{made.request.id}/revoke"
    asked = await browser.post(revoke)
    assert "Revoke the request for “staging database password”?" in await asked.get_data(
        as_text=True
    )
    assert (await client.get(send_path(made.url))).status_code == 200  # not yet
    done = await browser.post(revoke, {"confirm": "yes"})
    assert (done.status_code, done.headers["Location"]) == (303, f"/requests/{made.request.id}")
    assert (await client.get(send_path(made.url))).status_code == 410


async def test_with_htmx_revoking_answers_the_row(
    browser: Browser, services: Services, user: User
) -> None:
    made = await ask_for(services, user)
    row = await browser.post(
        f"/requests/{made.request.id}/revoke", {"confirm": "yes"}, headers=HTMX
    )
    text = await row.get_data(as_text=True)
    assert text.startswith(f'<tr id="request-{made.request.id}" class="state-revoked">')


async def test_the_list_pages_through_older_requests(
    browser: Browser, services: Services, user: User
) -> None:
    for number in range(21):
        await ask_for(services, user, f"secret {number}")
    page = await (await browser.get("/")).get_data(as_text=True)
    assert "secret 20" in page
    assert "secret 0<" not in page
    older = re.search(r'href="(/\?requests_before=\d+)#requests">Older requests', page)
    assert older is not None
    second = await (await browser.get(older.group(1))).get_data(as_text=True)
    assert "secret 0<" in second
    assert "secret 20" not in second
    assert "requests_before=" in re.search(r'hx-sse:connect="([^"]+)"', second).group(1)


async def test_an_answer_shows_on_the_open_dashboard_at_once(
    browser: Browser, client: QuartClient, services: Services, user: User
) -> None:
    made = await ask_for(services, user)
    async with stream(browser.client, await events_since(services, user)) as connection:
        await read_until(connection, "retry")
        await client.post(send_path(made.url), form={"note": "hunter2"})
        received = await read_until(connection, "Answered</mark>")
    assert "hx-partial" in received
    assert "hunter2" not in received
