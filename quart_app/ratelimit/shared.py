"""Rate limits shared by every process of every instance, kept in Redis.

The same GCRA as ``local.RateLimiter``, run as one Lua script so that reading and
moving a key's TAT is atomic however many instances hit it at once. Times come from the
app's clock (tests move it); Redis expires a key once its TAT has passed, which is when
the in-process limiter would forget it too. Keys are hashed: user names and addresses are
not kept in Redis in the clear.

If Redis cannot be reached, each process falls back to its own in-process limiter, which
keeps counting, and says so in the log once per outage: limits weaken, requests never fail.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping

from redis.asyncio import Redis
from redis.exceptions import RedisError

from ..clock import Clock
from .local import STANDARD_RATES, Limits, Rate, RateLimiter, wait_until

KEY_PREFIX = "oncelink:ratelimit:"
# A request waits at most this long for Redis before the process counts on its own.
REDIS_TIMEOUT = 0.5

log = logging.getLogger(__name__)

# KEYS[1]: the key. ARGV: now, period, interval, 1 to count an allowed event or 0 to ask.
# Answers "" when allowed, else the time from which it will be (as text: Redis would cut
# a Lua number to an integer).
GCRA = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
local allowed_from = tat - tonumber(ARGV[2]) + interval
if now < allowed_from then
    return string.format('%.6f', allowed_from)
end
if ARGV[4] == '1' then
    local next_tat = math.max(tat, now) + interval
    local ttl_ms = math.ceil((next_tat - now) * 1000)
    redis.call('SET', KEYS[1], string.format('%.6f', next_tat), 'PX', ttl_ms)
end
return ''
"""


class RedisRateLimiter:
    def __init__(self, name: str, rate: Rate, clock: Clock, redis: Redis) -> None:
        self._prefix = f"{KEY_PREFIX}{name}:"
        self._clock = clock
        self._script = redis.register_script(GCRA)
        self._local = RateLimiter(rate, clock)  # while Redis is away
        self._redis_away = False

    @property
    def rate(self) -> Rate:
        return self._local.rate

    async def hit(self, key: str) -> int | None:
        return await self._check(key, count=True)

    async def retry_after(self, key: str) -> int | None:
        return await self._check(key, count=False)

    async def _check(self, key: str, *, count: bool) -> int | None:
        now = self._clock()
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        arguments: list[str | int] = [
            repr(now),
            repr(self.rate.period),
            repr(self.rate.interval),
            int(count),
        ]
        try:
            answer = await self._script(keys=[self._prefix + digest], args=arguments)
        except (RedisError, OSError) as error:
            if not self._redis_away:
                log.warning("Redis is unreachable; counting in this process: %s", error)
                self._redis_away = True
            return self._local.check(key, count=count)
        if self._redis_away:
            log.warning("Redis is back; limits are shared again")
            self._redis_away = False
        return wait_until(float(answer), now) if answer else None


def shared_limits(
    clock: Clock, redis_url: str, rates: Mapping[str, Rate] = STANDARD_RATES
) -> Limits:
    """The limits at these ``rates``, counted in the Redis at ``redis_url``."""
    redis = Redis.from_url(
        redis_url,
        decode_responses=True,
        socket_timeout=REDIS_TIMEOUT,
        socket_connect_timeout=REDIS_TIMEOUT,
    )
    return Limits.of(
        lambda name, rate: RedisRateLimiter(name, rate, clock, redis),
        close=redis.aclose,
        rates=rates,
    )
