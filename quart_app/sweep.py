"""The sweep: what each serving process does now and then so that nothing outlives its use.

It erases notes no link can reach and the sealed copies kept for re-viewing once their time
is up, ends expired sessions, forgets invites whose links expired, and prunes ledger rows no
token can match any more, so the ledger stays small whatever the traffic history.
"""

from __future__ import annotations

from dataclasses import dataclass

from .services import Services
from .storage.queries import invites, ledger, reveals, sessions
from .storage.queries import shares as queries

# A ledger row may go once its token can no longer verify: MAX_TTL after use, and a margin.
PRUNE_MARGIN = 60
PRUNE_BATCH = 200


@dataclass(frozen=True)
class SweepReport:
    notes_erased: int
    ledger_rows_pruned: int


async def sweep(services: Services) -> SweepReport:
    """One sweep. Deletes in small batches, each its own transaction, so redemptions never
    wait long."""
    async with services.db.sweeping():
        return await _sweep(services)


async def _sweep(services: Services) -> SweepReport:
    now = services.clock()
    async with services.db.transaction() as conn:
        owners = await queries.erase_spent_notes(conn, now=now)
        await reveals.delete_expired_reveals(conn, now=now)
        await sessions.delete_expired_sessions(conn, now=now)
        await invites.delete_expired_invites(conn, before=now - PRUNE_MARGIN)
    for owner_id in set(owners):  # their dashboards show which notes are gone
        await services.db.announce_change(owner_id)
    pruned, before = 0, now - services.settings.max_ttl - PRUNE_MARGIN
    while True:
        async with services.db.transaction() as conn:
            count = await ledger.prune_ledger(conn, before=before, batch=PRUNE_BATCH)
        pruned += count
        if count < PRUNE_BATCH:
            return SweepReport(len(owners), pruned)
