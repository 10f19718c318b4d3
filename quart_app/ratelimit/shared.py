"""Rate limits shared by every process of every instance, kept in Redis.

The same GCRA as ``local.RateLimiter``, run as one Lua script so that reading and
moving a key's TAT is atomic however many instances hit it at once. Times come from the
app's clock (tests move it); Redis expires a key once its TAT has passed, which is when
the in-process limiter would forget it too. While Redis is away each process counts on its
own (``in_redis``).
"""

from __future__ import annotations

from collections.abc import Mapping

from redis.asyncio import Redis

from ..clock import Clock
from .in_redis import InRedis, connect
from .local import STANDARD_RATES, Limits, Rate, RateLimiter, wait_until
from .shared_slots import RedisSlots

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


class RedisRateLimiter(InRedis):
    def __init__(self, name: str, rate: Rate, clock: Clock, redis: Redis) -> None:
        super().__init__(name, redis)
        self._clock = clock
        self._gcra = self.script(GCRA)
        self._refund = self.script(REFUND)
        self._local = RateLimiter(rate, clock)  # while Redis is away

    @property
    def rate(self) -> Rate:
        return self._local.rate

    async def hit(self, key: str) -> int | None:
        now = self._clock()
        rate = self.rate
        arguments = [repr(now), repr(rate.period), repr(rate.interval)]
        answered, answer = await self.run(self._gcra, key, arguments)
        if not answered:
            return self._local.count(key)
        return wait_until(float(answer), now) if answer else None

    async def refund(self, key: str) -> None:
        now = self._clock()
        answered, _ = await self.run(self._refund, key, [repr(now), repr(self.rate.interval)])
        if not answered:
            self._local.give_back(key)


def shared_limits(
    clock: Clock, redis_url: str, rates: Mapping[str, Rate] = STANDARD_RATES
) -> Limits:
    """The limits at these ``rates``, counted in the Redis at ``redis_url``."""
    redis = connect(redis_url)
    return Limits.of(
        lambda name, rate: RedisRateLimiter(name, rate, clock, redis),
        lambda name, size: RedisSlots(name, size, clock, redis),
        close=redis.aclose,
        rates=rates,
    )
