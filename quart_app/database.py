"""The database, whichever backend holds it: SQLite for one machine, PostgreSQL for several.

``database_for(location)`` picks the backend from ``ONCELINK_DATABASE``: a
``postgresql://`` URL means PostgreSQL, a path or ``sqlite:///path`` means SQLite. Every
backend has the same shape: ``open()`` (which migrates), ``close()``, ``transaction()``
yielding the connection of one write transaction, ``reader`` for reads outside one, and
``watch_changes(user_id)`` for live updates. Connections offer the two calls that
``store`` makes, with SQLite's ``?`` placeholders on every backend.
"""

from __future__ import annotations

import abc
import re
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any, Protocol

from .changes import ChangeHub, ChangeWatch

POSTGRES_SCHEMES = ("postgresql://", "postgres://")
SQLITE_SCHEME = "sqlite:///"


class Executed(Protocol):
    """What ``Connection.execute`` answers: how many rows the statement changed."""

    @property
    def rowcount(self) -> int: ...


class Connection(Protocol):
    """The calls ``store`` makes. aiosqlite's connection is one as it is."""

    async def execute_fetchall(
        self, sql: str, parameters: Iterable[Any] | None = None
    ) -> Iterable[Any]: ...

    def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> Awaitable[Executed]: ...


@dataclass(frozen=True)
class Migration:
    """Schema versions before and after a migration; equal when there was nothing to do."""

    before: int
    after: int


class Database(abc.ABC):
    """The process's way to the database; open in ``before_serving``, close after."""

    changes: ChangeHub

    @abc.abstractmethod
    async def open(self) -> None:
        """Connect, and bring the schema up to date."""

    @abc.abstractmethod
    async def close(self) -> None: ...

    @abc.abstractmethod
    async def migrate(self) -> Migration:
        """Apply the schema versions the database lacks; safe when processes race to."""

    @abc.abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Connection]:
        """One write transaction: committed if the block returns, rolled back if it raises."""

    @property
    @abc.abstractmethod
    def reader(self) -> Connection:
        """For reads outside a transaction; each statement sees committed data."""

    @abc.abstractmethod
    async def change_stamp(self, user_id: int) -> int | None:
        """A number that moves whenever the user's shares change, so that a live view which
        reconnects is sent its list again only if it changed meanwhile; None where the
        backend keeps none."""

    @abc.abstractmethod
    async def announce_change(self, user_id: int) -> None:
        """Tell the watches of every process that the user's shares changed; call it after
        the transaction that changed them committed. A no-op where the database notices
        changes by itself (SQLite's triggers)."""

    @asynccontextmanager
    async def sweeping(self) -> AsyncIterator[None]:
        """Held around a sweep: one process sweeps at a time where that matters (SQLite's
        checkpointer holds back while a sweep's bulk deletes run)."""
        yield

    def watch_changes(self, user_id: int) -> AbstractAsyncContextManager[ChangeWatch]:
        """Watch the user's shares from now on, in this process or any other.

        Open the watch *before* reading what to show, then ``await watch.wait(seconds)``
        for the next change: nothing that commits in between is missed."""
        return self.changes.watch(user_id)

    async def wait_for_change(self, user_id: int, within: float) -> bool:
        """True once something of the user's changes within ``within`` seconds."""
        async with self.watch_changes(user_id) as watch:
            return await watch.wait(within)


def is_postgres(location: str | Path) -> bool:
    return str(location).startswith(POSTGRES_SCHEMES)


def sqlite_path(location: str | Path) -> Path:
    """The file of a SQLite location: a path, or a ``sqlite:///`` URL of one."""
    text = str(location)
    return Path(text[len(SQLITE_SCHEME) - 1 :] if text.startswith(SQLITE_SCHEME) else text)


def database_for(location: str | Path) -> Database:
    """The backend for ``ONCELINK_DATABASE``; nothing is opened yet."""
    # Imported here: the backends' modules import this one.
    if is_postgres(location):
        from .postgres_database import PostgresDatabase

        return PostgresDatabase(str(location))
    from .sqlite_database import SqliteDatabase

    return SqliteDatabase(sqlite_path(location))


_VERSION_MARK = re.compile(r"^-- version (\d+)\s*$", re.MULTILINE)


def schema_versions(schema: str) -> list[tuple[int, list[str]]]:
    """A schema file of the package cut into its numbered sections, each a list of
    statements. Each ``-- version N`` section migrates a database from version N-1 to N."""
    text = files("quart_app").joinpath(schema).read_text()
    marks = list(_VERSION_MARK.finditer(text))
    sections = []
    for mark, following in zip(marks, [*marks[1:], None], strict=True):
        body = text[mark.end() : following.start() if following else len(text)]
        lines = [line for line in body.splitlines() if not line.lstrip().startswith("--")]
        sections.append((int(mark.group(1)), _statements(schema, lines)))
    return sections


def _statements(schema: str, lines: list[str]) -> list[str]:
    """Whole statements, so that a trigger's ``BEGIN ...; ...; END;`` stays in one piece.

    SQLite's tokenizer finds the ends; it knows quotes and trigger bodies, which is all
    either schema uses (PostgreSQL's ``$$`` bodies would need a splitter of their own)."""
    statements: list[str] = []
    pending = ""
    for line in lines:
        pending += line + "\n"
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    if pending.strip():
        raise ValueError(f"{schema} ends inside a statement: {pending.strip()[:60]!r}")
    return statements
