"""What notifications cost, on this checkout.

1. Redemptions (POST, JSON) on two `oncelink serve` (2 workers each, no access log, rate
   limits off): one whose bench user has no webhook, one whose user has a webhook on every
   event to a local receiver, so that each redemption writes an outbox row in its claim and
   is then delivered by the server's sender. Runs alternate, each server first in turn; after
   each run of the watched server its outbox is let drain before the next run starts, so
   that no run pays for another's deliveries (how long the rest took is reported). Besides
   requests a second, the CPU time the servers' processes used per request.
2. The outbox's drain rate: a batch of notices put in the outbox at once, then delivered by
   one process's sender to the local receiver, on SQLite and on PostgreSQL.

    python bench/notifications.py [--seconds 5] [--rounds 4] [--notices 5000] [--tiny]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
from audit_cost import Version, cli, spread, write
from common import (
    BENCH,
    ROOT,
    bench_owner,
    free_port,
    machine_line,
    oncelink_command,
    oncelink_env,
    serve,
    table,
    wrk_tokens,
)

from quart_app import notifications
from quart_app.clock import system_clock
from quart_app.config import load_settings
from quart_app.notifications import Notice, NoticeType, webhooks
from quart_app.notifications.types import CHOSEN_TYPES
from quart_app.services import build_services, start, stop
from quart_app.share_requests import ShareRequest
from quart_app.shares import create_share

sys.path.insert(0, str(ROOT))
from tests.servers import postgres_server

WITHOUT, WITH = "without webhooks", "a webhook on every link"
WARM_UP = 2.0
Runs = dict[str, list[tuple[float, float]]]  # each server's (requests/s, CPU µs/request)


@contextlib.contextmanager
def receiver() -> Iterator[str]:
    """The receiver (bench/receiver.py) in a process of its own: its base URL."""
    port = free_port()
    process = subprocess.Popen([sys.executable, str(BENCH / "receiver.py"), str(port)])
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            with contextlib.suppress(httpx.TransportError):
                httpx.get(base + "/count", timeout=1)
                break
            time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        process.wait()


def waiting(database: Path) -> int:
    with contextlib.closing(sqlite3.connect(database)) as conn:
        return int(conn.execute("SELECT count(*) FROM outbox").fetchone()[0])


def drained(database: Path, limit: float = 120) -> float:
    """Seconds until the outbox is empty."""
    began = time.monotonic()
    while waiting(database) and time.monotonic() - began < limit:
        time.sleep(0.05)
    return time.monotonic() - began


def redemption_cost(args: argparse.Namespace, work: Path, receiving: str) -> None:
    config = work / "hypercorn.toml"
    config.write_text(
        (ROOT / "hypercorn.toml").read_text().replace('accesslog = "-"', "accesslog = false")
    )
    per_run = 2000 if args.tiny else int(6000 * max(args.seconds, WARM_UP)) + 1000
    with contextlib.ExitStack() as servers:
        versions = []
        for name in (WITHOUT, WITH):
            port, folder = free_port(), work / name.replace(" ", "-")
            env = oncelink_env(folder, port, ONCELINK_WEBHOOK_ALLOW_PRIVATE="on")
            cli(ROOT, env, "user", "add", "bench", "--password-stdin", stdin="bench password\n")
            token = cli(ROOT, env, "token", "create", "bench")
            command = [*oncelink_command(port, 2), "--config", str(config)]
            server = servers.enter_context(serve(name, command, port=port, env=env))
            versions.append(Version(name, ROOT, server, token))
        watched = versions[1]
        hook = {"url": receiving + "/hook", "events": [t.value for t in CHOSEN_TYPES]}
        httpx.post(
            watched.server.base_url + "/api/v1/webhooks",
            json=hook,
            headers={"Authorization": f"Bearer {watched.token}"},
        ).raise_for_status()
        outbox = work / WITH.replace(" ", "-") / "oncelink.sqlite3"
        runs, lags = alternate(versions, work, per_run, args, outbox)
    report(runs, lags)


def alternate(
    versions: list[Version], work: Path, per_run: int, args: argparse.Namespace, outbox: Path
) -> tuple[Runs, list[float]]:
    rounds = 1 if args.tiny else args.rounds
    fresh = {
        v.name: iter(
            [write(v.links(per_run), work / f"{id(v)}-{n}.txt") for n in range(rounds + 1)]
        )
        for v in versions
    }
    runs: Runs = {}
    lags: list[float] = []
    for number in range(-1 if not args.tiny else 0, rounds):  # -1: the warm-up
        for version in versions if number % 2 == 0 else versions[::-1]:
            seconds = WARM_UP if number < 0 else (1.0 if args.tiny else args.seconds)
            result = wrk_tokens(
                version.server, next(fresh[version.name]), connections=32, seconds=seconds
            )
            lag = drained(outbox) if version.name == WITH else 0.0
            if number >= 0:
                runs.setdefault(version.name, []).append((result.rps, result.cpu_us))
                if version.name == WITH:
                    lags.append(lag)
    return runs, lags


def report(runs: Runs, lags: list[float]) -> None:
    print(f"# notifications: redemptions — {machine_line()}, alternating, 32 connections")
    rows = []
    for name, done in runs.items():
        rates, cpu = [r for r, _ in done], [c for _, c in done]
        rows.append(
            [name, statistics.median(rates), spread(rates), statistics.median(cpu), spread(cpu)]
        )
    print(table(["server", "redemptions/s", "range", "CPU µs/request", "range"], rows))
    pairs = list(zip(runs[WITH], runs[WITHOUT], strict=True))
    ratios = [a[0] / b[0] for a, b in pairs]
    cpu = [a[1] / b[1] for a, b in pairs]
    print(
        f"\nwith / without: redemptions/s {statistics.median(ratios):.2f} "
        f"(range {spread(ratios, 2)}), CPU per request {statistics.median(cpu):.2f} "
        f"(range {spread(cpu, 2)}); deliveries still waiting when a run ended were "
        f"done {spread(lags, 1)} s later"
    )


async def drain_rate(
    database: str, work: Path, receiving: str, count: int, rounds: int
) -> list[float]:
    """Deliveries a second of one sender, emptying an outbox of ``count`` notices."""
    env = oncelink_env(work, free_port(), ONCELINK_DATABASE=database)
    settings = replace(load_settings(env), webhook_allow_private=True)
    services = build_services(settings, system_clock)
    await start(services)
    try:
        owner = await bench_owner(services)
        await webhooks.create_webhook(
            services, owner, receiving + "/hook", [NoticeType.LINK_GRANTED]
        )
        share = await create_share(services, owner, ShareRequest("note", "label", 3600, 1, None))
        rates = []
        for _ in range(rounds):
            async with services.db.transaction() as conn:
                for _ in range(count):
                    data = {"address": "203.0.113.0/24", "user_agent": "bench"}
                    notice = Notice(
                        NoticeType.LINK_GRANTED, system_clock(), share.share.id, 1, data
                    )
                    await notifications.enqueue(conn, notice, owner.id)
            began = time.perf_counter()
            sent = await services.sender.drain()
            rates.append(sent / (time.perf_counter() - began))
        return rates
    finally:
        await stop(services)


def drain_report(args: argparse.Namespace, work: Path, receiving: str) -> None:
    count, rounds = (200, 1) if args.tiny else (args.notices, args.rounds)
    print(f"\n# notifications: the outbox drains — {count} notices a round, one sender")
    rows = []
    with postgres_server() as postgres:
        postgres.sql("CREATE DATABASE drain")
        for backend, database in (
            ("sqlite", str(work / "drain" / "oncelink.sqlite3")),
            ("postgresql", postgres.url("drain")),
        ):
            rates = asyncio.run(drain_rate(database, work / backend, receiving, count, rounds))
            rows.append([backend, statistics.median(rates), spread(rates)])
    print(table(["database", "deliveries/s", "range"], rows))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--notices", type=int, default=5000)
    parser.add_argument("--tiny", action="store_true", help="a smoke run")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="oncelink-bench-"))
    with receiver() as receiving:
        redemption_cost(args, work, receiving)
        drain_report(args, work, receiving)


if __name__ == "__main__":
    main()
