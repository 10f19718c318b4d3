"""The audit trail of links and of requests for secrets: what happened to each, when, and
seen from what address by what user agent. It outlives the notes and answers; it never holds
a token, a note, an answer or a passphrase.

``record`` is the one way an event is written, inside the transaction of whatever it
reports (a grant in its claim's, a revocation in its own). Views and refusals, which come in
floods and need no transaction of their own, go through an ``EventBuffer`` that writes them
a second later, in batches, folded.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import logging
from dataclasses import dataclass, replace

from .background import stop_task
from .bots import bot_named_in
from .notifications.outbox import enqueue_events
from .storage.base import Connection, Database
from .storage.queries import events, requests, shares
from .storage.queries.events import FOLD_SECONDS, NO_LINK, EventKind, NewEvent

AGENT_CHARS = 256
# Prefixes kept of an address under ONCELINK_AUDIT_ADDRESSES=truncated: its network.
TRUNCATED_PREFIX = {4: 24, 6: 48}
FLUSH_SECONDS = 1.0
FLUSH_BATCH = 250  # events per transaction: the write lock is held a few milliseconds
MAX_PENDING = 10_000  # distinct rows waiting; past it, more views are counted into none

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Visitor:
    """Who is at a link, as much of it as the audit trail keeps."""

    address: str | None = None
    user_agent: str | None = None
    bot: str = ""  # the previewer or scanner it is; "" for people

    def event(self, share_id: str, link: int, kind: EventKind, at: float) -> NewEvent:
        return NewEvent(share_id, link, kind, at, self.address, self.user_agent, self.bot)

    def request_event(self, request_id: str, kind: EventKind, at: float) -> NewEvent:
        """An event about a request for a secret rather than a share's link."""
        address, agent = self.address, self.user_agent
        return NewEvent(None, NO_LINK, kind, at, address, agent, self.bot, request_id=request_id)


# Most requests come from a few clients: each is worked out once (a miss costs ~15 µs).
@functools.lru_cache(maxsize=1024)
def visitor(address: str, user_agent: str, keep_addresses: str) -> Visitor:
    """The visitor as the audit trail may keep it, under ONCELINK_AUDIT_ADDRESSES."""
    head = user_agent[:AGENT_CHARS]
    agent = head if head.isprintable() else "".join(c for c in head if c.isprintable())
    return Visitor(kept_address(address, keep_addresses), agent or None, bot_named_in(user_agent))


def kept_address(address: str, keep: str) -> str | None:
    """``full``: the address; ``truncated``: its /24 (IPv4) or /48 (IPv6); ``off``: None."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if keep == "full":
        return str(ip)
    if keep == "truncated":
        prefix = TRUNCATED_PREFIX[ip.version]
        return str(ipaddress.ip_network((ip, prefix), strict=False))
    return None


async def record(conn: Connection, *new: NewEvent) -> None:
    """Write events, in the caller's transaction. Everything that must happen along with an
    event belongs here, so that it happens for every event, atomically with it: so the
    notices the events call for go into the outbox here."""
    await events.insert_events(conn, new)
    await enqueue_events(conn, new)


_Key = tuple[str | None, str | None, int, EventKind, str, int]


class EventBuffer:
    """Events written after the answer: added in O(1), written every second in batches,
    and the rest when the process stops cleanly. Repeats that the audit trail would fold
    into one row anyway are folded here already."""

    def __init__(self, db: Database, interval: float = FLUSH_SECONDS) -> None:
        self._db = db
        self._interval = interval
        self._pending: dict[_Key, NewEvent] = {}
        self._dropped = 0
        self._task: asyncio.Task[None] | None = None
        # A reader that flushes to see what this process saw waits for a flush under way.
        self._flushing = asyncio.Lock()

    def add(self, event: NewEvent) -> None:
        minute = int(event.at // FOLD_SECONDS)
        key = (event.share_id, event.request_id, event.link, event.kind, event.bot, minute)
        earlier = self._pending.get(key)
        if earlier is not None:
            last_at = event.at if event.last_at is None else event.last_at
            self._pending[key] = replace(
                earlier, count=earlier.count + event.count, last_at=last_at
            )
        elif len(self._pending) < MAX_PENDING:
            self._pending[key] = event
        else:
            self._dropped += event.count

    async def start(self) -> None:
        self._task = asyncio.create_task(self._flush_forever())

    async def stop(self) -> None:
        """Stop flushing in the background, and write what is left."""
        if self._task is not None:
            await stop_task(self._task)
            self._task = None
        await self.flush()

    async def flush(self) -> None:
        """Write every event added so far."""
        async with self._flushing:
            pending, self._pending = list(self._pending.values()), {}
            await self._write(pending)
        if self._dropped:
            log.warning("audit trail: %d views over the buffer's limit not kept", self._dropped)
            self._dropped = 0
        if pending and self._db.announces:
            await self._announce(pending)

    async def _announce(self, written: list[NewEvent]) -> None:
        """Tell the live views of the owners of what these events are about."""
        reader = self._db.reader
        share_ids = {event.share_id for event in written if event.share_id is not None}
        request_ids = {event.request_id for event in written if event.request_id is not None}
        owners = await shares.owners_of(reader, share_ids)
        owners |= await requests.owners_of(reader, request_ids)
        for owner_id in owners:
            await self._db.announce_change(owner_id)

    async def _write(self, pending: list[NewEvent]) -> None:
        for start in range(0, len(pending), FLUSH_BATCH):
            try:
                async with self._db.transaction() as conn:
                    await record(conn, *pending[start : start + FLUSH_BATCH])
            except BaseException:
                for event in pending[start:]:  # rolled back: kept for the next flush
                    self.add(event)
                raise

    async def _flush_forever(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.flush()
            except Exception:
                # Kept for the next turn; nothing in them is a secret, so the traceback is
                # safe to log.
                log.exception("writing the audit trail failed")
