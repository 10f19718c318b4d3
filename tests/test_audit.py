"""The audit trail: what happened to each link, from what address and user agent, previews
told apart, floods folded, kept after the note is gone and pruned in the end; and never a
token, a note or a passphrase in it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from quart import Quart
from quart.testing import QuartClient

from quart_app import create_app
from quart_app.accounts import set_disabled
from quart_app.clock import FrozenClock
from quart_app.links.redemption import redeem_link
from quart_app.services import Services
from quart_app.shares import revoke_all_links, revoke_link, revoke_share
from quart_app.storage.queries.users import User
from quart_app.sweep import sweep
from quart_app.web.context import services_of

from .conftest import START, log_in, make_settings, make_user, query_directly, share_for, token_of

JSON = {"Accept": "application/json"}
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
SLACK = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"
NOTE = "the wifi password is hunter2"


def visit(address: str = "203.0.113.77", agent: str = FIREFOX) -> dict[str, Any]:
    return {"headers": {"User-Agent": agent}, "scope_base": {"client": (address, 40000)}}


async def events(services: Services, database: str) -> list[tuple[Any, ...]]:
    """Every event row, oldest first, once the buffered ones are written."""
    await services.audit.flush()
    return await query_directly(
        database,
        "SELECT link, kind, count, address, user_agent, bot FROM audit_events ORDER BY id",
    )


async def test_a_view_is_recorded_with_the_network_of_its_address_and_its_agent(
    client: QuartClient, services: Services, user: User, database: str
) -> None:
    created = await share_for(services, user, links=2)
    await client.get("/connect/" + token_of(created.links[1].url), **visit())
    await client.get("/connect/" + token_of(created.links[0].url), **visit("2001:db8:1:2::5"))
    assert await events(services, database) == [
        (2, "viewed", 1, "203.0.113.0/24", FIREFOX, ""),
        (1, "viewed", 1, "2001:db8:1::/48", FIREFOX, ""),
    ]


@asynccontextmanager
async def app_with(
    tmp_path: Path, database: str, clock: FrozenClock, **changes: Any
) -> AsyncIterator[Quart]:
    app = create_app(make_settings(tmp_path, database=database, **changes), clock)
    async with app.test_app():
        yield app


@pytest.mark.parametrize(("keep", "kept"), [("full", "203.0.113.77"), ("off", None)])
async def test_the_privacy_setting_keeps_the_whole_address_or_none(
    tmp_path: Path, database: str, clock: FrozenClock, keep: str, kept: str | None
) -> None:
    async with app_with(tmp_path, database, clock, audit_addresses=keep) as app:
        services = services_of(app)
        owner = await make_user(services)
        path = "/connect/" + token_of((await share_for(services, owner)).links[0].url)
        await app.test_client().get(path, **visit())
        [(_, _, _, address, _, _)] = await events(services, database)
    assert address == kept


async def test_a_preview_bot_is_flagged_and_the_share_page_names_it(
    client: QuartClient, services: Services, user: User, database: str
) -> None:
    created = await share_for(services, user)
    await client.get("/connect/" + token_of(created.links[0].url), **visit(agent=SLACK))
    assert await events(services, database) == [(1, "viewed", 1, "203.0.113.0/24", SLACK, "Slack")]
    browser = await log_in(client)
    page = await (await browser.get(f"/shares/{created.share.id}")).get_data(as_text=True)
    assert "Previewed by Slack" in page


async def test_views_within_a_minute_fold_into_one_row_with_a_count(
    client: QuartClient, services: Services, user: User, database: str, clock: FrozenClock
) -> None:
    clock.now = START - START % 60  # the start of a minute
    path = "/connect/" + token_of((await share_for(services, user)).links[0].url)
    for _ in range(30):
        await client.get(path, **visit())
    await services.audit.flush()  # a flush in between folds into the same row
    for _ in range(20):
        await client.get(path, **visit("198.51.100.9"))
    clock.advance(61)
    await client.get(path, **visit())
    rows = await events(services, database)
    assert [(kind, count) for _, kind, count, *_ in rows] == [("viewed", 50), ("viewed", 1)]


async def test_a_flood_of_refusals_stays_one_row_a_minute(
    app: Quart, client: QuartClient, services: Services, user: User, database: str
) -> None:
    path = "/connect/" + token_of((await share_for(services, user)).links[0].url)
    assert (await client.post(path, **visit())).status_code == 200
    for _ in range(40):
        assert (await app.test_client().post(path, **visit("198.51.100.1"))).status_code == 410
        assert (await app.test_client().get(path, **visit("198.51.100.2"))).status_code == 410
    rows = await events(services, database)
    assert [(kind, count) for _, kind, count, *_ in rows] == [("granted", 1), ("refused", 80)]


async def test_the_browser_that_opened_a_link_may_reload_it_without_a_refusal(
    client: QuartClient, services: Services, user: User, database: str
) -> None:
    path = "/connect/" + token_of((await share_for(services, user)).links[0].url)
    assert (await client.post(path)).status_code == 200
    assert (await client.get(path)).status_code == 200  # the reveal cookie
    assert [kind for _, kind, *_ in await events(services, database)] == ["granted"]


async def test_a_grant_is_written_with_its_claim(
    client: QuartClient, services: Services, user: User, database: str
) -> None:
    path = "/connect/" + token_of((await share_for(services, user)).links[0].url)
    assert (await client.post(path, headers={**JSON, "User-Agent": "curl/8.5"})).status_code == 200
    # No flush: the grant was committed with the claim itself.
    rows = await query_directly(database, "SELECT link, kind, user_agent FROM audit_events")
    assert rows == [(1, "granted", "curl/8.5")]


async def test_revocations_are_recorded_per_link_and_per_share(
    services: Services, user: User, database: str
) -> None:
    one = await share_for(services, user, links=2)
    assert (await revoke_link(services, user, token_of(one.links[1].url))).value == "revoked"
    await revoke_share(services, user, one.share.id)
    await revoke_share(services, user, one.share.id)  # already revoked: nothing new
    two = await share_for(services, user)
    await revoke_all_links(services, user)
    rows = await query_directly(
        database, "SELECT share_id, link, kind, address FROM audit_events ORDER BY id"
    )
    assert rows == [
        (one.share.id, 2, "revoked", None),
        (one.share.id, 0, "revoked", None),
        (two.share.id, 0, "revoked", None),
    ]


async def test_disabling_a_user_records_the_revocation_of_their_open_shares(
    services: Services, user: User, database: str, clock: FrozenClock
) -> None:
    open_share = await share_for(services, user)
    spent = await share_for(services, user)
    await redeem_link(services, token_of(spent.links[0].url))
    await set_disabled(services, user.id, disabled=True)
    rows = await query_directly(
        database, "SELECT share_id, link, kind FROM audit_events WHERE kind = 'revoked'"
    )
    assert rows == [(open_share.share.id, 0, "revoked")]
    closed = await query_directly(
        database, "SELECT closed_at FROM shares WHERE id = ?", open_share.share.id
    )
    assert closed == [(clock.now,)]  # its events are kept AUDIT_DAYS from now


async def test_events_outlive_the_note_and_are_pruned_audit_days_after_the_share_closed(
    client: QuartClient, services: Services, user: User, database: str, clock: FrozenClock
) -> None:
    created = await share_for(services, user)
    path = "/connect/" + token_of(created.links[0].url)
    await client.get(path, **visit())
    await client.post(path, **visit())
    await services.audit.flush()
    [(note,)] = await query_directly(database, "SELECT note FROM shares")
    assert note is None  # erased: its only link was used
    clock.advance(89 * 86400)
    await sweep(services)
    assert len(await events(services, database)) == 2
    clock.advance(2 * 86400)
    report = await sweep(services)
    assert report.events_pruned == 2
    assert await events(services, database) == []


async def test_events_of_a_share_still_open_are_kept(
    tmp_path: Path, database: str, clock: FrozenClock
) -> None:
    async with app_with(tmp_path, database, clock, max_ttl=200 * 86400) as app:
        services = services_of(app)
        owner = await make_user(services)
        created = await share_for(services, owner, ttl=150 * 86400)
        await app.test_client().get("/connect/" + token_of(created.links[0].url), **visit())
        await services.audit.flush()
        clock.advance(120 * 86400)
        await sweep(services)
        assert len(await events(services, database)) == 1


async def test_user_agents_are_cut_at_256_characters_and_stripped_of_controls(
    client: QuartClient, services: Services, user: User, database: str
) -> None:
    path = "/connect/" + token_of((await share_for(services, user)).links[0].url)
    await client.get(path, **visit(agent="A\tgent " + "x" * 400))
    [(_, _, _, _, agent, _)] = await events(services, database)
    assert agent == "Agent " + "x" * 249


async def test_no_token_note_or_passphrase_reaches_the_events_or_the_log(
    app: Quart,
    client: QuartClient,
    services: Services,
    user: User,
    database: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    created = await share_for(services, user, links=3, passphrase="open sesame 99")
    tokens = [token_of(link.url) for link in created.links]
    await client.get("/connect/" + tokens[0], **visit())
    await client.post("/connect/" + tokens[0], json={"passphrase": "a wrong one!"}, **visit())
    await client.post("/connect/" + tokens[1], json={"passphrase": "open sesame 99"}, **visit())
    await app.test_client().post("/connect/" + tokens[1], **visit())  # not the one who opened it
    await revoke_link(services, user, tokens[2])
    rows = await query_directly(database, "SELECT * FROM audit_events")
    await services.audit.flush()
    rows += await query_directly(database, "SELECT * FROM audit_events")
    kinds = {row[3] for row in rows}
    assert kinds == {"viewed", "passphrase_failed", "granted", "refused", "revoked"}
    everything = repr(rows) + caplog.text
    for secret in [*tokens, NOTE, "open sesame 99", "a wrong one!"]:
        assert secret not in everything
