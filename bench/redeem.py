"""Targets 1 and 2, like with like: redeeming distinct valid links (fsync'd) and rejecting
forged, expired and garbage ones on oncelink as shipped, against the tutorial app (Flask,
an in-memory dict) under gunicorn with as many workers as oncelink's hypercorn.toml gives.

Rows: the tutorial redeeming its tokens and refusing unknown ones; `oncelink serve` with the
project's own hypercorn.toml (access log on) redeeming and rejecting; the same without its
access log, so the log's cost is a row of its own; and the floor, a bare ASGI callable on
Hypercorn with the same workers and worker class. All servers run side by side; round after
round every load runs at every level, one after the other, so a machine that speeds up or
slows down weighs on all alike. Each ratio is taken within a round, and the table shows the
median and the range over the rounds.

Every server first gets two seconds of the same load, unmeasured, so that the rows show
steady state (for oncelink, after its write-ahead log has grown to its working size).

    python bench/redeem.py [--seconds 5] [--rounds 3] [--tiny]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import tempfile
import tomllib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from common import (
    BIN,
    ROOT,
    SIGNING_KEY,
    LoadResult,
    Server,
    bench_owner,
    free_port,
    machine_line,
    oncelink_command,
    oncelink_env,
    serve,
    table,
    wrk_tokens,
)

from quart_app.clock import FrozenClock, system_clock
from quart_app.config import load_settings
from quart_app.links.tokens import LinkSigner
from quart_app.services import open_services
from quart_app.share_requests import ShareRequest
from quart_app.shares import create_share

TUTORIAL = "tutorial redeem (gunicorn, Flask)"
TUTORIAL_REJECT = "tutorial refusing unknown tokens"
REDEEM = "oncelink redeem, as shipped"
REDEEM_QUIET = "oncelink redeem, no access log"
REJECT = "oncelink reject (forged/expired/garbage)"
FLOOR = "floor: bare ASGI on Hypercorn, no log"
WARM_UP = 2.0  # seconds of unmeasured load before a server's rows
TOKENS_PER_SECOND = 12_000  # more than any server here answers, so no token is sent twice


async def issue_tokens(env: dict[str, str], count: int) -> list[str]:
    settings = load_settings(env)
    async with open_services(settings) as services:
        user = await bench_owner(services)
        tokens: list[str] = []
        while len(tokens) < count:
            batch = min(1000, count - len(tokens))
            created = await create_share(
                services, user, ShareRequest("bench note", "", 3600, batch)
            )
            tokens += [link.url.rsplit("/", 1)[1] for link in created.links]
    return tokens


def rejected_tokens(count: int) -> list[str]:
    """Forged, expired and garbage tokens in equal parts."""
    real = LinkSigner((SIGNING_KEY,), max_ttl=30 * 86400, clock=FrozenClock(system_clock() - 3600))
    forger = LinkSigner(("not-our-key-" + "x" * 32,), max_ttl=30 * 86400, clock=system_clock)
    kinds = [
        lambda i: real.issue(f"s{i}", ttl=300, generation=0),  # expired an hour ago
        lambda i: forger.issue(f"s{i}", ttl=300, generation=0),  # signed with another key
        lambda i: f"garbage{i}",
    ]
    return [kinds[i % 3](i) for i in range(count)]


def write(tokens: list[str], folder: Path, name: str) -> Path:
    path = folder / name
    path.write_text("\n".join(tokens) + "\n")
    return path


@dataclass
class Load:
    """A row of the table: a server, its workers, and where each run gets its tokens."""

    name: str
    workers: int
    server: Server
    tokens: Callable[[], Path]


@dataclass
class Shipped:
    """The project's Hypercorn settings, and copies of them for the other rows."""

    workers: int
    worker_class: str
    quiet: Path  # without the access log


def shipped_settings(work: Path) -> Shipped:
    text = (ROOT / "hypercorn.toml").read_text()
    settings = tomllib.loads(text)
    quiet = work / "quiet.toml"
    quiet.write_text(text.replace('accesslog = "-"', "accesslog = false"))
    return Shipped(settings["workers"], settings.get("worker_class", "asyncio"), quiet)


def median_result(runs: list[LoadResult]) -> LoadResult:
    statuses: Counter[int] = Counter()
    for run in runs:
        statuses.update(run.statuses)
    return LoadResult(
        statistics.median(r.rps for r in runs),
        statistics.median(r.p50_ms for r in runs),
        statistics.median(r.p99_ms for r in runs),
        dict(statuses),
        statistics.median(r.cpu_us for r in runs),
    )


