"""Redemptions on PostgreSQL: one short transaction per claim.

There is nothing to batch: PostgreSQL runs the transactions of every instance side by side,
redemptions of different shares never wait for each other, and the server already writes
the commits that arrive together with one WAL flush.
"""

from __future__ import annotations

from typing import TypeVar

from ...clock import Clock
from ..base import Database, WriteStep

T = TypeVar("T")


class TransactionPerClaim:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def start(self) -> None:
        """Nothing to start: transactions take pooled connections."""

    async def stop(self) -> None:
        """Nothing to stop."""

    async def redeem(self, step: WriteStep[T]) -> T:
        """Run the step in a transaction of its own; returns once it has committed."""
        async with self._db.transaction() as conn:
            return await step(conn, self._clock())
