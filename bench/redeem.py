"""Targets 1 and 2, like with like: redeeming distinct valid links (fsync'd) and rejecting
forged, expired and garbage ones on oncelink as shipped, against the tutorial app (Flask,
an in-memory dict) under gunicorn with as many workers as oncelink's hypercorn.toml gives.

Rows: the tutorial redeeming its tokens and refusing unknown ones; `oncelink serve` with the
project's own hypercorn.toml (access log on) redeeming and rejecting; the same without its
access log, so the log's cost is a row of its own; the same with the other event loop
(asyncio's if the project ships uvloop's), to check that choice; and the floor, a bare ASGI
callable on Hypercorn with the same workers and worker class. All servers run side by side;
round after round every load runs at every level, one after the other, so a machine that
speeds up or slows down weighs on all alike. Each ratio is taken within a round, and the
table shows the median and the range over the rounds.

Every server first gets two seconds of the same load, unmeasured, so that the rows show
steady state (for oncelink, after its write-ahead log has grown to its working size).

    python bench/redeem.py [--seconds 5] [--rounds 3] [--tiny]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
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
    Command,
    LoadResult,
    Server,
    bench_owner,
    free_port,
    machine_line,
    oncelink_command,
    oncelink_env,
    serve_all,
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
OTHER_REDEEM = "oncelink redeem, {} workers"
OTHER_REJECT = "oncelink reject, {} workers"
FLOOR = "floor: bare ASGI on Hypercorn, no log"
WARM_UP = 2.0  # seconds of unmeasured load before a server's rows


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
    """A row of the table: a server, and where each run gets its tokens."""

    name: str
    server: Server
    tokens: Callable[[], Path]


@dataclass
class Plan:
    seconds: float
    rounds: int
    levels: list[int]
    warm_up: float
    # More than any server here answers, so that no token is sent twice.
    tokens_per_second: int = 12_000

    @property
    def runs_each(self) -> int:
        return self.rounds * len(self.levels) + (1 if self.warm_up else 0)

    @property
    def tokens_per_run(self) -> int:
        return int(self.tokens_per_second * max(self.seconds, self.warm_up)) + 2000


@dataclass
class Shipped:
    """The project's Hypercorn settings, and copies of them for the other rows."""

    workers: int
    worker_class: str
    other_class: str
    quiet: Path  # without the access log
    other_loop: Path  # with the other event loop


def shipped_settings(work: Path) -> Shipped:
    text = (ROOT / "hypercorn.toml").read_text()
    worker_class = tomllib.loads(text).get("worker_class", "asyncio")
    other_class = "asyncio" if worker_class == "uvloop" else "uvloop"
    quiet, other_loop = work / "quiet.toml", work / "other-loop.toml"
    quiet.write_text(text.replace('accesslog = "-"', "accesslog = false"))
    other_loop.write_text(
        re.sub(r"(?m)^worker_class = .*$", "", text) + f'\nworker_class = "{other_class}"\n'
    )
    workers = tomllib.loads(text)["workers"]
    return Shipped(workers, worker_class, other_class, quiet, other_loop)


def start_loads(
    servers: contextlib.ExitStack, shipped: Shipped, plan: Plan, work: Path
) -> list[Load]:
    """Every server, started side by side, and the loads each of them gets."""
    # Tokens no run has sent yet: the tutorial's names shifted, oncelink's links issued ahead.
    per_run, runs_each = plan.tokens_per_run, plan.runs_each
    tutorial_files = iter(
        [
            write([f"t{i + per_run * run}" for i in range(per_run)], work, f"tutorial-{run}.txt")
            for run in range(runs_each)
        ]
    )
    ports = [free_port() for _ in range(5)]
    env = oncelink_env(work / "instance", ports[1])
    link_files = iter(
        [
            write(asyncio.run(issue_tokens(env, per_run)), work, f"links-{run}.txt")
            for run in range(3 * runs_each)
        ]
    )
    rejects = write(rejected_tokens(30_000), work, "rejects.txt")
    tutorial, as_shipped, quiet, other_loop, floor = servers.enter_context(
        serve_all(commands(shipped, ports, env, tutorial_tokens=per_run * runs_each))
    )
    return [
        Load(TUTORIAL, tutorial, lambda: next(tutorial_files)),
        Load(REDEEM, as_shipped, lambda: next(link_files)),
        Load(REDEEM_QUIET, quiet, lambda: next(link_files)),
        Load(OTHER_REDEEM.format(shipped.other_class), other_loop, lambda: next(link_files)),
        Load(TUTORIAL_REJECT, tutorial, lambda: rejects),
        Load(REJECT, as_shipped, lambda: rejects),
        Load(OTHER_REJECT.format(shipped.other_class), other_loop, lambda: rejects),
        Load(FLOOR, floor, lambda: rejects),
    ]


