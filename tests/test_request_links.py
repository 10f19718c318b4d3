"""A request's link, as the person asked for a secret meets it at /send/<token>: an inert page,
one answer and then "used", the states and headers of a link, and no way to pass a share's
link for a request's or the reverse."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from quart.testing import QuartClient

from quart_app.clock import FrozenClock
from quart_app.secret_requests import managing, reading
from quart_app.services import Services
from quart_app.storage.queries.users import User

from .conftest import ask_for, query_directly, send_path, share_for, token_of, used_link

JSON = {"Accept": "application/json"}
ANSWER = "s3cr3t-staging-password"


async def request_path(
    services: Services, user: User, *, instructions: str = "", ttl: int = 3600
) -> str:
    return send_path((await ask_for(services, user, instructions=instructions, ttl=ttl)).url)


async def test_the_page_names_who_asks_for_what_and_offers_a_box_and_a_send_button(
    client: QuartClient, services: Services, user: User
) -> None:
    path = await request_path(services, user, instructions="The one for the EU cluster.")
    response = await client.get(path)
    page = await response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'user1 asks you for: <span class="chosen">staging database password</span>' in page
    assert "The one for the EU cluster." in page
    assert '<textarea id="note" name="note"' in page
    assert ">Send</button>" in page


async def test_get_and_head_never_use_a_request_link(
    client: QuartClient, services: Services, user: User
) -> None:
    path = await request_path(services, user)
    for _ in range(25):
        assert (await client.get(path)).status_code == 200
        assert (await client.head(path)).status_code == 200
        assert (await client.get(path, headers=JSON)).status_code == 200
    sent = await client.post(path, form={"note": ANSWER})
    assert sent.status_code == 201


async def test_json_answers_follow_the_design(
    client: QuartClient, services: Services, user: User
) -> None:
    path = await request_path(services, user, instructions="EU cluster")
    ready = await client.get(path, headers=JSON)
    assert await ready.get_json() == {
        "state": "ready",
        "requested_by": "user1",
        "label": "staging database password",
        "instructions": "EU cluster",
        "expires_at": "2027-01-15T09:00:00Z",
    }
    sent = await client.post(path, json={"note": ANSWER}, headers=JSON)
    assert (sent.status_code, await sent.get_json()) == (201, {"state": "sent"})
    again = await client.post(path, json={"note": "another"}, headers=JSON)
    assert again.status_code == 410
    assert await again.get_json() == {"state": "used", "error": "This link has already been used"}
    assert (await client.get(path, headers=JSON)).status_code == 410


async def test_a_form_answer_is_sent_once_and_then_the_link_is_used(
    client: QuartClient, services: Services, user: User
) -> None:
    path = await request_path(services, user)
    sent = await client.post(path, form={"note": ANSWER})
    assert sent.status_code == 201
    assert "Sent. Only user1 can read it, once." in await sent.get_data(as_text=True)
    assert ANSWER not in await sent.get_data(as_text=True)
    later = await client.post(path, form={"note": "someone else's"})
    assert later.status_code == 410
    assert "This link has already been used" in await later.get_data(as_text=True)


async def test_answers_racing_in_one_process_send_exactly_one(
    client: QuartClient, services: Services, user: User
) -> None:
    path = await request_path(services, user)
    answers = await asyncio.gather(
        *(client.post(path, json={"note": f"answer {n}"}, headers=JSON) for n in range(40))
    )
    assert Counter(answer.status_code for answer in answers) == Counter({201: 1, 410: 39})


async def test_expired_revoked_and_invalid_request_links_answer_as_links_do(
    client: QuartClient, services: Services, user: User, clock: FrozenClock
) -> None:
    expiring = await request_path(services, user, ttl=300)
    revoked = await ask_for(services, user)
    await managing.revoke_request(services, user, revoked.request.id)
    clock.advance(301)
    for path, status, state, message in [
        (expiring, 410, "expired", "This link has expired"),
        (send_path(revoked.url), 410, "revoked", "This link was revoked"),
        ("/send/not-a-token", 404, "invalid", "This link is not valid"),
    ]:
        for method in ("GET", "POST"):
            answer = await client.open(path, method=method, headers=JSON, json={"note": "x"})
            assert answer.status_code == status, (path, method)
            assert await answer.get_json() == {"state": state, "error": message}
            page = await client.open(path, method=method, form={"note": "x"})
            assert page.status_code == status
            assert message in await page.get_data(as_text=True)


async def test_an_answered_request_stays_used_after_it_is_revoked(
    client: QuartClient, services: Services, user: User
) -> None:
    made = await ask_for(services, user)
    assert (await client.post(send_path(made.url), form={"note": ANSWER})).status_code == 201
    await managing.revoke_request(services, user, made.request.id)
    again = await client.get(send_path(made.url), headers=JSON)
    assert (again.status_code, (await again.get_json())["state"]) == (410, "used")


async def test_a_share_link_is_not_valid_at_send_nor_a_request_link_at_connect(
    client: QuartClient, services: Services, user: User
) -> None:
    share_link = token_of((await share_for(services, user)).links[0].url)
    request_link = (await request_path(services, user)).removeprefix("/send/")
    for path in (f"/send/{share_link}", f"/connect/{request_link}"):
        for method in ("GET", "POST"):
            answer = await client.open(path, method=method, headers=JSON, json={"note": "x"})
            assert answer.status_code == 404, (path, method)
            assert (await answer.get_json())["state"] == "invalid"
    # Neither was used by being tried in the wrong place.
    assert (await client.post(f"/connect/{share_link}", headers=JSON)).status_code == 200
    assert (await client.post(f"/send/{request_link}", json={"note": "x"})).status_code == 201


async def test_every_answer_forbids_caching_referrers_and_indexing(
    client: QuartClient, services: Services, user: User
) -> None:
    for path in (await request_path(services, user), "/send/not-a-token"):
        for method in ("GET", "HEAD", "POST"):
            for accept in ("text/html", "application/json"):
                response = await client.open(
                    path, method=method, headers={"Accept": accept}, form={"note": ANSWER}
                )
                headers = response.headers
                assert headers["Cache-Control"] == "no-store", (path, method, accept)
                assert headers["Referrer-Policy"] == "no-referrer"
                assert headers["X-Robots-Tag"] == "noindex"
                assert "Accept" in headers["Vary"]
                if accept == "text/html":
                    assert "script-src 'self'" in headers["Content-Security-Policy"]
                    assert "unsafe-inline" not in headers["Content-Security-Policy"]


async def test_a_cross_site_answer_is_refused_and_the_request_stays_ready(
    client: QuartClient, services: Services, user: User
) -> None:
    path = await request_path(services, user)
    for headers in (
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "https://evil.example"},
    ):
        refused = await client.post(path, form={"note": ANSWER}, headers=headers)
        assert refused.status_code == 403, headers
    assert (await client.get(path)).status_code == 200
    same_origin = {"Sec-Fetch-Site": "same-origin", "Origin": "null"}
    assert (await client.post(path, form={"note": ANSWER}, headers=same_origin)).status_code == 201


@pytest.mark.parametrize(
    ("note", "status", "problem"),
    [
        ("   ", 422, "Write what you want to send."),
        ("x" * (64 * 1024 + 1), 413, "That is too long: at most 64 KiB."),
        ("nul \x00 inside", 422, "Remove the NUL character"),
    ],
)
async def test_an_answer_that_cannot_be_sent_comes_back_as_typed_and_uses_nothing(
    client: QuartClient, services: Services, user: User, note: str, status: int, problem: str
) -> None:
    path = await request_path(services, user)
    page = await client.post(path, form={"note": note})
    text = await page.get_data(as_text=True)
    assert page.status_code == status
    assert problem in text
    if "\x00" not in note:
        assert f">{note}</textarea>" in text  # what was typed is still there
    answer = await client.post(path, json={"note": note}, headers=JSON)
    assert answer.status_code == status
    assert (await answer.get_json())["state"] == "ready"
    unreadable = await client.post(path, json=["not", "an", "object"], headers=JSON)
    assert unreadable.status_code == 422
    assert (await client.post(path, form={"note": ANSWER})).status_code == 201


async def test_answers_count_against_the_same_limit_as_redemptions(
    client: QuartClient, services: Services, user: User
) -> None:
    used = await used_link(services)
    for _ in range(60):
        assert (await client.post(used)).status_code == 410
    path = await request_path(services, user)
    blocked = await client.post(path, form={"note": ANSWER})
    assert blocked.status_code == 429
    assert blocked.headers["Cache-Control"] == "no-store"
    assert (await client.get(path)).status_code == 200  # still ready


async def test_the_answer_is_stored_for_its_owner_and_reaches_no_event(
    client: QuartClient, services: Services, user: User, database: str
) -> None:
    made = await ask_for(services, user)
    await client.get(send_path(made.url))
    await client.post(send_path(made.url), form={"note": ANSWER})
    await services.audit.flush()
    events = await query_directly(database, "SELECT * FROM audit_events")
    assert ANSWER not in repr(events)
    assert made.url.rsplit("/", 1)[1] not in repr(events)
    read = await reading.read_answer(services, user, made.request.id)
    assert read is not None
    assert read.answer == ANSWER
