"""Scaling out: redemptions per second with 1, 2 and 3 oncelink instances on one PostgreSQL,
and the same on one SQLite file, on this machine.

Every instance is its own `oncelink serve` with one worker, on a loopback port, with rate
limits off. One wrk per instance POSTs distinct valid links (each answered 200 once) on
keep-alive connections; the total number of connections stays the same whatever the number
of instances. PostgreSQL runs with fsync on, like SQLite's synchronous=FULL. Figures are
printed, not asserted: on a shared machine only ratios from one run mean anything.

    python bench/scale_out.py [--seconds 5] [--connections 48] [--tiny]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import bench_owner  # noqa: E402

from quart_app.config import load_settings  # noqa: E402
from quart_app.services import open_services  # noqa: E402
from quart_app.share_requests import ShareRequest  # noqa: E402
from quart_app.shares import create_share  # noqa: E402
from tests.servers import free_port, postgres_server  # noqa: E402

ONCELINK = Path(sys.executable).with_name("oncelink")
SCRIPT = Path(__file__).with_suffix(".lua")
SIGNING_KEY = "bench-signing-key-0123456789abcdefghijklmnop"
INSTANCES = (1, 2, 3)
LINKS_PER_SHARE = 10
RESULT = re.compile(r"RESULT (.*)")


@dataclass
class Run:
    backend: str
    instances: int
    granted: int
    refused: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float


def instance_env(folder: Path, port: int, database: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONCELINK_")}
    return env | {
        "ONCELINK_INSTANCE": str(folder),
        "ONCELINK_DATABASE": database,
        "ONCELINK_BASE_URL": f"http://127.0.0.1:{port}",
        "ONCELINK_SIGNING_KEYS": SIGNING_KEY,
        "ONCELINK_SECRET_KEY": "bench-secret-key-0123456789abcdefghijklmnop",
        "ONCELINK_NOTE_KEYS": "bench-note-key-0123456789abcdefghijklmnopq",
        "ONCELINK_RATE_LIMITS": "off",
    }


@contextlib.contextmanager
def instances(folder: Path, database: str, count: int) -> Iterator[list[str]]:
    """``count`` instances on one database; yields their base URLs."""
    processes, urls = [], []
    try:
        for number in range(count):
            port = free_port()
            home = folder / f"instance{number}"
            home.mkdir(parents=True)
            command = [str(ONCELINK), "serve", "--host", "127.0.0.1", "--port", str(port)]
            with (home / "server.log").open("wb") as log:
                processes.append(
                    subprocess.Popen(
                        [*command, "--workers", "1"],
                        env=instance_env(home, port, database),
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
            urls.append(f"http://127.0.0.1:{port}")
        for url, process in zip(urls, processes, strict=True):
            wait_until_up(url, process)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


def wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"an instance exited early ({url})")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(url + "/login", timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"an instance did not start ({url})")


async def issue_paths(folder: Path, database: str, count: int) -> list[str]:
    """``count`` fresh link paths (/connect/...), of shares of LINKS_PER_SHARE links each,
    shuffled: like many people's links being opened, not one share's in a row."""
    env = instance_env(folder, 0, database)
    async with open_services(load_settings(env)) as services:
        user = await bench_owner(services)
        paths: list[str] = []
        while len(paths) < count:
            links = min(LINKS_PER_SHARE, count - len(paths))
            created = await create_share(services, user, ShareRequest("note", "", 3600, links))
            paths += ["/connect/" + link.url.rsplit("/connect/", 1)[1] for link in created.links]
        random.shuffle(paths)
        return paths


def load(folder: Path, urls: list[str], paths: list[str], seconds: int, connections: int) -> Run:
    """One wrk per instance at once, each with its own share of the paths."""
    wrks = []
    for number, url in enumerate(urls):
        path_file = folder / f"paths-{len(urls)}-{number}.txt"
        path_file.write_text("\n".join(paths[number :: len(urls)]) + "\n")
        per_instance = max(1, connections // len(urls))
        command = [shutil.which("wrk") or "wrk", "-t1", f"-c{per_instance}", f"-d{seconds}s"]
        command += ["-s", str(SCRIPT), url, "--", str(path_file)]
        wrks.append(subprocess.Popen(command, stdout=subprocess.PIPE, text=True))
    fields: dict[str, float] = {"granted": 0, "refused": 0, "errors": 0, "seconds": 0}
    p50, p99 = [], []
    for wrk in wrks:
        output, _ = wrk.communicate(timeout=seconds + 60)
        found = RESULT.search(output)
        if found is None:
            raise RuntimeError(f"wrk printed no result:\n{output}")
        values = {k: float(v) for k, v in (pair.split("=") for pair in found.group(1).split())}
        for key in ("granted", "refused", "errors"):
            fields[key] += values[key]
        fields["seconds"] = max(fields["seconds"], values["seconds"])
        p50.append(values["p50_ms"])
        p99.append(values["p99_ms"])
    return Run(
        "",
        len(urls),
        int(fields["granted"]),
        int(fields["refused"]),
        int(fields["errors"]),
        fields["seconds"],
        sum(p50) / len(p50),
        max(p99),
    )


def bench_backend(backend: str, database: str, folder: Path, args: argparse.Namespace) -> list[Run]:
    # Enough links for a fast machine; a run that used them all says so (refused > 0).
    per_run = int(args.seconds * (1500 if args.tiny else 4000))
    paths = asyncio.run(issue_paths(folder, database, per_run * len(INSTANCES)))
    runs = []
    with instances(folder, database, max(INSTANCES)) as urls:
        for count in INSTANCES:
            # Idle instances cost nothing: each run loads only the first `count` of them.
            batch, paths = paths[:per_run], paths[per_run:]
            run = load(folder, urls[:count], batch, args.seconds, args.connections)
            run.backend = backend
            runs.append(run)
    return runs


def print_table(runs: list[Run]) -> None:
    print(f"{'backend':<11}{'instances':>10}{'redeemed/s':>12}{'p50 ms':>9}{'p99 ms':>9}  notes")
    for run in runs:
        notes = []
        if run.refused:
            notes.append(f"{run.refused} repeats (ran out of links)")
        if run.errors:
            notes.append(f"{run.errors} socket errors")
        rate = run.granted / run.seconds if run.seconds else 0.0
        print(
            f"{run.backend:<11}{run.instances:>10}{rate:>12.0f}"
            f"{run.p50_ms:>9.2f}{run.p99_ms:>9.2f}  {', '.join(notes)}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=48)
    parser.add_argument("--tiny", action="store_true", help="a second per run: proves it works")
    args = parser.parse_args()
    if args.tiny:
        args.seconds, args.connections = 1, 6
    print(
        f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; {args.seconds} s per run",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="oncelink-bench-") as temp:
        folder = Path(temp)
        runs = bench_backend(
            "sqlite", str(folder / "sqlite" / "bench.sqlite3"), folder / "sqlite", args
        )
        with postgres_server(durable=True) as postgres:
            postgres.sql("CREATE DATABASE bench")
            runs += bench_backend("postgresql", postgres.url("bench"), folder / "pg", args)
    print_table(runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
