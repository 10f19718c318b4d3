"""Redemptions on PostgreSQL: one short transaction per claim, answering like the SQLite
group-commit writer does.

There is nothing to batch: PostgreSQL runs the transactions of every instance side by side,
redemptions of different shares never wait for each other, and the server already writes
the commits that arrive together with one WAL flush.
"""

from __future__ import annotations

from . import sealing, store
from .clock import Clock
from .database import Connection, Database
from .group_commit import Claim


class TransactionWriter:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self.transactions = 0  # committed claims, for tests and benchmarks
        self.claims = 0  # claims answered

    async def start(self) -> None:
        """Nothing to start: transactions take pooled connections."""

    async def stop(self) -> None:
        """Nothing to stop."""

    async def redeem(self, claim: Claim) -> store.Redemption:
        """Claim the link; returns once the transaction that decided it has committed."""
        self.claims += 1
        # Fast path for the many losers of a race and for replays: a ledger row, once there,
        # stays until its token can no longer verify, so reading it needs no lock. The INSERT
        # below still decides every case this read does not.
        entry = await store.ledger_entry(self._db.reader, claim.jti)
        if entry is not None:
            return store.Redemption(False, entry=entry)
        async with self._db.transaction() as conn:
            now = self._clock()
            target = await store.link_target(conn, claim.share_id, lock=True)
            if (
                target is None
                or not target.is_live_for(claim.generation)
                or not await store.claim(conn, claim.jti, claim.share_id, now=now, revoke=False)
            ):
                return store.Redemption(False, entry=await store.ledger_entry(conn, claim.jti))
            await store.count_use(conn, claim.share_id, revoked=False)
            seal_key = await self._keep_sealed_copy(conn, claim, target.note, now)
        self.transactions += 1
        await self._db.announce_change(target.owner_id)
        return store.Redemption(
            True, owner_name=target.owner_name, note=target.note, used_at=now, seal_key=seal_key
        )

    @staticmethod
    async def _keep_sealed_copy(
        conn: Connection, claim: Claim, note: str | None, now: float
    ) -> bytes | None:
        # In the claim's transaction, as the SQLite writer does: no copy outlives a claim
        # that did not commit.
        if claim.keep_for <= 0 or note is None:
            return None
        sealed = sealing.seal(note, claim.jti)
        await store.insert_reveal(conn, claim.jti, sealed.blob, until=now + claim.keep_for)
        return sealed.key
