"""What every storage backend offers, whichever it is: SQLite for one machine, PostgreSQL for
several.

A ``Database`` is opened (which migrates), gives write transactions and a reader, and lets
live views watch a user's changes. A ``Connection`` offers the two calls the queries make,
with SQLite's ``?`` placeholders on every backend, and says which SQL dialect it speaks.
"""

from __future__ import annotations

import abc
import re
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol, TypeAlias, TypeVar

from .changes import ChangeHub, ChangeWatch


class Dialect(StrEnum):
    SQLITE = "sqlite"
    POSTGRESQL = "postgresql"


class Executed(Protocol):
    """What ``Connection.execute`` answers: how many rows the statement changed."""

    @property
    def rowcount(self) -> int: ...


class Connection(Protocol):
    """The calls the queries make."""

    @property
    def dialect(self) -> Dialect: ...

    async def execute_fetchall(
        self, sql: str, parameters: Iterable[Any] | None = None
    ) -> Iterable[Any]: ...

    def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> Awaitable[Executed]: ...

    async def execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """The statement once for each row of parameters, in one call to the driver."""


T = TypeVar("T")
# The statements that decide one claim of a link, run inside a write transaction at the
# time given: a redeemer (SQLite's group commit, PostgreSQL's transaction per claim) runs
# them and commits before it answers.
WriteStep: TypeAlias = Callable[[Connection, float], Coroutine[Any, Any, T]]


class Redeemer(Protocol):
    """Runs the steps that decide claims of links, each in a write transaction that is
    committed before the step's result is returned."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def redeem(self, step: WriteStep[T]) -> T: ...


class SendingTurn(Protocol):
    """One process's turn at the outbox. ``conn`` reads the notices due; on PostgreSQL it is
    the turn's transaction, which holds the rows it read (``FOR UPDATE SKIP LOCKED``) until
    the turn ends. ``write`` records what was done, committed by the end of the turn."""

    @property
    def conn(self) -> Connection: ...

    async def write(self, step: Callable[[Connection], Awaitable[None]]) -> None: ...


@dataclass(frozen=True)
class Migration:
    """Schema versions before and after a migration; equal when there was nothing to do."""

    before: int
    after: int


class Database(abc.ABC):
    """The process's way to the database; open in ``before_serving``, close after."""

    changes: ChangeHub
    # Whether ``announce_change`` does anything (SQLite's triggers announce by themselves):
    # callers that would look up whom to announce to may skip the lookup.
    announces = True

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

    @asynccontextmanager
    async def changing(self, user_id: int) -> AsyncIterator[Connection]:
        """A write transaction that changes the user's shares or requests; once it has
        committed, the user's live views hear of it, in every process."""
        async with self.transaction() as conn:
            yield conn
        await self.announce_change(user_id)

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

    @abc.abstractmethod
    def sending(self) -> AbstractAsyncContextManager[SendingTurn | None]:
        """A turn at delivering the outbox, or None when another process has it (SQLite:
        one process sends at a time; PostgreSQL: every process, each with rows of its own).
        A process that dies during its turn leaves its rows to the next turn."""

    def watch_changes(self, user_id: int) -> AbstractAsyncContextManager[ChangeWatch]:
        """Watch the user's shares from now on, in this process or any other.

        Open the watch *before* reading what to show, then ``await watch.wait(seconds)``
        for the next change: nothing that commits in between is missed."""
        return self.changes.watch(user_id)


_VERSION_MARK = re.compile(r"^-- version (\d+)\s*$", re.MULTILINE)


def schema_versions(text: str, name: str) -> list[tuple[int, list[str]]]:
    """A schema file's text cut into its numbered sections, each a list of statements.
    Each ``-- version N`` section migrates a database from version N-1 to N."""
    marks = list(_VERSION_MARK.finditer(text))
    sections = []
    for mark, following in zip(marks, [*marks[1:], None], strict=True):
        body = text[mark.end() : following.start() if following else len(text)]
        lines = [line for line in body.splitlines() if not line.lstrip().startswith("--")]
        sections.append((int(mark.group(1)), _statements(name, lines)))
    return sections


def _statements(name: str, lines: list[str]) -> list[str]:
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
        raise ValueError(f"{name} ends inside a statement: {pending.strip()[:60]!r}")
    return statements
