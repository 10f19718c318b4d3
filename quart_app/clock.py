"""The one source of time, so tests can move it instead of sleeping."""

from __future__ import annotations

import time
from typing import Protocol

from .words import plural


class Clock(Protocol):
    def __call__(self) -> float:
        """Seconds since the epoch, like ``time.time()``."""
        ...


def system_clock() -> float:
    return time.time()


class FrozenClock:
    """A clock that stands still until told to move; used by tests and simulations."""

    def __init__(self, start: float | None = None) -> None:
        self.now = time.time() if start is None else start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def iso_utc(timestamp: float) -> str:
    """``2026-11-25T16:00:00Z`` — the API's timestamp format."""
    # time.gmtime, not datetime: half the cost, for every redemption and every issued link.
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))


def human_utc(timestamp: float) -> str:
    """``2026-11-25 16:00 UTC`` — the pages' timestamp format."""
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(timestamp))


def in_words(seconds: float) -> str:
    """A rough duration such as ``3 days`` or ``1 hour``, for "expires in ..." texts."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        # Rounded to the nearest unit: 59 min 45 s reads "1 hour", not "60 minutes".
        if seconds + 30 >= size:
            count = round(seconds / size)
            return f"{count} {plural(count, unit)}"
    return "less than a minute"
