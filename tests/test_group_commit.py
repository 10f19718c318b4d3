"""Group commit: concurrent claims share transactions, yet each link still has exactly one
winner, and every answered claim is durable. (Group commit is SQLite's writer; PostgreSQL's
runs a transaction per claim, and the tests that do not count batches run on both.)"""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
from collections import Counter

import pytest

from quart_app.links.redemption import redeem_link
from quart_app.links.states import LinkState
from quart_app.services import Services
from quart_app.shares import revoke_link, share_status
from quart_app.storage.queries.users import User

from .conftest import query_directly, share_for, token_of
from .sqltrace import recorded_sql


async def test_concurrent_redemptions_of_one_link_have_one_winner(
    services: Services, user: User
) -> None:
    token = token_of((await share_for(services, user)).links[0].url)
    views = await asyncio.gather(*(redeem_link(services, token) for _ in range(300)))
    assert Counter(view.state for view in views) == {LinkState.GRANTED: 1, LinkState.USED: 299}


async def test_every_link_of_a_share_raced_at_once_is_granted_exactly_once(
    services: Services, user: User
) -> None:
    """Several links, so the note outlives the first use: a second grant of any link would
    hand the note out again rather than hide behind its erasure."""
    created = await share_for(services, user, note="the shared secret", links=6)
    tokens = [token_of(link.url) for link in created.links]
    racers = [(token, redeem_link(services, token)) for token in tokens for _ in range(40)]
    views = await asyncio.gather(*(racing for _, racing in racers))
    per_link: dict[str, Counter[LinkState]] = {token: Counter() for token in tokens}
    for (token, _), view in zip(racers, views, strict=True):
        per_link[token][view.state] += 1
        assert (view.note == "the shared secret") == (view.state is LinkState.GRANTED)
    assert all(states == {LinkState.GRANTED: 1, LinkState.USED: 39} for states in per_link.values())
    status = await share_status(services, user, created.share.id)
    assert status is not None
    assert (status.share.links_used, len(status.uses)) == (6, 6)
    [(rows,)] = await query_directly(
        services.settings.database,
        "SELECT count(*) FROM redemptions WHERE share_id = ?",
        created.share.id,
    )
    assert rows == 6


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
async def test_many_links_redeemed_together_each_win_once_and_are_on_disk(
    services: Services, user: User
) -> None:
    created = await share_for(services, user, links=200)
    tokens = [token_of(link.url) for link in created.links]
    async with recorded_sql(services) as statements:
        views = await asyncio.gather(*(redeem_link(services, t) for t in tokens * 3))
    assert Counter(view.state for view in views) == {LinkState.GRANTED: 200, LinkState.USED: 400}
    assert statements.count("<group commit>") < 600 / 10  # claims really shared transactions
    # A separate connection, as another process would see the file: all 200 committed.
    location = services.settings.database
    [(rows,)] = await query_directly(location, "SELECT count(*) FROM redemptions WHERE revoked = 0")
    [(used,)] = await query_directly(
        location, "SELECT links_used FROM shares WHERE id = ?", created.share.id
    )
    assert rows == used == 200


async def test_a_caller_that_leaves_early_does_not_stall_the_others(
    services: Services, user: User
) -> None:
    created = await share_for(services, user, links=3)
    first, second, third = (token_of(link.url) for link in created.links)
    abandoned = asyncio.create_task(redeem_link(services, first))
    others = asyncio.gather(redeem_link(services, second), redeem_link(services, third))
    abandoned.cancel()
    states = {view.state for view in await others}
    assert states == {LinkState.GRANTED}
    # The abandoned claim either never ran or ran to completion; it was not half written.
    assert (await redeem_link(services, first)).state in (LinkState.GRANTED, LinkState.USED)


async def test_revoking_and_redeeming_a_link_at_once_settle_on_one_of_them(
    services: Services, user: User
) -> None:
    created = await share_for(services, user, links=40)
    races = [
        asyncio.gather(
            redeem_link(services, token_of(link.url)),
            revoke_link(services, user, token_of(link.url)),
        )
        for link in created.links
    ]
    for redeemed, revoked in await asyncio.gather(*races):
        # Whoever came first, the other was told so; nothing failed, nothing counted twice.
        assert (redeemed.state, revoked) in (
            (LinkState.GRANTED, LinkState.USED),
            (LinkState.REVOKED, LinkState.REVOKED),
        )
    status = await share_status(services, user, created.share.id)
    assert status is not None
    assert status.share.links_used + status.share.links_revoked == 40


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
async def test_a_foreign_writer_delays_redemptions_without_stalling_the_server(
    services: Services, user: User
) -> None:
    """A program writing to the file (the sqlite3 shell, a backup tool) does not take the
    writers' flock; the redemption waits for it, and the event loop keeps serving."""
    token = token_of((await share_for(services, user)).links[0].url)
    foreign = sqlite3.connect(services.settings.database, isolation_level=None)
    try:
        foreign.execute("BEGIN IMMEDIATE")
        redeeming = asyncio.create_task(redeem_link(services, token))
        loop = asyncio.get_running_loop()
        ticks, started = [], loop.time()
        while loop.time() - started < 0.5:
            await asyncio.sleep(0.01)
            ticks.append(loop.time())
        assert not redeeming.done()
        assert max(b - a for a, b in itertools.pairwise([started, *ticks])) < 0.1
        foreign.execute("COMMIT")
        assert (await asyncio.wait_for(redeeming, 5)).state is LinkState.GRANTED
    finally:
        foreign.close()