def commands(
    shipped: Shipped, ports: list[int], env: dict[str, str], *, tutorial_tokens: int
) -> list[Command]:
    """The tutorial, oncelink as shipped, without its log, with the other event loop, and
    the floor, on the given ports in that order."""
    workers = shipped.workers
    gunicorn = [str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{ports[0]}"]

    def oncelink(port: int, config: Path | None) -> Command:
        flags = ["--config", str(config)] if config else []
        base_url = {"ONCELINK_BASE_URL": f"http://127.0.0.1:{port}"}
        return Command(
            f"oncelink-{port}", [*oncelink_command(port, workers), *flags], port, env | base_url
        )

    hypercorn = [str(BIN / "hypercorn"), "--config", str(shipped.quiet)]
    return [
        Command(
            "tutorial",
            [*gunicorn, "bench.tutorial_app:app"],
            ports[0],
            {"TUTORIAL_TOKENS": str(tutorial_tokens)},
        ),
        oncelink(ports[1], None),
        oncelink(ports[2], shipped.quiet),
        oncelink(ports[3], shipped.other_loop),
        Command(
            "floor", [*hypercorn, "-b", f"127.0.0.1:{ports[4]}", "bench.hello_app:app"], ports[4]
        ),
    ]


Runs = dict[tuple[str, int], list[LoadResult]]


def measure(loads: list[Load], plan: Plan) -> Runs:
    """Round after round, every load at every level, one after the other."""
    for load in loads if plan.warm_up else ():
        wrk_tokens(load.server, load.tokens(), connections=16, seconds=plan.warm_up)
    runs: Runs = {}
    for _ in range(plan.rounds):
        for connections in plan.levels:
            for load in loads:
                result = wrk_tokens(
                    load.server, load.tokens(), connections=connections, seconds=plan.seconds
                )
                runs.setdefault((load.name, connections), []).append(result)
    return runs


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


def print_rows(runs: Runs, loads: list[Load], shipped: Shipped, plan: Plan) -> None:
    names = [load.name for load in loads]
    rows = []
    for (name, connections), results in sorted(
        runs.items(), key=lambda item: (names.index(item[0][0]), item[0][1])
    ):
        row = median_result(results)
        ok = row.statuses.get(200, 0)
        other = sum(row.statuses.values()) - ok
        rows.append([name, shipped.workers, connections, row.rps, row.p50_ms, row.p99_ms])
        rows[-1] += [row.cpu_us, ok, other]
    print(
        f"# redeem and reject — {machine_line()}; {plan.seconds:g} s per run, keep-alive wrk "
        f"(2 threads); every server {shipped.workers} workers (oncelink and the floor: "
        f"Hypercorn {shipped.worker_class} workers unless the row says; the tutorial: gunicorn "
        f"sync workers); median of {plan.rounds} round{'s' if plan.rounds > 1 else ''}, "
        "answers counted over all"
    )
    headers = ["server", "workers", "conns", "req/s", "p50 ms", "p99 ms", "CPU µs/answer"]
    print(table([*headers, "200", "other"], rows))
    print()


def print_ratios(runs: Runs, shipped: Shipped, plan: Plan) -> None:
    def ratios(a: str, b: str, connections: int, measure: str = "rps") -> list[float]:
        """a's figure over b's, round by round."""
        pairs = zip(runs[(a, connections)], runs[(b, connections)], strict=True)
        return [getattr(x, measure) / getattr(y, measure) for x, y in pairs]

    other = shipped.other_class
    rows = [
        [
            c,
            spread(ratios(REDEEM, TUTORIAL, c)),
            spread(ratios(REJECT, TUTORIAL_REJECT, c)),
            spread([1 - ratio for ratio in ratios(REDEEM, REDEEM_QUIET, c)]),
            spread(ratios(REDEEM, TUTORIAL, c, "p99_ms")),
            spread(ratios(REDEEM, FLOOR, c)),
            spread(ratios(REDEEM, OTHER_REDEEM.format(other), c)),
            spread(ratios(REJECT, OTHER_REJECT.format(other), c)),
        ]
        for c in plan.levels
    ]
    print(f"# ratios within each round, median (range); {shipped.workers} workers on every side")
    headers = ["conns", "redeem/tutorial (>=1.2)", "reject/tutorial (>=1.5)"]
    headers += ["log cost (<=0.10)", "redeem p99/tutorial p99 (<=2)", "redeem/floor"]
    headers += [f"redeem {shipped.worker_class}/{other}", f"reject {shipped.worker_class}/{other}"]
    print(table(headers, rows))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tiny", action="store_true", help="a one-second smoke run")
    args = parser.parse_args()
    if args.tiny:
        plan = Plan(seconds=1, rounds=1, levels=[16], warm_up=0, tokens_per_second=2000)
    else:
        plan = Plan(args.seconds, args.rounds, [16, 32, 64], WARM_UP)
    work = Path(tempfile.mkdtemp(prefix="oncelink-bench-"))
    shipped = shipped_settings(work)
    with contextlib.ExitStack() as servers:
        loads = start_loads(servers, shipped, plan, work)
        runs = measure(loads, plan)
    print_rows(runs, loads, shipped, plan)
    print_ratios(runs, shipped, plan)


if __name__ == "__main__":
    main()
