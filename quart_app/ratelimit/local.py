"""Rate limits kept in this process (GCRA: one timestamp per key, no timers, O(1) per hit).

Without Redis the limits are kept in each worker process: with N workers and M instances a
client may get up to N*M times a limit. That is enough to stop guessing passwords or
hammering links on one machine. With ``ONCELINK_REDIS_URL`` every process of every instance
counts in one place (``shared``), with the same arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from ..clock import Clock
from .slots import STREAM_SLOTS, LocalSlots, Slots

MAX_KEYS = 100_000


@dataclass(frozen=True)
class Rate:
    """``count`` events per ``period`` seconds, at most ``count`` of them in a burst."""

    count: int
    period: float

    @property
    def interval(self) -> float:
        return self.period / self.count


def wait_until(allowed_from: float, now: float) -> int | None:
    """Whole seconds to wait, at least one, until ``allowed_from``; None if it has come."""
    return None if now >= allowed_from else max(1, math.ceil(allowed_from - now))


class Limiter(Protocol):
    @property
    def rate(self) -> Rate: ...

    async def hit(self, key: str) -> int | None:
        """Count one event; None if allowed, else the seconds to wait (nothing is counted)."""

    async def refund(self, key: str) -> None:
        """Take back one counted event: counted before its outcome was known (a password
        check), it turned out not to be one the limit is for (the password was right)."""


class RateLimiter:
    """In this process: remembers, per key, the theoretical arrival time (TAT) of the next
    allowed event."""

    def __init__(self, rate: Rate, clock: Clock) -> None:
        self.rate = rate
        self._clock = clock
        self._tat: dict[str, float] = {}

    def count(self, key: str) -> int | None:
        """The seconds to wait, or None and the event counted."""
        now = self._clock()
        tat = self._tat.get(key, now)
        wait = wait_until(tat - self.rate.period + self.rate.interval, now)
        if wait is None:
            self._tat[key] = max(tat, now) + self.rate.interval
            if len(self._tat) > MAX_KEYS:
                self._forget_idle(now)
        return wait

    async def hit(self, key: str) -> int | None:
        return self.count(key)

    async def refund(self, key: str) -> None:
        self.give_back(key)

    def give_back(self, key: str) -> None:
        tat = self._tat.get(key)
        if tat is None:
            return
        earlier = tat - self.rate.interval
        if earlier <= self._clock():
            del self._tat[key]  # back to a full burst
        else:
            self._tat[key] = earlier

    def _forget_idle(self, now: float) -> None:
        # A key whose TAT has passed is back to a full burst: forgetting it changes nothing.
        self._tat = {key: tat for key, tat in self._tat.items() if tat > now}


# What a person never reaches by hand.
STANDARD_RATES = {
    "login_per_user": Rate(5, 15 * 60),  # wrong passwords for one user name, wherever checked
    "login_per_address": Rate(30, 15 * 60),  # login attempts from one client address
    "redeem_per_address": Rate(60, 60),  # link redemptions from one client address
    # passphrases tried from one client address: each costs a key derivation
    "passphrase_per_address": Rate(10, 60),
    "api_per_token": Rate(600, 60),  # API calls made with one token
}


@dataclass(frozen=True)
class Limits:
    """The app's limiters and caps, and what to close when the app stops."""

    login_per_user: Limiter
    login_per_address: Limiter
    redeem_per_address: Limiter
    passphrase_per_address: Limiter
    api_per_token: Limiter
    streams_per_session: Slots
    streams_per_address: Slots
    close: Callable[[], Awaitable[None]] | None = None

    @classmethod
    def standard(cls, clock: Clock, rates: Mapping[str, Rate] = STANDARD_RATES) -> Limits:
        """Limits kept in this process."""
        return cls.of(
            lambda name, rate: RateLimiter(rate, clock),
            lambda name, size: LocalSlots(size, clock),
            rates=rates,
        )

    @classmethod
    def of(
        cls,
        make: Callable[[str, Rate], Limiter],
        make_slots: Callable[[str, int], Slots],
        close: Callable[[], Awaitable[None]] | None = None,
        rates: Mapping[str, Rate] = STANDARD_RATES,
    ) -> Limits:
        """The limits at these ``rates``, each kept by ``make(name, rate)``, and the caps of
        ``STREAM_SLOTS``, each kept by ``make_slots(name, size)``."""
        return cls(
            login_per_user=make("login_per_user", rates["login_per_user"]),
            login_per_address=make("login_per_address", rates["login_per_address"]),
            redeem_per_address=make("redeem_per_address", rates["redeem_per_address"]),
            passphrase_per_address=make("passphrase_per_address", rates["passphrase_per_address"]),
            api_per_token=make("api_per_token", rates["api_per_token"]),
            streams_per_session=make_slots(
                "streams_per_session", STREAM_SLOTS["streams_per_session"]
            ),
            streams_per_address=make_slots(
                "streams_per_address", STREAM_SLOTS["streams_per_address"]
            ),
            close=close,
        )
