"""Notes are erased, not hidden, once no link can reach them; the ledger stays small."""

from __future__ import annotations

import asyncio

import pytest
from quart import Quart
from quart.testing import QuartClient

from quart_app import create_app
from quart_app.clock import FrozenClock
from quart_app.config import Settings
from quart_app.links.redemption import redeem_link
from quart_app.links.states import LinkState
from quart_app.services import Services
from quart_app.shares import revoke_link, revoke_share
from quart_app.storage.opener import database_for
from quart_app.storage.queries.users import User
from quart_app.sweep import sweep
from quart_app.web.context import services_of

from .conftest import query_directly, share_for, token_of


async def stored_note(settings: Settings, share_id: str) -> str | None:
    """Read the note straight from the database, as someone with a copy of the disk would."""
    [(note,)] = await query_directly(
        settings.database, "SELECT note FROM shares WHERE id = ?", share_id
    )
    return note  # type: ignore[no-any-return]


async def ledger_rows(services: Services) -> int:
    [(count,)] = await services.db.reader.execute_fetchall("SELECT count(*) FROM redemptions")
    return int(count)


async def test_note_is_erased_when_the_last_link_is_used(
    services: Services, user: User, settings: Settings
) -> None:
    created = await share_for(services, user, links=2)
    first, second = (token_of(link.url) for link in created.links)
    assert (await redeem_link(services, first)).state is LinkState.GRANTED
    assert await stored_note(settings, created.share.id) is not None
    granted = await redeem_link(services, second)
    assert granted.note == "the wifi password is hunter2"
    assert await stored_note(settings, created.share.id) is None


async def test_note_is_erased_when_its_links_are_used_or_revoked(
    services: Services, user: User, settings: Settings
) -> None:
    created = await share_for(services, user, links=2)
    await revoke_link(services, user, token_of(created.links[0].url))
    await redeem_link(services, token_of(created.links[1].url))
    assert await stored_note(settings, created.share.id) is None


async def test_revoking_a_share_erases_its_note(
    services: Services, user: User, settings: Settings
) -> None:
    created = await share_for(services, user)
    await revoke_share(services, user, created.share.id)
    assert await stored_note(settings, created.share.id) is None


async def test_sweep_erases_notes_whose_links_all_expired(
    services: Services, user: User, settings: Settings, clock: FrozenClock
) -> None:
    created = await share_for(services, user, ttl=300)
    clock.advance(299)
    assert (await sweep(services)).notes_erased == 0
    clock.advance(2)
    assert (await sweep(services)).notes_erased == 1
    assert await stored_note(settings, created.share.id) is None


async def test_sweep_prunes_ledger_rows_no_token_can_match(
    services: Services, user: User, clock: FrozenClock
) -> None:
    created = await share_for(services, user, links=3, ttl=300)
    for link in created.links:
        await redeem_link(services, token_of(link.url))
    assert await ledger_rows(services) == 3
    clock.advance(services.settings.max_ttl + 59)
    assert (await sweep(services)).ledger_rows_pruned == 0
    clock.advance(2)
    assert (await sweep(services)).ledger_rows_pruned == 3
    assert await ledger_rows(services) == 0


async def test_pruning_goes_in_batches_until_done(
    services: Services, user: User, clock: FrozenClock
) -> None:
    created = await share_for(services, user, links=1000, ttl=300)
    for link in created.links[:1000]:
        await redeem_link(services, token_of(link.url))
    extra = await share_for(services, user, links=5, ttl=300)
    for link in extra.links:
        await redeem_link(services, token_of(link.url))
    clock.advance(services.settings.max_ttl + 61)
    assert (await sweep(services)).ledger_rows_pruned == 1005


async def test_restart_keeps_shares_users_and_used_links(
    app: Quart, settings: Settings, clock: FrozenClock, user: User
) -> None:
    created = await share_for(services_of(app), user, links=2)
    first, second = ("/connect/" + token_of(link.url) for link in created.links)
    assert (await app.test_client().post(first)).status_code == 200
    restarted = create_app(settings, clock)
    async with restarted.test_app():
        client: QuartClient = restarted.test_client()
        assert (await client.post(first)).status_code == 410
        assert (await client.post(second)).status_code == 200
        login = await client.post(
            "/login", form={"name": "user1", "password": "correct horse battery"}
        )
        assert login.status_code == 303


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
async def test_one_process_sweeps_at_a_time(services: Services) -> None:
    other = database_for(services.settings.database)  # as another worker would open it
    await other.open()
    try:
        async with other.sweeping():
            ours = asyncio.create_task(sweep(services))
            await asyncio.sleep(0.3)
            assert not ours.done()
        async with asyncio.timeout(5):
            await ours
    finally:
        await other.close()
