"""Shared fixtures: an app on a real database, a frozen clock, clients.

Every test that uses the ``database`` fixture (and so ``settings``, ``app``, ``client``,
``services``) runs twice: on a SQLite file in tmp_path, and on an emptied schema of a
throwaway PostgreSQL server that the session starts once (servers and module-wide apps get
schemas of their own). ``-k sqlite`` or ``-k postgresql`` picks one.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import re
import sqlite3
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
import pytest
import pytest_asyncio
import redis
from argon2 import PasswordHasher
from hypothesis import settings as hypothesis_settings
from playwright.async_api import Browser as Chromium
from playwright.async_api import async_playwright
from quart import Quart
from quart.testing import QuartClient
from quart.wrappers import Response as TestResponse

from quart_app import accounts, create_app, passphrases
from quart_app.accounts import NewUser, add_user
from quart_app.api_tokens import create_api_token
from quart_app.clock import FrozenClock
from quart_app.config import Settings
from quart_app.links.redemption import redeem_link
from quart_app.secret_requests.asking import Ask
from quart_app.secret_requests.managing import CreatedRequest, create_request
from quart_app.services import Services
from quart_app.share_requests import ShareRequest
from quart_app.shares import CreatedShare, create_share
from quart_app.storage.opener import database_for, is_postgres
from quart_app.storage.postgres.backend import postgres_sql
from quart_app.storage.queries.users import User, user_by_name
from quart_app.web.context import services_of

from .apiclient import ApiClient
from .browsing import CHROMIUM, CHROMIUM_ARGS, Problems
from .servers import PostgresServer, postgres_server, redis_server

if TYPE_CHECKING:
    from .receivers import WebhookReceiver

BASE_URL = "http://oncelink.test"
SIGNING_KEY = "test-signing-key-0123456789abcdefghijkl"
PASSWORD = "correct horse battery"
START = 1_800_000_000.0
BACKENDS = ("sqlite", "postgresql")

# Property tests stay quick by default; HYPOTHESIS_PROFILE=thorough digs deeper.
hypothesis_settings.register_profile("quick", max_examples=60, deadline=None)
hypothesis_settings.register_profile("thorough", max_examples=1000, deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "quick"))


def make_settings(tmp_path: Path, **changes: Any) -> Settings:
    settings = Settings(
        instance=tmp_path,
        database=str(tmp_path / "oncelink.sqlite3"),
        base_url=BASE_URL,
        signing_keys=(SIGNING_KEY,),
        secret_key="test-secret-key-0123456789abcdefghijkl",
        note_keys=("test-note-key-0123456789abcdefghijklmn",),
        sweep_interval=0,
        send_interval=0,
    )
    return replace(settings, **changes)


@pytest.fixture(scope="session", autouse=True)
def light_password_hashing() -> Iterator[None]:
    """argon2id at its real cost takes a tenth of a second or more per hash, which was most
    of the suite's time. Apps in this process hash (and derive passphrases' keys) with the
    same algorithm at its lowest cost; servers and commands run as subprocesses keep the
    real one."""
    real = accounts._hasher, passphrases.KDF
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
    passphrases.KDF = passphrases.KdfParams(time_cost=1, memory_kib=8 * 1024, parallelism=1)
    yield
    accounts._hasher, passphrases.KDF = real


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the whole session."""
    with postgres_server() as server:
        yield server


@pytest.fixture(scope="session")
def redis_server_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.fixture
def redis_url(redis_server_url: str) -> str:
    """A Redis with nothing in it: what one test counted does not limit the next."""
    with contextlib.closing(redis.Redis.from_url(redis_server_url)) as client:
        client.flushdb()
    return redis_server_url


def migrate(location: str) -> None:
    # On a thread of its own: this thread's event loop belongs to pytest-asyncio.
    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, database_for(location).migrate()).result()


@contextlib.contextmanager
def fresh_database(
    request: pytest.FixtureRequest, backend: str, folder: Path, *, migrated: bool = True
) -> Iterator[str]:
    """ONCELINK_DATABASE for a new database of the backend, without data. PostgreSQL's is
    ``migrated`` already; SQLite's file does not exist yet."""
    if backend == "sqlite":
        yield str(folder / "oncelink.sqlite3")
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    with server.schema() as url:
        if migrated:
            migrate(url)
        yield url


@pytest.fixture(scope="session")
def postgres_scratch(postgres: PostgresServer) -> Iterator[str]:
    """A migrated schema that tests take turns on, emptied before each one."""
    with postgres.schema() as url:
        migrate(url)
        yield url


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database without data, of either backend, for one test."""
    if request.param == "sqlite":
        return str(tmp_path / "oncelink.sqlite3")
    url: str = request.getfixturevalue("postgres_scratch")
    request.getfixturevalue("postgres").empty(url)
    return url


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database no oncelink has touched yet."""
    with fresh_database(request, request.param, tmp_path, migrated=False) as location:
        yield location


