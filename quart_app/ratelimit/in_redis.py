"""What every count kept in Redis shares: its keys, and running its Lua scripts, with this
process counting on its own while Redis is away.

Keys are hashed: user names, sessions and addresses are not kept in Redis in the clear. If
Redis cannot be reached, the caller falls back to its in-process twin and the log says so
once per outage: limits weaken, requests never fail.
"""

from __future__ import annotations

import hashlib
import logging

from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

KEY_PREFIX = "oncelink:ratelimit:"
# A request waits at most this long for Redis before the process counts on its own.
REDIS_TIMEOUT = 0.5

log = logging.getLogger(__name__)
Answer = tuple[bool, str]  # whether Redis answered, and what


def connect(redis_url: str) -> Redis:
    return Redis.from_url(
        redis_url,
        decode_responses=True,
        socket_timeout=REDIS_TIMEOUT,
        socket_connect_timeout=REDIS_TIMEOUT,
    )


class InRedis:
    """One kind of count (``name``) kept in Redis."""

    def __init__(self, name: str, redis: Redis) -> None:
        self._prefix = f"{KEY_PREFIX}{name}:"
        self._redis = redis
        self._redis_away = False

    def script(self, source: str) -> AsyncScript:
        return self._redis.register_script(source)

    async def run(self, script: AsyncScript, key: str, arguments: list[str]) -> Answer:
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
