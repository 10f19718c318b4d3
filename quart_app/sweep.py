"""The sweep: what each serving process does now and then so that nothing outlives its use.

It erases notes no link can reach and the sealed copies kept for re-viewing notes and
requests' answers once their time is up, ends expired sessions, forgets invites whose links
expired, and prunes ledger rows (and passphrase attempts) no token can match any more, so the
ledger stays small whatever the traffic history. Audit events go ONCELINK_AUDIT_DAYS after
their share or request closed; the log of notification deliveries after a week. A share that
closes by running out with links nobody used is told to its owner (``share.expired``), in the
transaction that closes it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from . import notifications
from .notifications import Notice, NoticeType
from .services import Services
from .storage.base import Connection
from .storage.queries import attempts, events, invites, ledger, outbox, requests, reveals, sessions
from .storage.queries import shares as queries

# A ledger row may go once its token can no longer verify: MAX_TTL after use, and a margin.
PRUNE_MARGIN = 60
PRUNE_BATCH = 200
DAY = 24 * 3600
DELIVERY_LOG_DAYS = 7

Pruner = Callable[[Connection], Awaitable[int]]


@dataclass(frozen=True)
class SweepReport:
    notes_erased: int
    ledger_rows_pruned: int
    events_pruned: int = 0


async def sweep(services: Services) -> SweepReport:
    """One sweep. Deletes in small batches, each its own transaction, so redemptions never
    wait long."""
    async with services.db.sweeping():
        return await _sweep(services)


async def _sweep(services: Services) -> SweepReport:
    now = services.clock()
    async with services.db.transaction() as conn:
        closed = await queries.erase_spent_notes(conn, now=now)
        for share in closed:
            if share.expired_unopened:
                expired = Notice(NoticeType.SHARE_EXPIRED, share.expires_at, share.id)
                await notifications.enqueue(conn, expired, share.owner_id)
        await reveals.delete_expired_reveals(conn, now=now)
        await requests.delete_expired_reveals(conn, now=now)
        await sessions.delete_expired_sessions(conn, now=now)
        await invites.delete_expired_invites(conn, before=now - PRUNE_MARGIN)
    for owner_id in {share.owner_id for share in closed}:  # their dashboards show it
        await services.db.announce_change(owner_id)
    unverifiable = now - services.settings.max_ttl - PRUNE_MARGIN
    pruned = await _in_batches(
        services,
        lambda conn: ledger.prune_ledger(conn, before=unverifiable, batch=PRUNE_BATCH),
    )
    await _in_batches(
        services,
        lambda conn: attempts.prune_attempts(conn, before=unverifiable, batch=PRUNE_BATCH),
    )
    forgotten = now - services.settings.audit_days * DAY
    events_pruned = await _in_batches(
        services, lambda conn: events.prune_events(conn, before=forgotten, batch=PRUNE_BATCH)
    )
    events_pruned += await _in_batches(
        services,
        lambda conn: events.prune_request_events(conn, before=forgotten, batch=PRUNE_BATCH),
    )
    await _in_batches(
        services, lambda conn: outbox.prune_marks(conn, before=unverifiable, batch=PRUNE_BATCH)
    )
    log_start = now - DELIVERY_LOG_DAYS * DAY
    await _in_batches(
        services, lambda conn: outbox.prune_log(conn, before=log_start, batch=PRUNE_BATCH)
    )
    return SweepReport(len(closed), pruned, events_pruned)


async def _in_batches(services: Services, prune: Pruner) -> int:
    """Run ``prune`` in transactions of its own until it finds less than a batch to do."""
    pruned = 0
    while True:
        async with services.db.transaction() as conn:
            count = await prune(conn)
        pruned += count
        if count < PRUNE_BATCH:
            return pruned
