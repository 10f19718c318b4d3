"""A database from before links were numbered keeps working after the upgrade: its links stay
valid, its shares' pages say what can be said of them, and new links are numbered."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from quart.testing import QuartClient

from quart_app import create_app
from quart_app.accounts import hash_password
from quart_app.clock import FrozenClock
from quart_app.links.tokens import LinkSigner
from quart_app.shares import issue_links
from quart_app.storage.opener import is_postgres
from quart_app.storage.postgres.backend import postgres_sql
from quart_app.storage.postgres.backend import schema as postgres_schema
from quart_app.storage.queries.users import user_by_name
from quart_app.storage.sqlite.backend import schema as sqlite_schema
from quart_app.web.context import services_of

from .conftest import BACKENDS, PASSWORD, SIGNING_KEY, START, fresh_database, log_in, make_settings

BEFORE = 4  # the last schema version without recipients, passphrases and events
SHARE = [
    "INSERT INTO users(name, password_hash, created_at) VALUES (?, ?, 0)",
    """INSERT INTO shares(id, owner_id, label, note, default_ttl, created_at, expires_at,
           links_issued) VALUES ('old-share-id', 1, 'from before', 'old note', 3600, ?, ?, 2)""",
]


async def database_at_version_4(location: str, password_hash: str) -> None:
    values = [("user1", password_hash), (START, START + 3600)]
    if not is_postgres(location):
        with contextlib.closing(sqlite3.connect(location)) as conn:
            for _, statements in sqlite_schema()[:BEFORE]:
                for statement in statements:
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {BEFORE}")
            for sql, params in zip(SHARE, values, strict=True):
                conn.execute(sql, params)
            conn.commit()
        return
    conn = await asyncpg.connect(location)
    try:
        await conn.execute(
            "CREATE TABLE schema_migrations (version integer PRIMARY KEY,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        for number, statements in postgres_schema()[:BEFORE]:
            for statement in statements:
                await conn.execute(statement)
            await conn.execute("INSERT INTO schema_migrations(version) VALUES ($1)", number)
        for sql, params in zip(SHARE, values, strict=True):
            await conn.execute(postgres_sql(sql), *params)
    finally:
        await conn.close()


@pytest.fixture(params=BACKENDS)
def old_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with fresh_database(request, request.param, tmp_path, migrated=False) as location:
        yield location


async def test_links_and_shares_from_before_keep_working(tmp_path: Path, old_database: str) -> None:
    await database_at_version_4(old_database, await hash_password(PASSWORD))
    clock = FrozenClock(START)
    old_links = [
        LinkSigner((SIGNING_KEY,), max_ttl=30 * 86400, clock=clock).issue(
            "old-share-id", ttl=3600, generation=0
        )
        for _ in range(2)
    ]
    app = create_app(make_settings(tmp_path, database=old_database), clock)
    async with app.test_app():
        client: QuartClient = app.test_client()
        json = {"Accept": "application/json"}
        assert (await client.get("/connect/" + old_links[0], headers=json)).status_code == 200
        opened = await client.post("/connect/" + old_links[0], headers=json)
        assert (await opened.get_json())["note"] == "old note"
        services = services_of(app)
        owner = await user_by_name(services.db.reader, "user1")
        assert owner is not None
        more = await issue_links(services, owner, "old-share-id", 1, None)
        assert more is not None
        assert [link.number for link in more] == [1]  # the numbered ones follow the old two
        browser = await log_in(client)
        page = await (await browser.get("/shares/old-share-id")).get_data(as_text=True)
        assert "1 of 3 used" in page
        assert "links issued before links were numbered" in page
        assert page.count('<tr id="link-') == 1