def spread(values: list[float]) -> str:
    """The median, and the range when there is more than one value: ``1.23 (1.10-1.31)``."""
    middle = f"{statistics.median(values):.2f}"
    return middle if len(values) == 1 else f"{middle} ({min(values):.2f}-{max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tiny", action="store_true", help="a one-second smoke run")
    args = parser.parse_args()
    seconds, rounds = (1, 1) if args.tiny else (args.seconds, args.rounds)
    levels = [16] if args.tiny else [16, 32, 64]
    warm_up = 0 if args.tiny else WARM_UP
    runs_each = rounds * len(levels) + (1 if warm_up else 0)
    per_run = int(TOKENS_PER_SECOND * max(seconds, warm_up)) + 2000
    work = Path(tempfile.mkdtemp(prefix="oncelink-bench-"))
    shipped = shipped_settings(work)
    workers = shipped.workers

    # Tokens no run has sent yet: the tutorial's names shifted, oncelink's links issued ahead.
    tutorial_files = iter(
        [
            write([f"t{i + per_run * run}" for i in range(per_run)], work, f"tutorial-{run}.txt")
            for run in range(runs_each)
        ]
    )
    oncelink_port, quiet_port = free_port(), free_port()
    env = oncelink_env(work / "instance", oncelink_port)
    link_files = iter(
        [
            write(asyncio.run(issue_tokens(env, per_run)), work, f"links-{run}.txt")
            for run in range(2 * runs_each)
        ]
    )
    reject_file = write(rejected_tokens(30_000), work, "rejects.txt")

    with contextlib.ExitStack() as servers:

        def start(name: str, command: list[str], port: int, **env: str) -> Server:
            return servers.enter_context(serve(name, command, port=port, env=env))

        port = free_port()
        gunicorn = [str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}"]
        tutorial = start(
            "tutorial",
            [*gunicorn, "bench.tutorial_app:app"],
            port,
            TUTORIAL_TOKENS=str(per_run * runs_each),
        )
        oncelink = start("oncelink", oncelink_command(oncelink_port, workers), oncelink_port, **env)
        quiet = start(
            "oncelink-quiet",
            [*oncelink_command(quiet_port, workers), "--config", str(shipped.quiet)],
            quiet_port,
            **{**env, "ONCELINK_BASE_URL": f"http://127.0.0.1:{quiet_port}"},
        )
        port = free_port()
        hypercorn = [str(BIN / "hypercorn"), "--config", str(shipped.quiet)]
        floor = start("floor", [*hypercorn, "-b", f"127.0.0.1:{port}", "bench.hello_app:app"], port)
        loads = [
            Load(TUTORIAL, workers, tutorial, lambda: next(tutorial_files)),
            Load(REDEEM, workers, oncelink, lambda: next(link_files)),
            Load(REDEEM_QUIET, workers, quiet, lambda: next(link_files)),
            Load(TUTORIAL_REJECT, workers, tutorial, lambda: reject_file),
            Load(REJECT, workers, oncelink, lambda: reject_file),
            Load(FLOOR, workers, floor, lambda: reject_file),
        ]
        for load in loads:
            if warm_up and load.name not in (TUTORIAL_REJECT, REJECT):
                wrk_tokens(load.server, load.tokens(), connections=16, seconds=warm_up)
        runs: dict[tuple[str, int], list[LoadResult]] = {}
        for _ in range(rounds):
            for connections in levels:
                for load in loads:
                    result = wrk_tokens(
                        load.server, load.tokens(), connections=connections, seconds=seconds
                    )
                    runs.setdefault((load.name, connections), []).append(result)

    names = [load.name for load in loads]
    rows = []
    for (name, connections), results in sorted(
        runs.items(), key=lambda item: (names.index(item[0][0]), item[0][1])
    ):
        row = median_result(results)
        ok = row.statuses.get(200, 0)
        other = sum(row.statuses.values()) - ok
        rows.append([name, workers, connections, row.rps, row.p50_ms, row.p99_ms, row.cpu_us])
        rows[-1] += [ok, other]
    print(
        f"# redeem and reject — {machine_line()}; {seconds:g} s per run, keep-alive wrk "
        f"(2 threads); every server {workers} workers (oncelink and the floor: Hypercorn "
        f"{shipped.worker_class} workers; the tutorial: gunicorn sync workers); median of "
        f"{rounds} round{'s' if rounds > 1 else ''}, answers counted over all"
    )
    headers = ["server", "workers", "conns", "req/s", "p50 ms", "p99 ms", "CPU µs/answer"]
    print(table([*headers, "200", "other"], rows))
    print()

    def ratios(a: str, b: str, connections: int, measure: str = "rps") -> list[float]:
        """a's figure over b's, round by round."""
        pairs = zip(runs[(a, connections)], runs[(b, connections)], strict=True)
        return [getattr(x, measure) / getattr(y, measure) for x, y in pairs]

    def log_cost(connections: int) -> list[float]:
        return [1 - ratio for ratio in ratios(REDEEM, REDEEM_QUIET, connections)]

    print(f"# ratios within each round, median (range); {workers} workers on every side")
    print(
        table(
            [
                "conns",
                "redeem/tutorial (>=1.2)",
                "reject/tutorial (>=1.5)",
                "log cost (<=0.10)",
                "redeem p99/tutorial p99 (<=2)",
                "redeem/floor",
            ],
            [
                [
                    c,
                    spread(ratios(REDEEM, TUTORIAL, c)),
                    spread(ratios(REJECT, TUTORIAL_REJECT, c)),
                    spread(log_cost(c)),
                    spread(ratios(REDEEM, TUTORIAL, c, "p99_ms")),
                    spread(ratios(REDEEM, FLOOR, c)),
                ]
                for c in levels
            ],
        )
    )


if __name__ == "__main__":
    main()
