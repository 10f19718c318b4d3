"""A request's answer as its owner meets it: read once, then erased; again for ten minutes in
the browser that read it, by nobody else; sealed answers that only the passphrase opens; and
another user's request is nobody's business (404)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from quart import Quart
from quart.testing import QuartClient

from quart_app.accounts import set_disabled
from quart_app.api_tokens import create_api_token
from quart_app.clock import FrozenClock
from quart_app.note_keys import StoredNote
from quart_app.secret_requests.sealing import at_rest_context
from quart_app.services import Services
from quart_app.shares import revoke_all_links
from quart_app.storage.queries.users import User
from quart_app.sweep import sweep

from .apiclient import ApiClient, body_of
from .conftest import Browser, ask_for, log_in, make_user, query_directly, send_path

ANSWER = "postgres://app:Tr0ub4dor-3@db.staging:5432/app"
PASSPHRASE = "orange harbour lights"


@dataclass
class Someone:
    """Another user, in a browser and with an API token of their own."""

    browser: Browser
    api: ApiClient


@pytest.fixture
async def mallory(app: Quart, services: Services) -> Someone:
    user = await make_user(services, "mallory")
    client = app.test_client()
    return Someone(
        await log_in(client, "mallory"), ApiClient(client, await token_for(services, user))
    )


async def token_for(services: Services, user: User) -> str:
    return await create_api_token(services, user.id, "tests")


async def answered(
    client: QuartClient, services: Services, user: User, passphrase: str | None = None
) -> str:
    """A request of ``user``'s that has been answered; its id."""
    made = await ask_for(services, user, passphrase=passphrase)
    assert (await client.post(send_path(made.url), form={"note": ANSWER})).status_code == 201
    return made.request.id


async def stored(database: str) -> str:
    """Everything the requests' table holds, as someone with the disk would read it."""
    return repr(await query_directly(database, "SELECT * FROM requests"))


async def kept_answers(services: Services, database: str) -> list[str]:
    """The answers the requests' table still holds, as someone with the disk and the note
    keys would read them (an answer sealed with a passphrase stays sealed within)."""
    rows = await query_directly(
        database, "SELECT id, answer, answer_key FROM requests WHERE answer IS NOT NULL"
    )
    return [
        services.note_keys.open(StoredNote(answer, key), at_rest_context(request_id))
        for request_id, answer, key in rows
    ]


async def test_the_owner_reads_the_answer_once_and_then_it_is_erased(
    api: ApiClient, client: QuartClient, services: Services, user: User, database: str
) -> None:
    request_id = await answered(client, services, user)
    assert ANSWER not in await stored(database)  # encrypted at rest, as notes are
    assert await kept_answers(services, database) == [ANSWER]  # until read
    first = await api.post(f"/requests/{request_id}/read")
    assert first.status_code == 200
    assert await body_of(first) == {"note": ANSWER, "answered_at": "2027-01-15T08:00:00Z"}
    again = await api.post(f"/requests/{request_id}/read")
    assert again.status_code == 410
    assert await kept_answers(services, database) == []
    state = await body_of(await api.get(f"/requests/{request_id}"))
    assert (state["state"], state["read_at"]) == ("read", "2027-01-15T08:00:00Z")


async def test_another_user_never_sees_the_request_nor_its_answer(
    api: ApiClient, client: QuartClient, services: Services, user: User, mallory: Someone
) -> None:
    request_id = await answered(client, services, user)
    for path in (f"/requests/{request_id}", f"/requests/{request_id}/live"):
        assert (await mallory.browser.get(path)).status_code == 404, path
    for path in (f"/requests/{request_id}/read", f"/requests/{request_id}/revoke"):
        assert (await mallory.browser.post(path, {"confirm": "yes"})).status_code == 404, path
    for method, path in [
        ("GET", f"/requests/{request_id}"),
        ("POST", f"/requests/{request_id}/read"),
        ("DELETE", f"/requests/{request_id}"),
    ]:
        assert (await mallory.api.call(method, path)).status_code == 404, (method, path)
    assert (await body_of(await mallory.api.get("/requests")))["requests"] == []
    dashboard = await (await mallory.browser.get("/")).get_data(as_text=True)
    assert request_id not in dashboard
    mine = await api.post(f"/requests/{request_id}/read")  # nothing of it was used up
    assert (await body_of(mine))["note"] == ANSWER


async def test_the_browser_that_read_it_may_read_it_again_for_ten_minutes_only(
    browser: Browser,
    app: Quart,
    services: Services,
    user: User,
    clock: FrozenClock,
    database: str,
) -> None:
    request_id = await answered(browser.client, services, user)
    page = f"/requests/{request_id}"
    assert "Read the answer" in await (await browser.get(page)).get_data(as_text=True)
    read = await browser.post(f"{page}/read")
    assert read.status_code == 200
    assert ANSWER in await read.get_data(as_text=True)
    cookie = read.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert f"Path={page}" in cookie
    assert await kept_answers(services, database) == []  # only a copy this server cannot open
    clock.advance(540)
    assert ANSWER in await (await browser.get(page)).get_data(as_text=True)
    reposted = await browser.post(f"{page}/read")  # a reload of the page that showed it
    assert ANSWER in await reposted.get_data(as_text=True)
    reloaded = await browser.get(f"{page}/read")  # a reload that does not send the form again
    assert (reloaded.status_code, reloaded.headers["Location"]) == (303, page)
    # The same user in another browser (no pass) is told it was read.
    elsewhere = await log_in(app.test_client())
    assert ANSWER not in await (await elsewhere.get(page)).get_data(as_text=True)
    assert (await elsewhere.post(f"{page}/read")).status_code == 410
    clock.advance(61)
    assert ANSWER not in await (await browser.get(page)).get_data(as_text=True)
    await sweep(services)
    assert "None, None)" in await stored(database)  # the copy is gone too


