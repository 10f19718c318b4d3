"""What the hot paths cost the database: rejects cost nothing, the dashboard uses indexes.

On SQLite: its connections can record every statement they run, and its query planner is
the one these plans are read from."""

from __future__ import annotations

import re

import pytest
from quart import Quart, Response, request
from quart.testing import QuartClient

from quart_app.clock import FrozenClock
from quart_app.services import Services
from quart_app.storage.queries.users import User

from .conftest import Browser, share_for, token_of
from .sqltrace import recorded_sql
from .test_links import _flip_padding_bits

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


async def test_forged_expired_and_garbage_links_cost_no_query(
    client: QuartClient, services: Services, user: User, clock: FrozenClock
) -> None:
    expired = "/connect/" + token_of((await share_for(services, user, ttl=300)).links[0].url)
    forged = "/connect/" + token_of((await share_for(services, user)).links[0].url)[:-3] + "AAA"
    clock.advance(301)
    async with recorded_sql(services) as statements:
        for path in (expired, forged, "/connect/garbage", "/connect/" + "x" * 300):
            for method in ("GET", "HEAD", "POST"):
                for accept in ("text/html", "application/json"):
                    response = await client.open(path, method=method, headers={"Accept": accept})
                    assert response.status_code in (404, 410)
    assert statements == []


@pytest.mark.parametrize("accept", ["text/html", "application/json"])
async def test_a_real_link_is_redeemed_in_one_group_commit(
    client: QuartClient, services: Services, user: User, accept: str
) -> None:
    token = token_of((await share_for(services, user)).links[0].url)
    path = "/connect/" + _flip_padding_bits(token)
    async with recorded_sql(services) as statements:
        assert (await client.post(path, headers={"Accept": accept})).status_code == 200
    assert statements == ["<group commit>"]


async def test_dashboard_queries_use_indexes_not_scans(
    browser: Browser, services: Services, user: User
) -> None:
    for _ in range(25):
        created = await share_for(services, user, links=2)
        await browser.client.post("/connect/" + token_of(created.links[0].url))
    async with recorded_sql(services) as statements:
        assert (await browser.get("/")).status_code == 200
        assert (await browser.get("/?before=10")).status_code == 200
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(reads) <= 12  # a fixed handful, however many shares and uses there are
    for statement in reads:
        plan = await services.db.reader.execute_fetchall("EXPLAIN QUERY PLAN " + statement)
        details = " | ".join(row[3] for row in plan)
        for table in re.findall(r"SCAN (\w+)", details):
            assert "USING" in details.split(f"SCAN {table}", 1)[1].split("|")[0], (
                statement,
                details,
            )


async def test_the_share_page_and_its_events_use_indexes_not_scans(
    app: Quart, browser: Browser, services: Services, user: User
) -> None:
    for _ in range(10):
        created = await share_for(services, user, links=3, recipients=["a", "b", "c"])
        for link in created.links[:2]:
            await app.test_client().get("/connect/" + token_of(link.url))
        await app.test_client().post("/connect/" + token_of(created.links[0].url))
    await services.audit.flush()
    share_id = created.share.id
    async with recorded_sql(services) as statements:
        assert (await browser.get(f"/shares/{share_id}")).status_code == 200
        assert (await browser.get(f"/shares/{share_id}/events.json")).status_code == 200
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(reads) <= 16  # a handful a page, however many links and events there are
    for statement in reads:
        plan = await services.db.reader.execute_fetchall("EXPLAIN QUERY PLAN " + statement)
        details = " | ".join(row[3] for row in plan)
        assert "SCAN audit_events" not in details, (statement, details)
        assert "SCAN shares" not in details, (statement, details)


async def test_dead_links_are_answered_before_the_framework_the_same_way(
    app: Quart, client: QuartClient
) -> None:
    entered: list[str] = []

    @app.before_request
    async def note_entry() -> None:
        entered.append(request.path)

    def snapshot(response: Response, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        headers = sorted((k.lower(), v) for k, v in response.headers.items() if k != "Date")
        return response.status_code, headers, body

    for accept in ("text/html", "application/json"):
        answers = []
        for _ in range(3):
            response = await client.post("/connect/forged.token", headers={"Accept": accept})
            answers.append(snapshot(response, await response.get_data()))
        assert answers[0] == answers[1] == answers[2]
        assert answers[0][0] == 404
    # Only the first HTML answer went through Quart (to render the page once); none since.
    assert entered == ["/connect/forged.token"]


async def test_a_live_link_has_its_signature_checked_once(
    client: QuartClient, services: Services, user: User
) -> None:
    path = "/connect/" + token_of((await share_for(services, user, links=2)).links[0].url)
    signer = services.signer
    checks: list[str] = []
    original = signer.verify

    def counting(token: str) -> object:
        checks.append(token)
        return original(token)

    signer.verify = counting  # type: ignore[method-assign, assignment]
    try:
        assert (await client.get(path)).status_code == 200
        assert (await client.post(path)).status_code == 200
    finally:
        signer.verify = original  # type: ignore[method-assign]
    assert len(checks) == 2  # one per request, at the door
