"""In-process rate limits (GCRA: one timestamp per key, no timers, O(1) per hit).

Limits are per worker process: with N workers a client may get up to N times a limit. That
is enough to stop guessing passwords or hammering links; shared limits need a shared store.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .clock import Clock

MAX_KEYS = 100_000


@dataclass(frozen=True)
class Rate:
    """``count`` events per ``period`` seconds, at most ``count`` of them in a burst."""

    count: int
    period: float

    @property
    def interval(self) -> float:
        return self.period / self.count


class RateLimiter:
    """Remembers, per key, the theoretical arrival time (TAT) of the next allowed event."""

    def __init__(self, rate: Rate, clock: Clock) -> None:
        self.rate = rate
        self._clock = clock
        self._tat: dict[str, float] = {}

    def retry_after(self, key: str) -> int | None:
        """Seconds to wait if the key is over its limit now, without counting a hit."""
        now = self._clock()
        tat = self._tat.get(key, now)
        allowed_from = tat - self.rate.period + self.rate.interval
        return None if now >= allowed_from else max(1, math.ceil(allowed_from - now))

    def hit(self, key: str) -> int | None:
        """Count one event; None if allowed, else the seconds to wait (nothing is counted)."""
        wait = self.retry_after(key)
        if wait is None:
            now = self._clock()
            self._tat[key] = max(self._tat.get(key, now), now) + self.rate.interval
            if len(self._tat) > MAX_KEYS:
                self._forget_idle(now)
        return wait

    def reset(self, key: str) -> None:
        self._tat.pop(key, None)

    def _forget_idle(self, now: float) -> None:
        # A key whose TAT has passed is back to a full burst: forgetting it changes nothing.
        self._tat = {key: tat for key, tat in self._tat.items() if tat > now}


@dataclass(frozen=True)
class Limits:
    """The app's limiters. Their rates are what a person never reaches by hand."""

    login_per_user: RateLimiter  # failed logins for one user name
    login_per_address: RateLimiter  # login attempts from one client address
    redeem_per_address: RateLimiter  # link redemptions from one client address
    api_per_token: RateLimiter  # API calls made with one token

    @classmethod
    def standard(cls, clock: Clock) -> Limits:
        return cls(
            login_per_user=RateLimiter(Rate(5, 15 * 60), clock),
            login_per_address=RateLimiter(Rate(30, 15 * 60), clock),
            redeem_per_address=RateLimiter(Rate(60, 60), clock),
            api_per_token=RateLimiter(Rate(600, 60), clock),
        )
