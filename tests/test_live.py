"""The change feed behind live dashboards: counters the database keeps, and waking streams."""

from __future__ import annotations

import asyncio

from quart_app.redeem import redeem_link
from quart_app.services import Services
from quart_app.shares import revoke_all_links, revoke_link, revoke_share
from quart_app.store import User

from .conftest import make_user, share_for, token_of


async def counter(services: Services, user: User) -> int:
    return await services.feed.counter_of(user.id)


async def test_every_change_to_a_users_shares_moves_their_counter(
    services: Services, user: User
) -> None:
    seen = [await counter(services, user)]
    created = await share_for(services, user, links=3)
    seen.append(await counter(services, user))
    await redeem_link(services, token_of(created.links[0].url))
    seen.append(await counter(services, user))
    await revoke_link(services, user, created.links[1].url)
    seen.append(await counter(services, user))
    await revoke_share(services, user, created.share.id)
    seen.append(await counter(services, user))
    await revoke_all_links(services, user)
    seen.append(await counter(services, user))
    assert seen == sorted(set(seen)), seen


async def test_another_users_changes_leave_the_counter_alone(
    services: Services, user: User
) -> None:
    other = await make_user(services, "user2")
    before = await counter(services, user)
    created = await share_for(services, other)
    await redeem_link(services, token_of(created.links[0].url))
    assert await counter(services, user) == before


async def test_a_waiting_stream_wakes_when_a_link_is_used(services: Services, user: User) -> None:
    created = await share_for(services, user)
    since = await counter(services, user)
    async with services.feed.watching(user.id):
        waiting = asyncio.create_task(services.feed.next_change(user.id, since, within=5))
        await asyncio.sleep(0.1)
        assert not waiting.done()
        await redeem_link(services, token_of(created.links[0].url))
        moved = await asyncio.wait_for(waiting, 2)
    assert moved is not None
    assert moved > since


async def test_a_stream_that_missed_a_change_hears_of_it_at_once(
    services: Services, user: User
) -> None:
    since = await counter(services, user)
    await share_for(services, user)
    async with services.feed.watching(user.id):
        moved = await services.feed.next_change(user.id, since, within=2)
    assert moved == await counter(services, user)


async def test_waiting_gives_up_after_its_time(services: Services, user: User) -> None:
    since = await counter(services, user)
    async with services.feed.watching(user.id):
        assert await services.feed.next_change(user.id, since, within=0.7) is None


async def test_stopping_the_feed_ends_every_wait_at_once(services: Services, user: User) -> None:
    since = await counter(services, user)
    async with services.feed.watching(user.id):
        waiting = asyncio.create_task(services.feed.next_change(user.id, since, within=30))
        await asyncio.sleep(0.1)
        await services.feed.stop()
        assert await asyncio.wait_for(waiting, 1) is None
        assert services.feed.stopping
