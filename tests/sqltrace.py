"""Recording the SQL that a piece of code runs, on every connection the app uses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from quart_app.services import Services


@asynccontextmanager
async def recorded_sql(services: Services) -> AsyncIterator[list[str]]:
    """Statements run on the reader and writer connections while the block runs, with their
    values filled in. The group commit's transactions are recorded as "<group commit>"."""
    statements: list[str] = []
    connections = [services.db.reader, services.db._writer]
    for conn in connections:
        assert conn is not None
        await conn.raw.set_trace_callback(statements.append)
    group_commit = services.redeemer._conn
    assert group_commit is not None
    group_commit.raw.set_trace_callback(
        lambda sql: statements.append("<group commit>") if sql == "COMMIT" else None
    )
    try:
        yield statements
    finally:
        for conn in connections:
            assert conn is not None
            await conn.raw.set_trace_callback(None)
        group_commit.raw.set_trace_callback(None)
