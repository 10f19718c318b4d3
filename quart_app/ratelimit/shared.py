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
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from ..clock import Clock
from .local import STANDARD_RATES, Limits, Rate, RateLimiter, wait_until

KEY_PREFIX = "oncelink:ratelimit:"
# A request waits at most this long for Redis before the process counts on its own.
REDIS_TIMEOUT = 0.5

log = logging.getLogger(__name__)
Answer = tuple[bool, str]  # whether Redis answered, and what

# KEYS[1]: the key. ARGV: now, period, interval. Counts an allowed event and answers "";
# else answers the time from which one will be allowed (as text: Redis would cut a Lua
# number to an integer).
GCRA = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
local allowed_from = tat - tonumber(ARGV[2]) + interval
if now < allowed_from then
    return string.format('%.6f', allowed_from)
end
local next_tat = math.max(tat, now) + interval
local ttl_ms = math.ceil((next_tat - now) * 1000)
redis.call('SET', KEYS[1], string.format('%.6f', next_tat), 'PX', ttl_ms)
return ''
"""
# KEYS[1]: the key. ARGV: now, interval. Moves the TAT back by one event, as if the last
# counted one had not been; a TAT that is then past is a full burst, which no key means.
REFUND = """
local now = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]))
if not tat then
    return 0
end
local earlier = tat - tonumber(ARGV[2])
if earlier <= now then
    redis.call('DEL', KEYS[1])
else
    local ttl_ms = math.ceil((earlier - now) * 1000)
    redis.call('SET', KEYS[1], string.format('%.6f', earlier), 'PX', ttl_ms)
end
return 1
"""


class RedisRateLimiter:
    def __init__(self, name: str, rate: Rate, clock: Clock, redis: Redis) -> None:
        self._prefix = f"{KEY_PREFIX}{name}:"
        self._clock = clock
        self._gcra = redis.register_script(GCRA)
        self._refund = redis.register_script(REFUND)
        self._local = RateLimiter(rate, clock)  # while Redis is away
        self._redis_away = False

    @property
    def rate(self) -> Rate:
        return self._local.rate

    async def hit(self, key: str) -> int | None:
        now = self._clock()
        rate = self.rate
        arguments = [repr(now), repr(rate.period), repr(rate.interval)]
        answered, answer = await self._run(self._gcra, key, arguments)
        if not answered:
            return self._local.count(key)
        return wait_until(float(answer), now) if answer else None

    async def refund(self, key: str) -> None:
        now = self._clock()
        answered, _ = await self._run(self._refund, key, [repr(now), repr(self.rate.interval)])
        if not answered:
            self._local.give_back(key)

    async def _run(self, script: AsyncScript, key: str, arguments: list[str]) -> Answer:
        """Run the script on the key's Redis entry; (False, "") while Redis is away."""
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        try:
            answer = await script(keys=[self._prefix + digest], args=arguments)
        except (RedisError, OSError) as error:
            if not self._redis_away:
                log.warning("Redis is unreachable; counting in this process: %s", error)
                self._redis_away = True
            return False, ""
        if self._redis_away:
            log.warning("Redis is back; limits are shared again")
            self._redis_away = False
        return True, str(answer)


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
