"""Redeeming a link that opens with a passphrase: its latency next to an ordinary link's, how
many a second the server opens, and whether a flood of wrong passphrases slows everyone
else down. Through a real server (2 workers, rate limits off), with the real argon2id costs.

    python bench/passphrase.py [--links 200] [--tiny]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import statistics
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from common import BIN, free_port, machine_line, oncelink_command, oncelink_env, serve, table

PASSPHRASE = "correct horse battery"
JSON = {"Accept": "application/json"}


def api_token(env: dict[str, str]) -> str:
    cli = [str(BIN / "oncelink")]
    subprocess.run(
        [*cli, "user", "add", "bench", "--password-stdin"],
        input="bench password\n",
        text=True,
        env=env,
        check=True,
        capture_output=True,
    )
    made = subprocess.run(
        [*cli, "token", "create", "bench"], text=True, env=env, check=True, capture_output=True
    )
    return made.stdout.strip()


async def links(client: httpx.AsyncClient, token: str, count: int, passphrase: bool) -> list[str]:
    body: dict[str, object] = {"note": "bench note", "links": count}
    if passphrase:
        body["passphrase"] = PASSPHRASE
    answer = await client.post(
        "/api/v1/shares", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    answer.raise_for_status()
    return [link["url"] for link in answer.json()["links"]]


async def timed(call: Callable[[], Awaitable[httpx.Response]], status: int) -> float:
    started = time.perf_counter()
    answer = await call()
    assert answer.status_code == status, (answer.status_code, answer.text)
    return (time.perf_counter() - started) * 1000


def summary(name: str, times: list[float]) -> list[object]:
    ordered = sorted(times)
    p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
    return [name, len(times), statistics.median(times), p90, ordered[-1]]


async def one_by_one(
    client: httpx.AsyncClient, urls: list[str], passphrase: str | None
) -> list[float]:
    body = None if passphrase is None else {"passphrase": passphrase}
    return [
        await timed(functools.partial(client.post, url, headers=JSON, json=body), 200)
        for url in urls
    ]


async def at_once(client: httpx.AsyncClient, urls: list[str], clients: int) -> float:
    """Redemptions a second, ``clients`` at a time."""
    queue = list(urls)

    async def worker() -> None:
        while queue:
            body = {"passphrase": PASSPHRASE}
            await timed(functools.partial(client.post, queue.pop(), headers=JSON, json=body), 200)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return len(urls) / (time.perf_counter() - started)


async def pages_meanwhile(
    client: httpx.AsyncClient, page: str, count: int, flood: list[str] | None
) -> list[float]:
    """GETs of an ordinary link's page, one at a time, while ``flood``'s links get wrong
    passphrases from 32 clients at once."""
    flooding = None
    if flood:

        async def wrong(url: str) -> None:
            for _ in range(6):  # five wrong, then locked
                await client.post(url, headers=JSON, json={"passphrase": "not the passphrase"})

        async def flood_all() -> None:
            queue = list(flood)

            async def worker() -> None:
                while queue:
                    await wrong(queue.pop())

            await asyncio.gather(*(worker() for _ in range(32)))

        flooding = asyncio.create_task(flood_all())
        await asyncio.sleep(0.5)
    times = [await timed(functools.partial(client.get, page), 200) for _ in range(count)]
    if flooding is not None:
        await flooding
    return times


async def measure(base_url: str, token: str, count: int) -> tuple[list[list[object]], float]:
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as client:
        plain = await links(client, token, count, passphrase=False)
        sealed = await links(client, token, count * 2, passphrase=True)
        flood = await links(client, token, count, passphrase=True)
        [page] = await links(client, token, 1, passphrase=False)
        rows = [
            summary("ordinary link, one at a time", await one_by_one(client, plain, None)),
            summary(
                "passphrase link, one at a time",
                await one_by_one(client, sealed[:count], PASSPHRASE),
            ),
            summary("a page GET, quiet", await pages_meanwhile(client, page, count, None)),
            summary(
                "a page GET, during a wrong-passphrase flood",
                await pages_meanwhile(client, page, count, flood),
            ),
        ]
        rate = await at_once(client, sealed[count:], clients=16)
    return rows, rate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--links", type=int, default=200)
    parser.add_argument("--tiny", action="store_true")
    args = parser.parse_args()
    count = 8 if args.tiny else args.links
    work = Path(tempfile.mkdtemp(prefix="oncelink-bench-"))
    port = free_port()
    env = oncelink_env(work / "instance", port)
    token = api_token({**env, "PATH": str(BIN)})
    with serve("oncelink", oncelink_command(port, 2), port=port, env=env) as server:
        rows, rate = asyncio.run(measure(server.base_url, token, count))
    print(f"# passphrase redemption — {machine_line()}, argon2id as configured, 2 workers")
    print(table(["request", "n", "median ms", "p90 ms", "max ms"], rows))
    print(f"passphrase links opened a second, 16 clients at once: {rate:,.0f}")


if __name__ == "__main__":
    main()
