"""The PostgreSQL backend: a pool of asyncpg connections shared by any number of instances.

Transactions run at PostgreSQL's default READ COMMITTED and concurrently, across this
process and every other instance; what must not interleave is serialized by the statements
themselves (the ledger's ``ON CONFLICT``, row locks), see ``queries``. Changes are announced
with NOTIFY just after the writing transaction commits, and heard by a listening connection
in every process (``notify``).
"""

from __future__ import annotations

import functools
import itertools
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from ..base import Connection, Database, Dialect, Migration, schema_versions
from ..changes import ChangeHub
from .notify import NotificationListener, announce

# Each serving process holds up to this many connections, plus one that listens.
POOL_SIZE = 10
# How oncelink's connections show in pg_stat_activity.
APPLICATION_NAME = "oncelink"
# Any constant will do, as long as only migrations take it: it makes them run one at a time.
MIGRATION_LOCK = 0x6F6E63656C696E6B  # "oncelink"

log = logging.getLogger(__name__)

_PLACEHOLDER_OR_STRING = re.compile(r"'(?:[^']|'')*'|\?")


@functools.lru_cache(maxsize=1024)
def postgres_sql(sql: str) -> str:
    """The queries' SQL with ``?`` placeholders numbered ``$1, $2, ...``; a ``?`` inside a
    quoted string literal stays as it is."""
    numbers = itertools.count(1)
    return _PLACEHOLDER_OR_STRING.sub(
        lambda found: f"${next(numbers)}" if found.group() == "?" else found.group(), sql
    )


@dataclass(frozen=True)
class Executed:
    rowcount: int


def _rowcount(status: str) -> int:
    """Rows changed, from a command tag such as ``UPDATE 3`` or ``INSERT 0 1``."""
    last = status.rpartition(" ")[2]
    return int(last) if last.isdigit() else -1


class PostgresConnection:
    """A connection, or the pool, behind the two calls the queries make."""

    dialect = Dialect.POSTGRESQL

    def __init__(
        self,
        target: asyncpg.Connection[Any] | PoolConnectionProxy[Any] | asyncpg.Pool[Any],
    ) -> None:
        # What runs a statement: a connection of the pool's, or the pool (any connection).
        self._target = target

    async def execute_fetchall(
        self, sql: str, parameters: Iterable[Any] | None = None
    ) -> list[asyncpg.Record]:
        return await self._target.fetch(postgres_sql(sql), *(parameters or ()))

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> Executed:
        return Executed(
            _rowcount(await self._target.execute(postgres_sql(sql), *(parameters or ())))
        )

    async def execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self._target.executemany(postgres_sql(sql), rows)


def schema() -> list[tuple[int, list[str]]]:
    """The numbered sections of this backend's schema.sql."""
    return schema_versions(files(__package__).joinpath("schema.sql").read_text(), "schema.sql")


async def migrate(conn: asyncpg.Connection[Any]) -> Migration:
    """Bring the schema up to date in one transaction (PostgreSQL's DDL is transactional),
    holding an advisory lock so that instances starting together migrate one after another.
    An instance finding the schema up to date takes no lock and changes nothing, so it may
    run as a role without rights to change the schema."""
    sections = schema()
    latest = sections[-1][0]
    current = await _recorded_version(conn)
    if current >= latest:
        return Migration(current, current)
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   version    integer PRIMARY KEY,
                   applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        before = after = await _recorded_version(conn)  # another instance may have been first
        for number, statements in sections:
            if number > before:
                for statement in statements:
                    await conn.execute(statement)
                await conn.execute("INSERT INTO schema_migrations(version) VALUES ($1)", number)
                after = number
    return Migration(before, after)


async def _recorded_version(conn: asyncpg.Connection[Any]) -> int:
    if not await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL"):
        return 0
    return int(await conn.fetchval("SELECT coalesce(max(version), 0) FROM schema_migrations"))


async def _nothing_to_reset(conn: asyncpg.Connection[Any]) -> None:
    """oncelink sets no session state, takes no session locks and listens on a connection
    of its own, so a connection going back to the pool needs no reset: asyncpg's default
    would cost a round trip (RESET ALL, UNLISTEN *, ...) every time. An open transaction is
    still rolled back by asyncpg itself."""


class PostgresDatabase(Database):
    """This process's pool of connections to one PostgreSQL database."""

    def __init__(self, url: str, *, pool_size: int = POOL_SIZE) -> None:
        self.url = url
        self.pool_size = pool_size
        self._pool: asyncpg.Pool[Any] | None = None
        self.changes = ChangeHub()
        self.changes.feed = NotificationListener(url, self.changes)

    async def open(self) -> None:
        await self.migrate()
        self._pool = await asyncpg.create_pool(
            self.url,
            min_size=1,
            max_size=self.pool_size,
            server_settings={"application_name": APPLICATION_NAME},
            reset=_nothing_to_reset,
        )
        self.changes.reopen()

    async def migrate(self) -> Migration:
        conn = await asyncpg.connect(self.url)
        try:
            return await migrate(conn)
        finally:
            await conn.close()

    async def close(self) -> None:
        await self.changes.close()
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def change_stamp(self, user_id: int) -> None:
        # None: a counter on the user's row, as SQLite keeps, would make every redemption of
        # the user's links, on every instance, queue on that one row.
        return None

    async def announce_change(self, user_id: int) -> None:
        # What changed is committed by now: a failed announcement must not turn the change
        # into an error, only delay live views until their next look.
        try:
            await announce(self.reader, user_id)
        except (OSError, asyncpg.PostgresError):
            log.warning("could not announce a change to live views", exc_info=True)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PostgresConnection]:
        async with self._open_pool().acquire() as conn, conn.transaction():
            yield PostgresConnection(conn)

    @asynccontextmanager
    async def sending(self) -> AsyncIterator[_Turn]:
        # Every process takes turns at once: SKIP LOCKED gives each rows of its own. A process
        # that dies mid-turn drops its connection, its transaction rolls back, and its rows
        # are free again at once.
        async with self.transaction() as conn:
            yield _Turn(conn)

    @property
    def reader(self) -> PostgresConnection:
        return PostgresConnection(self._open_pool())

    def _open_pool(self) -> asyncpg.Pool[Any]:
        if self._pool is None:
            raise RuntimeError("database is not open")
        return self._pool


@dataclass(frozen=True)
class _Turn:
    """A turn at the outbox: one transaction holds the rows read, and writes what was done."""

    conn: PostgresConnection

    async def write(self, step: Callable[[Connection], Awaitable[None]]) -> None:
        await step(self.conn)
