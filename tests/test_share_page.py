"""What the owner sees of the audit trail: the share page with each link's recipient, state
and timeline (live), the events as CSV and JSON files, the events in the API, and a badge
in the share list when a link was refused or locked."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from quart import Quart
from quart.testing import QuartClient

from quart_app.clock import FrozenClock, iso_utc
from quart_app.services import Services
from quart_app.shares import revoke_link
from quart_app.storage.queries.users import User
from quart_app.web.views.exports import neutralised

from .apiclient import ApiClient, body_of
from .conftest import START, Browser, make_user, share_for, token_of
from .test_share_events import read_until, stream

JSON = {"Accept": "application/json"}
SLACK = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"


def visit(agent: str = "Firefox/128.0", address: str = "203.0.113.77") -> dict[str, Any]:
    return {"headers": {"User-Agent": agent}, "scope_base": {"client": (address, 1)}}


async def a_busy_share(app: Quart, services: Services, user: User, clock: FrozenClock) -> list[str]:
    """bob's link previewed, used, then tried again; carol's locked; dave's revoked: each a
    second after the one before."""
    created = await share_for(
        services, user, recipients=["bob", "carol", "dave"], passphrase="open sesame"
    )
    bob, carol, dave = (token_of(link.url) for link in created.links)
    recipient = app.test_client()
    await recipient.get("/connect/" + bob, **visit(SLACK))
    clock.advance(1)
    await recipient.post("/connect/" + bob, form={"passphrase": "open sesame"}, **visit())
    for _ in range(5):
        clock.advance(1)
        await recipient.post("/connect/" + carol, form={"passphrase": "nope nope"}, **visit())
    clock.advance(1)
    await revoke_link(services, user, dave)
    clock.advance(1)
    await app.test_client().post("/connect/" + bob, **visit("curl/8"))
    return [created.share.id, bob, carol, dave]


async def test_the_share_page_shows_each_link_its_recipient_state_and_timeline(
    app: Quart, browser: Browser, services: Services, user: User, clock: FrozenClock
) -> None:
    share_id, *_ = await a_busy_share(app, services, user, clock)
    page = await (await browser.get(f"/shares/{share_id}")).get_data(as_text=True)
    rows = page.split('<tr id="link-')[1:]
    assert len(rows) == 3
    bob, carol, dave = rows
    assert "bob" in bob
    assert "Used" in bob
    assert "Previewed by Slack" in bob
    assert "Opened" in bob
    assert "Refused: tried after it was closed" in bob
    assert "from 203.0.113.0/24" in bob
    assert "carol" in carol
    assert "Locked" in carol
    assert 'Wrong passphrase <span class="count">' not in carol  # five rows, not folded
    assert carol.count("Wrong passphrase") == 5
    assert "dave" in dave
    assert "Revoked" in dave
    dashboard = await (await browser.get("/")).get_data(as_text=True)
    assert f'href="/shares/{share_id}"' in dashboard
    assert ">Refused</mark>" in dashboard
    assert ">Locked</mark>" in dashboard


async def test_a_quiet_share_shows_no_badge(
    browser: Browser, services: Services, user: User
) -> None:
    await share_for(services, user)
    dashboard = await (await browser.get("/")).get_data(as_text=True)
    assert "badge-alarm" not in dashboard


async def test_events_download_as_csv_with_formulas_neutralised(
    app: Quart, browser: Browser, services: Services, user: User
) -> None:
    created = await share_for(services, user, recipients=["=1+1", "@SUM(A1)", "plain"])
    first, second, _ = (token_of(link.url) for link in created.links)
    await app.test_client().get("/connect/" + first, **visit("-2+3 agent"))
    await app.test_client().get("/connect/" + second, **visit("+cmd|' /C calc'!A0"))
    await services.audit.flush()
    response = await browser.get(f"/shares/{created.share.id}/events.csv")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(await response.get_data(as_text=True))))
    assert rows[0] == ["link", "recipient", "kind", "at", "count", "address", "user_agent", "bot"]
    assert rows[1] == [
        "1",
        "'=1+1",
        "viewed",
        iso_utc(START),
        "1",
        "203.0.113.0/24",
        "'-2+3 agent",
        "False",
    ]
    assert rows[2][1] == "'@SUM(A1)"
    assert rows[2][6] == "'+cmd|' /C calc'!A0"


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_start_is_neutralised(start: str) -> None:
    assert neutralised(f"{start}HYPERLINK()") == f"'{start}HYPERLINK()"
    assert neutralised(f"a{start}b") == f"a{start}b"


async def test_events_download_as_json_as_the_api_gives_them(
    app: Quart, browser: Browser, api: ApiClient, services: Services, user: User, clock: FrozenClock
) -> None:
    share_id, *_ = await a_busy_share(app, services, user, clock)
    response = await browser.get(f"/shares/{share_id}/events.json")
    exported = json.loads(await response.get_data(as_text=True))
    listed = await body_of(await api.get(f"/shares/{share_id}/events"))
    assert exported["events"] == listed["events"]
    assert exported["events"][0] == {
        "link": 1,
        "recipient": "bob",
        "kind": "viewed",
        "at": iso_utc(START),
        "count": 1,
        "address": "203.0.113.0/24",
        "user_agent": SLACK,
        "bot": True,
    }
    assert [event["kind"] for event in exported["events"]] == [
        "viewed",
        "granted",
        *["passphrase_failed"] * 5,
        "locked",
        "revoked",
        "refused",
    ]


async def test_the_api_pages_through_a_shares_events(
    app: Quart, api: ApiClient, services: Services, user: User, clock: FrozenClock
) -> None:
    share_id, *_ = await a_busy_share(app, services, user, clock)
    kinds: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        query = f"?limit=4{'' if cursor is None else f'&cursor={cursor}'}"
        page = await body_of(await api.get(f"/shares/{share_id}/events{query}"))
        kinds += [event["kind"] for event in page["events"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert len(kinds) == 10
    assert kinds[-1] == "refused"
    bad = await api.get(f"/shares/{share_id}/events?cursor=abc")
    assert bad.status_code == 422


async def test_the_api_gives_each_links_state_and_views(
    app: Quart, api: ApiClient, services: Services, user: User, clock: FrozenClock
) -> None:
    share_id, *_ = await a_busy_share(app, services, user, clock)
    status = await body_of(await api.get(f"/shares/{share_id}"))
    assert status["links"] == [
        {
            "number": 1,
            "recipient": "bob",
            "state": "used",
            "used_at": iso_utc(START + 1),
            "views": 1,
        },
        {"number": 2, "recipient": "carol", "state": "locked", "used_at": None, "views": 0},
        {"number": 3, "recipient": "dave", "state": "revoked", "used_at": None, "views": 0},
    ]


async def test_nobody_else_sees_a_shares_page_events_or_stream(
    app: Quart, client: QuartClient, api: ApiClient, services: Services, user: User
) -> None:
    from .conftest import log_in

    created = await share_for(services, await make_user(services, "mallory"))
    share_id = created.share.id
    browser = await log_in(client)
    for path in ("", "/events.csv", "/events.json"):
        assert (await browser.get(f"/shares/{share_id}{path}")).status_code == 404
    live = await browser.get(f"/shares/{share_id}/live", headers={"Accept": "text/event-stream"})
    assert live.status_code == 404
    assert (await api.get(f"/shares/{share_id}/events")).status_code == 404
    assert (await api.get("/shares/not-a-share/events")).status_code == 404
    anonymous = await app.test_client().get(f"/shares/{share_id}")
    assert anonymous.status_code == 302


async def test_the_share_page_is_live(
    app: Quart, browser: Browser, services: Services, user: User
) -> None:
    created = await share_for(services, user, recipients=["bob"])
    stamp = await services.db.change_stamp(user.id)
    since = "" if stamp is None else f"?since={stamp}"
    async with stream(browser.client, f"/shares/{created.share.id}/live{since}") as connection:
        await read_until(connection, "retry")
        await app.test_client().get("/connect/" + token_of(created.links[0].url), **visit())
        await services.audit.flush()
        received = await read_until(connection, "Viewed")
    assert "bob" in received
