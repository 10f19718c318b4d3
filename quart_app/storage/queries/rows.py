"""Reading rows: the first row of a query, whatever the backend's row type."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..base import Connection


async def first_row(conn: Connection, sql: str, params: Sequence[Any] = ()) -> Any:
    """The first row the query returns, or None."""
    rows = await conn.execute_fetchall(sql, params)
    return next(iter(rows), None)
