"""SQLite's change feed for live views.

Triggers count every change to a user's shares in ``users.changes``, whichever process
wrote; each process reads the counters of the users watched in it, one small query per
interval, and wakes the watches of those whose counter moved. It polls only while some
watch is open.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable

from ...background import stop_task
from ..base import Connection
from ..changes import ChangeHub
from ..queries.users import change_counters

# How often open live views look for commits made by other processes.
CHANGE_POLL_INTERVAL = 0.5

log = logging.getLogger(__name__)


class CounterPoller:
    def __init__(
        self,
        hub: ChangeHub,
        reader: Callable[[], Connection],
        interval: float = CHANGE_POLL_INTERVAL,
    ) -> None:
        self._hub = hub
        self._reader = reader
        self.interval = interval
        self._seen: dict[int, int] = {}
        self._task: asyncio.Task[None] | None = None

    async def keep_running(self) -> None:
        # A user watched for the first time gets a baseline now, before the watch is handed
        # out: a change committed between then and the next poll still moves past it.
        new = [user_id for user_id in self._hub.watched_users if user_id not in self._seen]
        if new:
            for user_id, counter in (await change_counters(self._reader(), new)).items():
                self._seen.setdefault(user_id, counter)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._poll())

    async def stop(self) -> None:
        if self._task is not None:
            await stop_task(self._task)
            self._task = None
        self._seen.clear()

    async def _poll(self) -> None:
        hub = self._hub
        while watched := hub.watched_users:
            await asyncio.sleep(self.interval)
            try:
                counters = await change_counters(self._reader(), sorted(watched))
            except (sqlite3.Error, RuntimeError):
                # Busy, or closing: the watches time out and look again by themselves.
                log.warning("polling for changes failed", exc_info=True)
                continue
            for user_id, counter in counters.items():
                if self._seen.get(user_id, counter) != counter:
                    hub.changed(user_id)
                self._seen[user_id] = counter
            for user_id in self._seen.keys() - hub.watched_users:
                del self._seen[user_id]
