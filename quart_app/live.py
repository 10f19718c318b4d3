"""Telling open dashboards that their shares changed, whichever process changed them.

Serving processes share nothing but the SQLite file. Triggers count every change to a user's
shares in ``users.changes``; one task per process reads the counters of the users who have a
dashboard open, every ``POLL_INTERVAL``, and wakes the streams of those whose counter moved.
One small query per process and interval, however many dashboards are open.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from . import store
from .database import Database

POLL_INTERVAL = 0.5

log = logging.getLogger(__name__)


@dataclass
class _Watched:
    streams: int = 0
    counter: int | None = None  # None until the first poll after the first stream opened
    moved: asyncio.Event = field(default_factory=asyncio.Event)


class ChangeFeed:
    """Per-process hub between the database's change counters and the open live streams."""

    def __init__(self, db: Database, *, interval: float = POLL_INTERVAL) -> None:
        self._db = db
        self._interval = interval
        self._watched: dict[int, _Watched] = {}
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._poll_forever())

    async def stop(self) -> None:
        """End every stream's wait at once and stop polling; safe to call twice."""
        self._stopping.set()
        for watched in self._watched.values():
            watched.moved.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def counter_of(self, user_id: int) -> int:
        """The user's change counter now, read from the database."""
        return (await store.change_counters(self._db.reader, [user_id])).get(user_id, 0)

    @contextlib.asynccontextmanager
    async def watching(self, user_id: int) -> AsyncIterator[None]:
        """Keep the user's counter polled while the block runs."""
        watched = self._watched.setdefault(user_id, _Watched())
        watched.streams += 1
        try:
            yield
        finally:
            watched.streams -= 1
            if watched.streams == 0:
                del self._watched[user_id]

    async def next_change(self, user_id: int, since: int | None, *, within: float) -> int | None:
        """The user's counter once it differs from ``since``; None if that takes longer than
        ``within`` seconds, or on shutdown.

        Call inside ``watching(user_id)``."""
        watched = self._watched[user_id]
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                while not self.stopping:
                    if watched.counter is not None and watched.counter != since:
                        return watched.counter
                    await watched.moved.wait()
        return None

    async def _poll_forever(self) -> None:
        while not self.stopping:
            try:
                await self._poll()
            except Exception:
                # A busy or briefly unreadable database must not end live updates for good.
                log.exception("reading change counters failed")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._interval):
                    await self._stopping.wait()

    async def _poll(self) -> None:
        if not self._watched:
            return
        counters = await store.change_counters(self._db.reader, list(self._watched))
        for user_id, counter in counters.items():
            watched = self._watched.get(user_id)
            if watched is not None and watched.counter != counter:
                watched.counter = counter
                watched.moved.set()
                watched.moved = asyncio.Event()
