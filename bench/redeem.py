"""Target 1 and 2: redeeming distinct valid links (fsync'd), and rejecting forged, expired
and garbage ones, against the tutorial's in-memory Flask app and Quart hello-world, all
driven by the same wrk script in one run.

Every server first gets two seconds of the same load, unmeasured, so that the rows show
steady state rather than a server's first seconds (for oncelink, the second in which its
write-ahead log grows from nothing to its working size).

    python bench/redeem.py [--seconds 5] [--tiny]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from common import (
    BIN,
    LoadResult,
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
from quart_app.serving import open_services
from quart_app.shares import ShareRequest, create_share
from quart_app.tokens import LinkSigner


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


def warm(base_url: str, tokens: Path, seconds: float) -> None:
    if seconds:
        wrk_tokens(base_url, tokens, connections=16, seconds=seconds)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--tiny", action="store_true", help="a one-second smoke run")
    args = parser.parse_args()
    seconds = 1 if args.tiny else args.seconds
    levels = [16] if args.tiny else [16, 64]
    warm_up = 0 if args.tiny else WARM_UP
    per_run = int(8000 * max(seconds, warm_up)) + 2000
    work = Path(tempfile.mkdtemp(prefix="oncelink-bench-"))
    rows: list[list[object]] = []
    results: dict[tuple[str, int], LoadResult] = {}

    def record(name: str, workers: int, connections: int, result: LoadResult) -> None:
        results[(name, connections)] = result
        ok = result.statuses.get(200, 0)
        other = sum(result.statuses.values()) - ok
        rows.append(
            [name, workers, connections, result.rps, result.p50_ms, result.p99_ms, ok, other]
        )

    port = free_port()
    tutorial_tokens = write([f"t{i}" for i in range(per_run)], work, "tutorial.txt")
    with serve(
        "tutorial",
        [str(BIN / "gunicorn"), "-w", "1", "-b", f"127.0.0.1:{port}", "bench.tutorial_app:app"],
        port=port,
        env={"TUTORIAL_TOKENS": str(per_run * (len(levels) + 1))},
    ) as server:
        # Each run needs fresh tokens: shift the names so none repeats.
        shifted = [
            write([f"t{i + per_run * run}" for i in range(per_run)], work, f"tutorial-{run}.txt")
            for run in range(len(levels) + 1)
        ]
        warm(server.base_url, shifted[-1], warm_up)
        for connections, tokens in zip(levels, shifted[:-1], strict=True):
            record(
                "tutorial dict (gunicorn, Flask)",
                1,
                connections,
                wrk_tokens(server.base_url, tokens, connections=connections, seconds=seconds),
            )

    for workers in (1, 2):
        port = free_port()
        with serve(
            f"hello{workers}",
            [
                str(BIN / "hypercorn"),
                "--workers",
                str(workers),
                "-b",
                f"127.0.0.1:{port}",
                "bench.hello_app:app",
            ],
            port=port,
        ) as server:
            warm(server.base_url, tutorial_tokens, warm_up)
            for connections in levels:
                record(
                    "Quart hello-world",
                    workers,
                    connections,
                    wrk_tokens(
                        server.base_url, tutorial_tokens, connections=connections, seconds=seconds
                    ),
                )

    port = free_port()
    env = oncelink_env(work / "instance", port)
    token_files = {
        c: write(asyncio.run(issue_tokens(env, per_run)), work, f"links-{c}.txt")
        for c in [*levels, 0]  # 0: the warm-up's
    }
    reject_file = write(rejected_tokens(30_000), work, "rejects.txt")
    config = work / "hypercorn.toml"
    config.write_text(
        (Path(__file__).parent.parent / "hypercorn.toml")
        .read_text()
        .replace('accesslog = "-"', "accesslog = false")
    )
    with serve(
        "oncelink", [*oncelink_command(port, 2), "--config", str(config)], port=port, env=env
    ) as server:
        warm(server.base_url, token_files[0], warm_up)
        for connections in levels:
            record(
                "oncelink redeem (FULL fsync)",
                2,
                connections,
                wrk_tokens(
                    server.base_url,
                    token_files[connections],
                    connections=connections,
                    seconds=seconds,
                ),
            )
        for connections in levels:
            record(
                "oncelink reject (forged/expired/garbage)",
                2,
                connections,
                wrk_tokens(server.base_url, reject_file, connections=connections, seconds=seconds),
            )

    print(f"# redeem and reject — {machine_line()}, {seconds:g} s per row, keep-alive wrk")
    print(table(["server", "workers", "conns", "req/s", "p50 ms", "p99 ms", "200", "other"], rows))
    print()
    ratio_rows = []
    for connections in levels:
        redeem = results[("oncelink redeem (FULL fsync)", connections)]
        reject = results[("oncelink reject (forged/expired/garbage)", connections)]
        tutorial = results[("tutorial dict (gunicorn, Flask)", connections)]
        hello = [
            r
            for (name, c), r in results.items()
            if name == "Quart hello-world" and c == connections
        ][-1]
        ratio_rows.append(
            [
                connections,
                redeem.rps / tutorial.rps,
                redeem.rps / hello.rps,
                redeem.p99_ms / hello.p99_ms,
                reject.rps / hello.rps,
            ]
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
            ratio_rows,
        )
    )


if __name__ == "__main__":
    main()
