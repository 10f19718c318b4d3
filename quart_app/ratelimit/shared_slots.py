"""Caps on what is held open at once (``slots``), shared by every process of every instance
through Redis: a key's held slots are a sorted set of tickets, each scored by the time it
will have been let go by at the latest."""

from __future__ import annotations

from redis.asyncio import Redis

from ..clock import Clock
from .in_redis import InRedis
from .slots import LocalSlots

# KEYS[1]: the key. ARGV: now, size, until, ticket. Forgets the tickets whose time is up;
# holds a slot for the ticket and answers 1, or answers 0 if every slot is held.
TAKE = """
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
    return 0
end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
redis.call('PEXPIRE', KEYS[1], math.ceil((tonumber(ARGV[3]) - now) * 1000))
return 1
"""
# KEYS[1]: the key. ARGV: the ticket.
RELEASE = "return redis.call('ZREM', KEYS[1], ARGV[1])"


class RedisSlots(InRedis):
    def __init__(self, name: str, size: int, clock: Clock, redis: Redis) -> None:
        super().__init__(name, redis)
        self._clock = clock
        self._take = self.script(TAKE)
        self._release = self.script(RELEASE)
        self._local = LocalSlots(size, clock)  # while Redis is away

    @property
    def size(self) -> int:
        return self._local.size

    async def take(self, key: str, ticket: str, until: float) -> bool:
        arguments = [repr(self._clock()), str(self.size), repr(until), ticket]
        answered, answer = await self.run(self._take, key, arguments)
        return answer == "1" if answered else self._local.take_now(key, ticket, until)

    async def release(self, key: str, ticket: str) -> None:
        answered, _ = await self.run(self._release, key, [ticket])
        if not answered:
            self._local.release_now(key, ticket)
