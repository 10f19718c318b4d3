"""Target 1 and 2: redeeming distinct valid links (fsync'd), and rejecting forged, expired
and garbage ones, against the tutorial's in-memory Flask app and Quart hello-world, all
driven by the same wrk script in one run. All servers run side by side; the runs go round
after round, every server at every level, and the table shows medians.

Every server first gets two seconds of the same load, unmeasured, so that the rows show
steady state rather than a server's first seconds (for oncelink, the second in which its
write-ahead log grows from nothing to its working size).

    python bench/redeem.py [--seconds 5] [--rounds 3] [--tiny]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from common import (
    BIN,
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
    real = LinkSigner(
        ("bench-signing-key-0123456789abcdefghijklmnop",),
        max_ttl=30 * 86400,
        clock=FrozenClock(system_clock() - 3600),
    )
    forger = LinkSigner(("not-our-key-" + "x" * 32,), max_ttl=30 * 86400, clock=system_clock)
    kinds = [
        lambda i: real.issue(f"s{i}", ttl=300, generation=0),  # expired an hour ago
        lambda i: forger.issue(f"s{i}", ttl=300, generation=0),  # signed with another key
        lambda i: f"garbage{i}",
    ]
    return [kinds[i % 3](i) for i in range(count)]


WARM_UP = 2.0  # seconds of unmeasured load before a server's rows


def write(tokens: list[str], folder: Path, name: str) -> Path:
    path = folder / name
    path.write_text("\n".join(tokens) + "\n")
    return path


REDEEM = "oncelink redeem (FULL fsync)"
REJECT = "oncelink reject (forged/expired/garbage)"
TUTORIAL = "tutorial dict (gunicorn, Flask)"
HELLO = "Quart hello-world"


@dataclass
class Load:
    """A row of the table: a server, and where each run of it gets its tokens."""

    name: str
    workers: int
    server: Server
    tokens: Callable[[], Path]


def median_result(runs: list[LoadResult]) -> LoadResult:
    statuses: Counter[int] = Counter()
    for run in runs:
        statuses.update(run.statuses)
    return LoadResult(
        statistics.median(r.rps for r in runs),
        statistics.median(r.p50_ms for r in runs),
        statistics.median(r.p99_ms for r in runs),
        dict(statuses),
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tiny", action="store_true", help="a one-second smoke run")
    args = parser.parse_args()
    seconds, rounds = (1, 1) if args.tiny else (args.seconds, args.rounds)
    levels = [16] if args.tiny else [16, 64]
    warm_up = 0 if args.tiny else WARM_UP
    runs_each = rounds * len(levels) + (1 if warm_up else 0)
    per_run = int(8000 * max(seconds, warm_up)) + 2000
    work = Path(tempfile.mkdtemp(prefix="oncelink-bench-"))

    # Tokens no run has sent yet: the tutorial's names shifted, oncelink's links issued ahead.
    tutorial_files = iter(
        [
            write([f"t{i + per_run * run}" for i in range(per_run)], work, f"tutorial-{run}.txt")
            for run in range(runs_each)
        ]
    )
    oncelink_port = free_port()
    env = oncelink_env(work / "instance", oncelink_port)
    link_files = iter(
        [
            write(asyncio.run(issue_tokens(env, per_run)), work, f"links-{run}.txt")
            for run in range(runs_each)
        ]
    )
    any_path = write([f"t{i}" for i in range(per_run)], work, "paths.txt")
    reject_file = write(rejected_tokens(30_000), work, "rejects.txt")
    config = work / "hypercorn.toml"
    config.write_text(
        (Path(__file__).parent.parent / "hypercorn.toml")
        .read_text()
        .replace('accesslog = "-"', "accesslog = false")
    )

    with contextlib.ExitStack() as servers:

        def start(name: str, command: list[str], port: int, **env: str) -> Server:
            return servers.enter_context(serve(name, command, port=port, env=env))

        port = free_port()
        tutorial = start(
            "tutorial",
            [str(BIN / "gunicorn"), "-w", "1", "-b", f"127.0.0.1:{port}", "bench.tutorial_app:app"],
            port,
            TUTORIAL_TOKENS=str(per_run * runs_each),
        )
        hello = {}
        for workers in (1, 2):
            port = free_port()
            hello[workers] = start(
                f"hello{workers}",
                [
                    str(BIN / "hypercorn"),
                    *("--workers", str(workers), "-b", f"127.0.0.1:{port}"),
                    "bench.hello_app:app",
                ],
                port,
            )
        oncelink = start(
            "oncelink",
            [*oncelink_command(oncelink_port, 2), "--config", str(config)],
            oncelink_port,
            **env,
        )
        loads = [
            Load(TUTORIAL, 1, tutorial, lambda: next(tutorial_files)),
            Load(HELLO, 1, hello[1], lambda: any_path),
            Load(HELLO, 2, hello[2], lambda: any_path),
            Load(REDEEM, 2, oncelink, lambda: next(link_files)),
            Load(REJECT, 2, oncelink, lambda: reject_file),
        ]
        for load in loads:
            if warm_up and load.name != REJECT:
                wrk_tokens(load.server.base_url, load.tokens(), connections=16, seconds=warm_up)
        # Round after round, every server at every level: a machine that speeds up or slows
        # down meanwhile weighs on all of them alike.
        runs: dict[tuple[str, int, int], list[LoadResult]] = {}
        for _ in range(rounds):
            for connections in levels:
                for load in loads:
                    result = wrk_tokens(
                        load.server.base_url,
                        load.tokens(),
                        connections=connections,
                        seconds=seconds,
                    )
                    runs.setdefault((load.name, load.workers, connections), []).append(result)

    rows = []
    for (name, workers, connections), results in runs.items():
        row = median_result(results)
        ok = row.statuses.get(200, 0)
        other = sum(row.statuses.values()) - ok
        rows.append([name, workers, connections, row.rps, row.p50_ms, row.p99_ms, ok, other])
    names = [load.name for load in loads]
    rows.sort(key=lambda row: (names.index(str(row[0])), row[1], row[2]))
    print(
        f"# redeem and reject — {machine_line()}, {seconds:g} s per run, keep-alive wrk; "
        f"median of {rounds} round{'s' if rounds > 1 else ''}, answers counted over all"
    )
    print(table(["server", "workers", "conns", "req/s", "p50 ms", "p99 ms", "200", "other"], rows))
    print()

    def ratio(a: str, b: str, connections: int, measure: str = "rps") -> float:
        """The median over the rounds of a's figure over b's (2 workers, or the tutorial's)."""
        ours = runs[(a, 1 if a == TUTORIAL else 2, connections)]
        theirs = runs[(b, 1 if b == TUTORIAL else 2, connections)]
        return float(
            statistics.median(
                getattr(x, measure) / getattr(y, measure) for x, y in zip(ours, theirs, strict=True)
            )
        )

    print(
        table(
            [
                "conns",
                "redeem/tutorial (>=1.0)",
                "redeem/hello (>=0.8)",
                "redeem p99/hello p99 (<=2)",
                "reject/hello (>=0.9)",
            ],
            [
                [
                    c,
                    ratio(REDEEM, TUTORIAL, c),
                    ratio(REDEEM, HELLO, c),
                    ratio(REDEEM, HELLO, c, "p99_ms"),
                    ratio(REJECT, HELLO, c),
                ]
                for c in levels
            ],
        )
    )


if __name__ == "__main__":
    main()
