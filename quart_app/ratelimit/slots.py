"""Caps on what is held open at once, such as live dashboard streams: each key (a session,
a client address) has a number of slots; a slot is held until it is released, or until the
time its holder said it would be done by, so that a holder that never releases (a process
that died, a stream that never started) cannot keep it for ever.

Kept in this process here; ``shared.RedisSlots`` keeps them in Redis for every process.
"""

from __future__ import annotations

from typing import Protocol

from ..clock import Clock

MAX_KEYS = 100_000

# How many live dashboard streams may be open at once: a browser tab holds one.
STREAM_SLOTS = {
    "streams_per_session": 8,  # tabs of one logged-in browser
    "streams_per_address": 50,  # every session behind one client address (an office)
}


class Slots(Protocol):
    @property
    def size(self) -> int: ...

    async def take(self, key: str, ticket: str, until: float) -> bool:
        """Hold one of the key's slots for ``ticket`` until released or ``until``; False,
        and nothing held, if every slot is taken."""

    async def release(self, key: str, ticket: str) -> None: ...


class LocalSlots:
    def __init__(self, size: int, clock: Clock) -> None:
        self.size = size
        self._clock = clock
        self._held: dict[str, dict[str, float]] = {}  # key -> ticket -> until

    async def take(self, key: str, ticket: str, until: float) -> bool:
        return self.take_now(key, ticket, until)

    def take_now(self, key: str, ticket: str, until: float) -> bool:
        now = self._clock()
        held = {t: end for t, end in self._held.get(key, {}).items() if end > now}
        taken = len(held) < self.size
        if taken:
            held[ticket] = until
        if not held:
            self._held.pop(key, None)
            return taken
        self._held[key] = held
        if len(self._held) > MAX_KEYS:
            self._forget_ended(now)
        return taken

    async def release(self, key: str, ticket: str) -> None:
        self.release_now(key, ticket)

    def release_now(self, key: str, ticket: str) -> None:
        held = self._held.get(key)
        if held is not None:
            held.pop(ticket, None)
            if not held:
                del self._held[key]

    def _forget_ended(self, now: float) -> None:
        self._held = {
            key: held for key, held in self._held.items() if any(end > now for end in held.values())
        }