async def test_a_sealed_answer_opens_only_with_its_passphrase(
    api: ApiClient, browser: Browser, services: Services, user: User, database: str
) -> None:
    request_id = await answered(browser.client, services, user, passphrase=PASSPHRASE)
    [kept] = await kept_answers(services, database)
    assert ANSWER not in kept  # sealed as it arrived, within its encryption at rest
    assert PASSPHRASE not in await stored(database)
    missing = await api.post(f"/requests/{request_id}/read")
    wrong = await api.post(f"/requests/{request_id}/read", {"passphrase": "not the one"})
    assert (missing.status_code, wrong.status_code) == (403, 403)
    page = await browser.post(f"/requests/{request_id}/read", {"passphrase": "not the one"})
    assert page.status_code == 403
    assert "Wrong passphrase" in await page.get_data(as_text=True)
    right = await api.post(f"/requests/{request_id}/read", {"passphrase": PASSPHRASE})
    assert (right.status_code, (await body_of(right))["note"]) == (200, ANSWER)
    assert (
        await api.post(f"/requests/{request_id}/read", {"passphrase": PASSPHRASE})
    ).status_code == 410


async def test_reading_before_an_answer_or_after_the_link_expired_unanswered(
    api: ApiClient, services: Services, user: User, clock: FrozenClock
) -> None:
    waiting = await ask_for(services, user, ttl=300)
    early = await api.post(f"/requests/{waiting.request.id}/read")
    assert early.status_code == 409
    clock.advance(301)
    late = await api.post(f"/requests/{waiting.request.id}/read")
    assert late.status_code == 410
    assert "nobody answered in time" in (await body_of(late))["error"]
    assert (await body_of(await api.get(f"/requests/{waiting.request.id}")))["state"] == "expired"


async def test_revoking_a_waiting_request_kills_its_link_at_once(
    api: ApiClient, client: QuartClient, services: Services, user: User
) -> None:
    made = await ask_for(services, user)
    assert (await api.delete(f"/requests/{made.request.id}")).status_code == 204
    assert (await client.post(send_path(made.url), form={"note": ANSWER})).status_code == 410
    assert (await body_of(await api.get(f"/requests/{made.request.id}")))["state"] == "revoked"
    assert (await api.delete(f"/requests/{made.request.id}")).status_code == 204


async def test_revoking_an_answered_request_erases_the_answer_unread(
    api: ApiClient, client: QuartClient, services: Services, user: User, database: str
) -> None:
    request_id = await answered(client, services, user)
    assert (await api.delete(f"/requests/{request_id}")).status_code == 204
    assert await kept_answers(services, database) == []
    assert (await api.post(f"/requests/{request_id}/read")).status_code == 410
    state = await body_of(await api.get(f"/requests/{request_id}"))
    assert (state["state"], state["answered_at"]) == ("revoked", "2027-01-15T08:00:00Z")


async def test_revoke_all_my_links_revokes_the_requests_still_waiting(
    api: ApiClient, client: QuartClient, services: Services, user: User
) -> None:
    waiting = await ask_for(services, user)
    request_id = await answered(client, services, user)
    await revoke_all_links(services, user)
    assert (await client.get(send_path(waiting.url))).status_code == 410
    assert (await body_of(await api.get(f"/requests/{waiting.request.id}")))["state"] == "revoked"
    # An answer that came in before is not a link: it can still be read.
    assert (await api.post(f"/requests/{request_id}/read")).status_code == 200


async def test_disabling_a_user_revokes_their_requests_and_erases_their_answers(
    client: QuartClient, services: Services, user: User, database: str
) -> None:
    waiting = await ask_for(services, user)
    await answered(client, services, user)
    await set_disabled(services, user.id, disabled=True)
    assert await kept_answers(services, database) == []
    assert (await client.get(send_path(waiting.url))).status_code == 410


async def test_the_request_page_tells_what_happened_to_the_link(
    browser: Browser, client: QuartClient, services: Services, user: User, clock: FrozenClock
) -> None:
    made = await ask_for(services, user)
    path = send_path(made.url)
    # The person asked, in a test client of its own: the page is anonymous.
    await client.get(path, headers={"User-Agent": "Slackbot-LinkExpanding 1.0"})
    clock.advance(60)
    await client.post(path, form={"note": ANSWER})
    clock.advance(60)
    await client.get(path)  # tried again after it was answered: it may have leaked
    clock.advance(60)
    await browser.post(f"/requests/{made.request.id}/read")
    page = await (await browser.get(f"/requests/{made.request.id}")).get_data(as_text=True)
    kinds = re.findall(r'class="what">([^<]+)', page)
    assert [kind.strip() for kind in kinds] == [
        "Previewed by Slack",
        "Answered",
        "Refused: tried after it was closed",
        "Read by you, and erased",
    ]
    assert "Refused</mark>" in page
