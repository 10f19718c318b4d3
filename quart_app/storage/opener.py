"""Opening storage for ``ONCELINK_DATABASE``: the one place that names a backend.

A ``postgresql://`` URL means PostgreSQL, a path or ``sqlite:///path`` means SQLite. Each
backend comes with the redeemer that suits it: SQLite takes one writer at a time, so claims
share transactions (group commit); PostgreSQL runs transactions side by side and groups
their commits itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..clock import Clock
from .base import Database, Redeemer
from .postgres.backend import PostgresDatabase
from .postgres.redeemer import TransactionPerClaim
from .sqlite.backend import SqliteDatabase
from .sqlite.group_commit import GroupCommit

POSTGRES_SCHEMES = ("postgresql://", "postgres://")
SQLITE_SCHEME = "sqlite:///"


@dataclass(frozen=True)
class Storage:
    db: Database
    redeemer: Redeemer


def is_postgres(location: str | Path) -> bool:
    return str(location).startswith(POSTGRES_SCHEMES)


def sqlite_path(location: str | Path) -> Path:
    """The file of a SQLite location: a path, or a ``sqlite:///`` URL of one."""
    text = str(location)
    return Path(text[len(SQLITE_SCHEME) - 1 :] if text.startswith(SQLITE_SCHEME) else text)


def database_for(location: str | Path) -> Database:
    """The backend for ``ONCELINK_DATABASE``; nothing is opened yet."""
    if is_postgres(location):
        return PostgresDatabase(str(location))
    return SqliteDatabase(sqlite_path(location))


def storage_for(location: str | Path, clock: Clock) -> Storage:
    """The database and its redeemer; nothing is opened or started yet."""
    db = database_for(location)
    if isinstance(db, SqliteDatabase):
        return Storage(db, GroupCommit(db.path, clock))
    return Storage(db, TransactionPerClaim(db, clock))
