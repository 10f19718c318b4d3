"""Live views across instances: NOTIFY after a transaction that changed a user's shares,
and one connection per process that LISTENs and wakes the watches of this process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import asyncpg

from ..base import Connection
from ..changes import ChangeHub

CHANGES_CHANNEL = "oncelink_changes"
# How the listening connections show in pg_stat_activity.
LISTENER_NAME = "oncelink changes"

log = logging.getLogger(__name__)


async def announce(conn: Connection, user_id: int) -> None:
    """Wake the user's live views, in every instance. Call it once the change committed,
    outside the transaction: a transaction that notifies holds a database-wide lock through
    its commit, which would queue every redemption's commit behind the last."""
    await conn.execute("SELECT pg_notify(?, ?)", (CHANGES_CHANNEL, str(user_id)))


class NotificationListener:
    """PostgreSQL's change feed: one connection per process that LISTENs, and hands each
    notification's user id to the hub. Connects when the first watch opens; after losing
    the connection it wakes every watch (changes may have been missed), connects again on
    the next wait, and once connected wakes them all again (changes made while nobody
    listened were missed)."""

    def __init__(self, url: str, hub: ChangeHub) -> None:
        self._url = url
        self._hub = hub
        self._conn: asyncpg.Connection[Any] | None = None
        self._connecting = asyncio.Lock()
        self._was_lost = False

    async def keep_running(self) -> None:
        if self._conn is not None and not self._conn.is_closed():
            return
        # Shielded: a watcher that leaves (its stream ended) while the connection is being
        # made must not leave behind a connection that nobody holds, and so nobody closes.
        await asyncio.shield(self._connect())

    async def _connect(self) -> None:
        async with self._connecting:
            if self._conn is not None and not self._conn.is_closed():
                return
            try:
                conn = await asyncpg.connect(
                    self._url, server_settings={"application_name": LISTENER_NAME}
                )
                await conn.add_listener(CHANGES_CHANNEL, self._notified)
            except (OSError, asyncpg.PostgresError):
                log.warning("cannot listen for changes; retrying on the next wait", exc_info=True)
                return
            conn.add_termination_listener(self._lost)
            self._conn = conn
            if self._was_lost:
                # Whatever committed while nobody listened was not heard: look again.
                self._was_lost = False
                self._hub.changed_everything()

    async def stop(self) -> None:
        async with self._connecting:  # a connection being made is made, then closed here
            conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(OSError, asyncpg.PostgresError):
                await conn.close(timeout=5)

    def _notified(self, _conn: object, _pid: int, _channel: str, payload: object) -> None:
        with contextlib.suppress(ValueError):
            self._hub.changed(int(str(payload)))

    def _lost(self, conn: object) -> None:
        self._conn = None
        self._was_lost = True
        self._hub.changed_everything()
