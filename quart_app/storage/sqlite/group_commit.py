"""Group commit for redemptions: one writer per process turns N waiting claims into one
transaction and one fsync.

Claims that arrive while a batch is being written wait for the next batch; the next batch
starts the moment the previous one commits, so an idle server adds no delay. Each claim is
still its own ``INSERT ... ON CONFLICT DO NOTHING RETURNING``, and each caller is answered
only after the COMMIT that made its claim durable.

The batch runs on the event loop, on a plain sqlite3 connection, fsync included: it waits for
no lock by then, and its statements and fsync take a fraction of a millisecond. In a thread
it was slower: the thread's answer waits for the interpreter lock behind the busy event loop
(``bench/RESULTS.md``). Only waiting for another process's writer goes to a thread: writers
of all processes queue on one ``WriteLock``.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from ...clock import Clock
from ..base import WriteStep
from .connections import BUSY_TIMEOUT_MS, SyncConnection, connect_sync
from .writelock import WriteLock

# A batch holds the event loop while it runs (about 30 µs a claim, and one fsync): bounded,
# so other requests wait a few milliseconds at most; one fsync per 128 claims costs little.
MAX_BATCH = 128
FOREIGN_WRITER_POLL = 0.005  # seconds between looks while another program writes

T = TypeVar("T")
Pending = tuple[WriteStep[Any], "asyncio.Future[Any]"]


class GroupCommit:
    """SQLite's redeemer: runs each claim's step in the next batch's transaction."""

    def __init__(self, path: Path, clock: Clock) -> None:
        self._path = path
        self._clock = clock
        self._conn: SyncConnection | None = None
        self._lock = WriteLock(path)
        self._pending: list[Pending] = []
        self._drainer: asyncio.Task[None] | None = None

    async def start(self) -> None:
        # busy_timeout 0: see _begin.
        self._conn = SyncConnection(connect_sync(self._path, busy_timeout_ms=0))
        self._lock.open()

    async def stop(self) -> None:
        if self._drainer is not None:
            await asyncio.shield(self._drainer)
        if self._conn is not None:
            self._conn.raw.close()
        self._lock.close()
        self._conn = None

    async def redeem(self, step: WriteStep[T]) -> T:
        """Run the step in the next batch; returns once that batch is committed."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._pending.append((step, future))
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            # A caller that went away before its batch started needs no write.
            batch = [(step, future) for step, future in batch if not future.cancelled()]
            if not batch:
                continue
            try:
                results = await self._write([step for step, _ in batch])
            except Exception as error:  # every claim of a failed batch was rolled back
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)

    async def _write(self, steps: list[WriteStep[Any]]) -> list[Any]:
        """The batch in one transaction, committed when this returns."""
        assert self._conn is not None
        conn = self._conn
        await self._lock.acquire_async(barge=True)
        try:
            await self._begin(conn.raw)
            now = self._clock()
            try:
                results = [_run_at_once(step(conn, now)) for step in steps]
                conn.raw.execute("COMMIT")
            except BaseException:
                # A failed COMMIT may have ended the transaction already.
                with contextlib.suppress(sqlite3.Error):
                    conn.raw.execute("ROLLBACK")
                raise
        finally:
            self._lock.release()
        return results

    @staticmethod
    async def _begin(conn: sqlite3.Connection) -> None:
        # Our own writers queue on the WriteLock, so SQLite's lock is free by now, unless a
        # foreign writer (the sqlite3 shell) holds it: then wait here, without stalling the
        # event loop as SQLite's busy handler would, for as long as busy_timeout would.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if error.sqlite_errorcode != sqlite3.SQLITE_BUSY or loop.time() > deadline:
                    raise
            await asyncio.sleep(FOREIGN_WRITER_POLL)


def _run_at_once(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a step to its end without letting the event loop go: the batch's transaction
    must not wait on anything but SQLite. A step that tries to wait is a bug."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        result: T = done.value
        return result
    coroutine.close()
    raise RuntimeError("a claim's step waited for something inside a group commit")
