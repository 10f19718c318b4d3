"""Group commit for redemptions: one writer per process turns N waiting claims into one
transaction and one fsync.

Claims that arrive while a batch is being written wait for the next batch; the next batch
starts the moment the previous one commits, so an idle server adds no delay. Each claim is
still its own ``INSERT ... ON CONFLICT DO NOTHING RETURNING``, and each caller is answered
only after the COMMIT that made its claim durable.

The batch runs on a plain sqlite3 connection in the writer's own thread: one thread hop per
batch instead of one per statement. Writers of all processes queue on one ``WriteLock``.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from . import sealing, store
from .clock import Clock
from .sqlite_database import connect_sync
from .writelock import WriteLock

MAX_BATCH = 512
T = TypeVar("T")


@dataclass(frozen=True)
class Claim:
    jti: str
    share_id: str
    generation: int
    # Seconds the winner may read the note again; its sealed copy is written in the same
    # transaction as the claim, so no copy outlives a claim that did not commit.
    keep_for: float = 0


class GroupCommitWriter:
    def __init__(self, path: Path, clock: Clock) -> None:
        self._path = path
        self._clock = clock
        self._executor: ThreadPoolExecutor | None = None
        self._conn: sqlite3.Connection | None = None
        self._lock = WriteLock(path)
        self._pending: list[tuple[Claim, asyncio.Future[store.Redemption]]] = []
        self._drainer: asyncio.Task[None] | None = None
        self.transactions = 0  # committed batches, for tests and benchmarks
        self.claims = 0  # claims in them

    async def start(self) -> None:
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="oncelink-writer")
        self._conn = await self._in_thread(connect_sync, self._path)
        self._lock.open()

    async def stop(self) -> None:
        if self._drainer is not None:
            await asyncio.shield(self._drainer)
        if self._conn is not None:
            await self._in_thread(self._conn.close)
        if self._executor is not None:
            self._executor.shutdown()
        self._lock.close()
        self._conn, self._executor = None, None

    async def redeem(self, claim: Claim) -> store.Redemption:
        """Claim the link in the next batch; returns once that batch is committed."""
        future: asyncio.Future[store.Redemption] = asyncio.get_running_loop().create_future()
        self._pending.append((claim, future))
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            # A caller that went away before its batch started needs no write.
            batch = [(claim, future) for claim, future in batch if not future.cancelled()]
            if not batch:
                continue
            try:
                verdicts = await self._in_thread(self._commit, [c for c, _ in batch])
            except Exception as error:  # every claim of a failed batch was rolled back
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            self.transactions += 1
            self.claims += len(batch)
            for (_, future), verdict in zip(batch, verdicts, strict=True):
                if not future.done():
                    future.set_result(verdict)

    def _commit(self, claims: list[Claim]) -> list[store.Redemption]:
        assert self._conn is not None
        conn = self._conn
        with self._lock.held():
            now = self._clock()
            conn.execute("BEGIN IMMEDIATE")
            try:
                verdicts = [self._claim(conn, claim, now) for claim in claims]
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return verdicts

    @staticmethod
    def _claim(conn: sqlite3.Connection, claim: Claim, now: float) -> store.Redemption:
        verdict = store.redeem_sync(conn, claim.jti, claim.share_id, claim.generation, now=now)
        if not verdict.granted or claim.keep_for <= 0 or verdict.note is None:
            return verdict
        sealed = sealing.seal(verdict.note, claim.jti)
        store.insert_reveal_sync(conn, claim.jti, sealed.blob, until=now + claim.keep_for)
        return replace(verdict, seal_key=sealed.key)

    async def _in_thread(self, function: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)
