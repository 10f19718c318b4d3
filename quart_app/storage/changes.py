"""Telling whoever watches a user (a live dashboard) that the user's shares changed,
whichever process or instance changed them.

A ``ChangeHub`` keeps this process's watches. A backend's feed tells it whose shares
changed: PostgreSQL's LISTEN/NOTIFY names the user; SQLite's feed polls the per-user change
counters that triggers keep. Either way a wakeup says "may have changed": watchers re-read
what they show.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Protocol


class ChangeFeed(Protocol):
    """Where a backend's change events come from."""

    async def keep_running(self) -> None:
        """Start the feed, or restart it if it stopped; cheap when it runs."""

    async def stop(self) -> None: ...


class ChangeWatch:
    """One open interest in one user's changes, such as one live dashboard stream."""

    def __init__(self, hub: ChangeHub, user_id: int) -> None:
        self.user_id = user_id
        self._hub = hub
        self._changed = asyncio.Event()

    @property
    def closed(self) -> bool:
        """True once the database closed: stop waiting, the process is shutting down."""
        return self._hub.closed

    def _wake(self) -> None:
        self._changed.set()

    async def wait(self, within: float) -> bool:
        """True once something of the user's changed since the watch opened or since the
        last True; False after ``within`` seconds without a change, or once closed."""
        await self._hub.keep_feed_running()
        if not self.closed:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(within):
                    await self._changed.wait()
        if self.closed or not self._changed.is_set():
            return False
        self._changed.clear()
        return True


class ChangeHub:
    """This process's watches, by user."""

    def __init__(self) -> None:
        self.feed: ChangeFeed | None = None
        self.closed = False
        self._watches: dict[int, set[ChangeWatch]] = {}

    @property
    def watched_users(self) -> frozenset[int]:
        return frozenset(self._watches)

    @contextlib.asynccontextmanager
    async def watch(self, user_id: int) -> AsyncIterator[ChangeWatch]:
        """A watch on the user for the block; the feed is running when it is handed out."""
        watch = ChangeWatch(self, user_id)
        self._watches.setdefault(user_id, set()).add(watch)
        try:
            await self.keep_feed_running()
            yield watch
        finally:
            watches = self._watches.get(user_id, set())
            watches.discard(watch)
            if not watches:
                self._watches.pop(user_id, None)

    async def keep_feed_running(self) -> None:
        if self.feed is not None and not self.closed:
            await self.feed.keep_running()

    def changed(self, user_id: int) -> None:
        for watch in self._watches.get(user_id, ()):
            watch._wake()

    def changed_everything(self) -> None:
        """Wake every watch: something changed, or changes may have been missed."""
        for watches in self._watches.values():
            for watch in watches:
                watch._wake()

    def reopen(self) -> None:
        self.closed = False

    async def close(self) -> None:
        """End every wait at once (a server stopping must not wait for open streams)."""
        self.closed = True
        self.changed_everything()
        if self.feed is not None:
            await self.feed.stop()
