"""What the share list says about each share: used, left, expired, revoked."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from quart_app.clock import FrozenClock, in_words
from quart_app.links.redemption import redeem_link
from quart_app.links.states import LinkState
from quart_app.services import Services
from quart_app.shares import (
    ShareStatus,
    list_shares,
    revoke_all_links,
    revoke_link,
    revoke_share,
)
from quart_app.storage.opener import database_for
from quart_app.storage.queries.users import User, user_by_id
from quart_app.storage.sqlite.backend import schema as sqlite_schema

from .conftest import share_for, token_of


async def status_of(services: Services, owner: User) -> ShareStatus:
    [status] = await list_shares(services, owner, limit=1)
    return status


async def test_a_new_share_is_open_with_every_link_left(services: Services, user: User) -> None:
    await share_for(services, user, links=3)
    status = await status_of(services, user)
    assert (status.state, status.links_left, status.uses) == ("open", 3, [])


async def test_each_use_is_listed_with_its_time(
    services: Services, user: User, clock: FrozenClock
) -> None:
    created = await share_for(services, user, links=3)
    for link in created.links[:2]:
        clock.advance(60)
        await redeem_link(services, token_of(link.url))
    status = await status_of(services, user)
    assert status.uses == [clock.now - 60, clock.now]
    assert (status.share.links_used, status.links_left, status.state) == (2, 1, "open")


async def test_a_share_whose_links_ran_out_of_time_is_expired(
    services: Services, user: User, clock: FrozenClock
) -> None:
    await share_for(services, user, links=2, ttl=300)
    clock.advance(301)
    status = await status_of(services, user)
    assert (status.state, status.links_left) == ("expired", 0)


async def test_a_share_with_every_link_used_says_so(services: Services, user: User) -> None:
    created = await share_for(services, user, links=1)
    await redeem_link(services, token_of(created.links[0].url))
    assert (await status_of(services, user)).state == "used"


async def test_a_revoked_share_says_so(services: Services, user: User) -> None:
    created = await share_for(services, user, links=2)
    await revoke_share(services, user, created.share.id)
    status = await status_of(services, user)
    assert (status.state, status.links_left) == ("revoked", 0)


async def test_revoke_all_leaves_no_share_showing_links_left(
    services: Services, user: User
) -> None:
    created = await share_for(services, user, links=3)
    await redeem_link(services, token_of(created.links[0].url))
    await revoke_all_links(services, user)
    status = await status_of(services, user)
    assert (status.share.links_used, status.share.links_revoked, status.links_left) == (1, 2, 0)
    assert status.state == "closed"


async def test_revoking_a_link_that_is_already_dead_counts_nothing(
    services: Services, user: User
) -> None:
    created = await share_for(services, user, links=2)
    await revoke_all_links(services, user)
    fresh = await user_again(services, user)
    assert await revoke_link(services, fresh, token_of(created.links[0].url)) is LinkState.REVOKED
    assert (await status_of(services, user)).share.links_revoked == 2


async def user_again(services: Services, user: User) -> User:
    fresh = await user_by_id(services.db.reader, user.id)
    assert fresh is not None
    return fresh


def test_durations_read_as_people_say_them() -> None:
    assert in_words(3599.4) == "1 hour"
    assert in_words(3600) == "1 hour"
    assert in_words(2 * 3600 + 100) == "2 hours"
    assert in_words(86400 - 10) == "1 day"
    assert in_words(45) == "1 minute"
    assert in_words(20) == "less than a minute"


def counts(status: ShareStatus) -> dict[str, int]:
    share = status.share
    return {
        "used": share.links_used,
        "revoked": status.links_revoked,
        "expired": status.links_expired,
        "left": status.links_left,
    }


async def test_a_revoked_share_counts_its_unused_links_as_revoked_once(
    services: Services, user: User
) -> None:
    created = await share_for(services, user, links=3)
    await redeem_link(services, token_of(created.links[0].url))
    await revoke_share(services, user, created.share.id)
    expected = {"used": 1, "revoked": 2, "expired": 0, "left": 0}
    assert counts(await status_of(services, user)) == expected
    await revoke_all_links(services, await user_again(services, user))
    assert counts(await status_of(services, user)) == expected


async def test_links_that_ran_out_stay_expired_whatever_is_revoked_later(
    services: Services, user: User, clock: FrozenClock
) -> None:
    created = await share_for(services, user, links=2, ttl=300)
    clock.advance(301)
    expected = {"used": 0, "revoked": 0, "expired": 2, "left": 0}
    assert counts(await status_of(services, user)) == expected
    await revoke_all_links(services, user)
    await revoke_share(services, await user_again(services, user), created.share.id)
    assert counts(await status_of(services, user)) == expected


async def test_revoking_one_link_then_the_share_counts_each_link_once(
    services: Services, user: User
) -> None:
    created = await share_for(services, user, links=4)
    await redeem_link(services, token_of(created.links[0].url))
    await revoke_link(services, user, token_of(created.links[1].url))
    await revoke_share(services, user, created.share.id)
    await revoke_all_links(services, user)
    assert counts(await status_of(services, user)) == {
        "used": 1,
        "revoked": 3,
        "expired": 0,
        "left": 0,
    }


async def test_used_revoked_expired_and_left_always_add_up_to_the_links_issued(
    services: Services, user: User, clock: FrozenClock
) -> None:
    created = await share_for(services, user, links=5, ttl=600)
    steps = [
        lambda: redeem_link(services, token_of(created.links[0].url)),
        lambda: revoke_link(services, user, token_of(created.links[1].url)),
        lambda: revoke_share(services, user, created.share.id),
        lambda: revoke_all_links(services, user),
    ]
    for step in steps:
        await step()
        for wait in (0, 601):
            clock.advance(wait)
            status = await status_of(services, user)
            assert sum(counts(status).values()) == status.share.links_issued
            clock.advance(-wait)


async def test_shares_revoked_before_the_counts_were_kept_are_counted_on_upgrade(
    tmp_path: Path,
) -> None:
    location = tmp_path / "old.sqlite3"
    with contextlib.closing(sqlite3.connect(location)) as old:
        for number, statements in sqlite_schema():
            if number == 5:
                break
            for statement in statements:
                old.execute(statement)
        old.execute("PRAGMA user_version = 4")
        old.execute("INSERT INTO users(name, password_hash, created_at) VALUES ('u', 'h', 0)")
        for share_id, revoked_at in (("live", 50.0), ("ran-out", 150.0)):
            old.execute(
                """INSERT INTO shares(id, owner_id, default_ttl, created_at, expires_at,
                                      links_issued, links_used, revoked_at)
                   VALUES (?, 1, 300, 0, 100, 3, 1, ?)""",
                (share_id, revoked_at),
            )
        old.commit()
    db = database_for(str(location))
    await db.open()
    await db.close()
    with contextlib.closing(sqlite3.connect(location)) as upgraded:
        rows = upgraded.execute("SELECT id, links_revoked FROM shares ORDER BY id").fetchall()
    assert rows == [("live", 2), ("ran-out", 0)]
