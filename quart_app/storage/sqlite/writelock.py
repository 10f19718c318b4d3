"""The one lock every writer of every process takes before ``BEGIN IMMEDIATE``.

SQLite makes a writer that finds the database locked sleep and retry in growing steps (up to
100 ms a step), so under contention a write can wait long after the lock came free. An
``flock`` on a file beside the database queues writers in the kernel instead, which wakes
the next one the moment the lock is released. Foreign writers (the sqlite3 shell) do not
take it; SQLite's own lock and busy_timeout still keep them correct.

The same kind of lock, on a file of its own, lets one process sweep at a time; another, one
process deliver the outbox of notifications at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

WRITER = "writer"
SWEEP = "sweep"  # held by the process that sweeps
SEND = "send"  # held by the process that delivers the outbox


class WriteLock:
    def __init__(self, database: Path, purpose: str = WRITER) -> None:
        self.path = database.with_name(f"{database.name}.{purpose}-lock")
        self._fd = -1
        # Files with cancelled waits whose thread still blocks in flock, and how many.
        self._abandoned: Counter[int] = Counter()

    def open(self) -> None:
        # Each open() is a lock of its own: two WriteLocks exclude each other even inside
        # one process, as flock locks belong to the open file, not to the process.
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)

    def close(self) -> None:
        # A thread still waiting on the file keeps it: closing it now would let the number
        # be reused, and the thread's release would unlock whatever file took it.
        if self._fd >= 0 and not self._abandoned[self._fd]:
            os.close(self._fd)
        self._fd = -1

    def try_acquire(self) -> bool:
        """Take the lock if it is free, without waiting."""
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def release(self) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)

    async def acquire_async(self, *, barge: bool) -> None:
        """Take the lock without blocking the event loop, by waiting for it in a thread.

        The kernel hands the lock to its waiters in turn. With ``barge`` the lock is taken
        at once when it happens to be free, which saves the thread's round trip but may
        jump the queue: only for holders as brief as a group commit, never for a writer
        that takes the lock again and again (the pruner would starve everyone else)."""
        if barge and self.try_acquire():
            return
        fd = self._fd
        taking = asyncio.get_running_loop().run_in_executor(None, fcntl.flock, fd, fcntl.LOCK_EX)
        try:
            await asyncio.shield(taking)
        except asyncio.CancelledError:
            # The thread cannot be stopped: release the lock whenever it gets it.
            self._abandoned[fd] += 1
            taking.add_done_callback(lambda _: self._let_go(fd))
            raise

    def _let_go(self, fd: int) -> None:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        self._abandoned[fd] -= 1
        if not self._abandoned[fd]:
            del self._abandoned[fd]
            if fd != self._fd:  # closed meanwhile
                os.close(fd)

    @contextlib.asynccontextmanager
    async def held_by_polling(self, every: float) -> AsyncIterator[None]:
        """Hold the lock for the block, looking for it every ``every`` seconds: for rare,
        unhurried holders such as a sweep, whose wait then ends at once when cancelled
        instead of leaving a thread blocked until the lock comes free."""
        # Another process's flock cannot be awaited: look again until it is free.
        while not self.try_acquire():  # noqa: ASYNC110
            await asyncio.sleep(every)
        try:
            yield
        finally:
            self.release()

    @contextlib.asynccontextmanager
    async def held_async(self) -> AsyncIterator[None]:
        """Hold the lock for the block, waiting for it in turn."""
        await self.acquire_async(barge=False)
        try:
            yield
        finally:
            self.release()