async def query_directly(location: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Rows read on a connection of the test's own, as someone with the disk would see
    them; SQL with ``?`` placeholders."""
    if not is_postgres(location):
        with contextlib.closing(sqlite3.connect(location)) as conn:
            return conn.execute(sql, params).fetchall()
    conn = await asyncpg.connect(location)
    try:
        return [tuple(row) for row in await conn.fetch(postgres_sql(sql), *params)]
    finally:
        await conn.close()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def settings(tmp_path: Path, database: str, request: pytest.FixtureRequest) -> Settings:
    """A test marked ``private`` (or in a module so marked) may post webhooks to this machine."""
    private = request.node.get_closest_marker("private") is not None
    return make_settings(tmp_path, database=database, webhook_allow_private=private)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    """A webhook receiver on this machine, for the test."""
    from .receivers import webhook_receiver  # it needs .live, which needs this module

    with webhook_receiver() as receiver:
        yield receiver


@pytest.fixture
async def app(settings: Settings, clock: FrozenClock) -> AsyncIterator[Quart]:
    app = create_app(settings, clock)
    async with app.test_app():
        yield app


@pytest.fixture
def services(app: Quart) -> Services:
    return services_of(app)


@pytest.fixture
def client(app: Quart) -> QuartClient:
    return app.test_client()


async def make_user(services: Services, name: str = "user1", *, admin: bool = False) -> User:
    await add_user(services, NewUser(name, PASSWORD), is_admin=admin)
    user = await user_by_name(services.db.reader, name)
    assert user is not None
    return user


@pytest.fixture
async def user(services: Services) -> User:
    return await make_user(services)


async def share_for(
    services: Services,
    owner: User,
    note: str = "the wifi password is hunter2",
    links: int = 1,
    ttl: int = 3600,
    *,
    recipients: list[str] | None = None,
    passphrase: str | None = None,
) -> CreatedShare:
    if recipients is not None:
        request = ShareRequest.for_recipients(note, "", ttl, recipients, passphrase)
    else:
        request = ShareRequest(note, "", ttl, links, None, passphrase)
    return await create_share(services, owner, request)


async def used_link(services: Services) -> str:
    """A live link that has been used: it passes the signature check, so the limiter sees it.
    (Dead links are refused before any limiter: refusing costs less than counting.)"""
    owner = await user_by_name(services.db.reader, "user1") or await make_user(services)
    path = "/connect/" + token_of((await share_for(services, owner)).links[0].url)
    await redeem_link(services, path.removeprefix("/connect/"))
    return path


def token_of(url: str) -> str:
    return url.rsplit("/connect/", 1)[1]


async def ask_for(
    services: Services,
    owner: User,
    label: str = "staging database password",
    *,
    instructions: str = "",
    ttl: int = 3600,
    passphrase: str | None = None,
) -> CreatedRequest:
    """A request for a secret, made by ``owner``."""
    made = await create_request(services, owner, Ask(label, instructions, ttl, passphrase))
    assert isinstance(made, CreatedRequest)
    return made


def send_path(url: str) -> str:
    """A request link's path, as the app is asked for it."""
    return "/send/" + url.rsplit("/send/", 1)[1]


class Browser:
    """A logged-in test client that sends the CSRF token like the pages do."""

    def __init__(self, client: QuartClient, csrf: str) -> None:
        self.client = client
        self.csrf = csrf

    async def get(self, path: str, **kwargs: Any) -> TestResponse:
        return await self.client.get(path, **kwargs)

    async def post(
        self, path: str, form: dict[str, str] | None = None, **kwargs: Any
    ) -> TestResponse:
        return await self.client.post(path, form={"csrf": self.csrf, **(form or {})}, **kwargs)


async def log_in(client: QuartClient, name: str = "user1") -> Browser:
    response = await client.post("/login", form={"name": name, "password": PASSWORD})
    assert response.status_code == 303
    page = await (await client.get("/")).get_data(as_text=True)
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert match is not None
    return Browser(client, match.group(1))


@pytest.fixture
async def browser(client: QuartClient, user: User) -> Browser:
    return await log_in(client)


@pytest.fixture
async def api(client: QuartClient, services: Services, user: User) -> ApiClient:
    """The JSON API as user1's script sees it, with a fresh API token."""
    return ApiClient(client, await create_api_token(services, user.id, "tests"))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def chromium() -> AsyncIterator[Chromium]:
    """The system's Chromium, for the browser tests of one module."""
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: `make test` installs it"
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield browser
        await browser.close()


@pytest.fixture
def problems() -> Iterator[Problems]:
    """What went wrong in the test's pages; the test fails if anything did."""
    found = Problems()
    yield found
    assert found.seen == []
