"""Live views learn of changes to their user's shares from any process or instance: NOTIFY
on PostgreSQL, a poll of the change counters SQLite's triggers keep. The dashboard's live
updates build on this."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from quart_app.clock import FrozenClock
from quart_app.links.redemption import redeem_link
from quart_app.links.states import LinkState
from quart_app.services import Services
from quart_app.shares import revoke_all_links, revoke_link, revoke_share
from quart_app.storage.opener import database_for
from quart_app.storage.postgres import notify
from quart_app.storage.postgres.notify import LISTENER_NAME
from quart_app.storage.queries.users import User
from quart_app.sweep import sweep

from .conftest import make_user, query_directly, share_for, token_of

# Generous: SQLite's feed polls twice a second, and the machine may be busy.
WITHIN = 5.0


async def redeem_one(services: Services, owner: User) -> None:
    token = token_of((await share_for(services, owner)).links[0].url)
    assert (await redeem_link(services, token)).state is LinkState.GRANTED


async def test_a_redemption_wakes_the_owners_watch(services: Services, user: User) -> None:
    async with services.db.watch_changes(user.id) as watch:
        await redeem_one(services, user)
        assert await watch.wait(WITHIN)


async def test_a_watch_with_no_change_times_out(services: Services, user: User) -> None:
    async with services.db.watch_changes(user.id) as watch:
        started = time.monotonic()
        assert not await watch.wait(0.3)
    assert 0.25 < time.monotonic() - started < 2


async def test_a_change_made_by_another_instance_arrives(services: Services, user: User) -> None:
    other = database_for(services.settings.database)  # as another server would open it
    await other.open()
    try:
        async with other.watch_changes(user.id) as watch:
            await redeem_one(services, user)
            assert await watch.wait(WITHIN)
    finally:
        await other.close()


async def test_every_change_to_a_users_shares_wakes_their_watch(
    services: Services, user: User
) -> None:
    async with services.db.watch_changes(user.id) as watch:
        created = await share_for(services, user, links=3)
        assert await watch.wait(WITHIN), "created"
        await redeem_link(services, token_of(created.links[0].url))
        assert await watch.wait(WITHIN), "redeemed"
        await revoke_link(services, user, token_of(created.links[1].url))
        assert await watch.wait(WITHIN), "link revoked"
        await revoke_share(services, user, created.share.id)
        assert await watch.wait(WITHIN), "share revoked"
        await revoke_all_links(services, user)
        assert await watch.wait(WITHIN), "all links revoked"


async def test_a_sweep_that_erases_a_note_wakes_the_owners_watch(
    services: Services, user: User, clock: FrozenClock
) -> None:
    """SQLite's triggers count the erasure by themselves; PostgreSQL hears only what the
    sweep announces."""
    await share_for(services, user, ttl=300)
    clock.advance(301)
    async with services.db.watch_changes(user.id) as watch:
        assert (await sweep(services)).notes_erased == 1
        assert await watch.wait(WITHIN)


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
async def test_every_change_to_a_users_shares_moves_their_stamp(
    services: Services, user: User
) -> None:
    async def stamp() -> int | None:
        return await services.db.change_stamp(user.id)

    seen = [await stamp()]
    created = await share_for(services, user, links=3)
    seen.append(await stamp())
    await redeem_link(services, token_of(created.links[0].url))
    seen.append(await stamp())
    await revoke_link(services, user, token_of(created.links[1].url))
    seen.append(await stamp())
    await revoke_share(services, user, created.share.id)
    seen.append(await stamp())
    await revoke_all_links(services, user)
    seen.append(await stamp())
    assert None not in seen
    assert seen == sorted(set(seen)), seen


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
async def test_another_users_changes_leave_the_stamp_alone(services: Services, user: User) -> None:
    other = await make_user(services, "user2")
    before = await services.db.change_stamp(user.id)
    created = await share_for(services, other)
    await redeem_link(services, token_of(created.links[0].url))
    assert await services.db.change_stamp(user.id) == before


async def test_only_the_owners_watch_wakes(services: Services, user: User) -> None:
    stranger = await make_user(services, "stranger")
    async with (
        services.db.watch_changes(user.id) as owners,
        services.db.watch_changes(stranger.id) as strangers,
    ):
        await redeem_one(services, user)
        assert await owners.wait(WITHIN)
        assert not await strangers.wait(0.3)


async def test_closing_the_database_ends_every_wait_at_once(services: Services, user: User) -> None:
    other = database_for(services.settings.database)
    await other.open()
    async with other.watch_changes(user.id) as watch:
        waiting = asyncio.create_task(watch.wait(60))
        await asyncio.sleep(0.1)
        started = time.monotonic()
        await other.close()
        assert not await waiting
        assert time.monotonic() - started < 2
        assert watch.closed


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
async def test_a_lost_listener_wakes_its_watches_and_listens_again(
    services: Services, user: User
) -> None:
    location = services.settings.database
    async with services.db.watch_changes(user.id) as watch:
        # As when the server restarts or a proxy drops idle connections.
        await query_directly(
            location,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ?",
            LISTENER_NAME,
        )
        assert await watch.wait(WITHIN)  # changes may have been missed: look again
        await redeem_one(services, user)  # perhaps before anyone listens again
        assert await watch.wait(WITHIN)  # heard, or woken once listening again
        await redeem_one(services, user)
        assert await watch.wait(WITHIN)  # heard by the new listener


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
async def test_a_watch_that_leaves_while_the_listener_connects_leaves_no_connection_open(
    services: Services, user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A live stream closed by its browser at that moment used to leave the listening
    connection made for it unheld: never closed, not even when the database closed."""
    connecting, go_on = asyncio.Event(), asyncio.Event()
    connect = notify.asyncpg.connect

    async def connect_slowly(*args: Any, **kwargs: Any) -> Any:
        conn = await connect(*args, **kwargs)
        connecting.set()
        await go_on.wait()  # the watch leaves here: the connection is made, not yet held
        return conn

    other = database_for(services.settings.database)  # as another server would open it
    await other.open()
    monkeypatch.setattr(notify.asyncpg, "connect", connect_slowly)

    async def watch_briefly() -> None:
        async with other.watch_changes(user.id) as watch:
            await watch.wait(60)

    leaving = asyncio.create_task(watch_briefly())
    await connecting.wait()
    leaving.cancel()
    go_on.set()
    await asyncio.wait([leaving])
    await other.close()
    listeners = await query_directly(
        services.settings.database,
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = ?",
        LISTENER_NAME,
    )
    assert listeners == [(0,)]
