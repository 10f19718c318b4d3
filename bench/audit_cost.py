"""What the audit trail costs: a link's page (GET, HTML) and its redemption (POST, JSON) on
this checkout, which records an event for each, against another version of oncelink (main
unless told), served side by side on the same machine.

Each version is its own `oncelink serve` (2 workers, no access log, rate limits off), run
from its own source tree with this checkout's virtual environment; its links are made
through its own API. After a warm-up, the loads go round after round, the two versions
alternately and in turn first, so that a machine speeding up or slowing down weighs on both
alike. GETs cycle over a thousand ready links (a GET uses nothing up); redemptions take a
link each. The ratios are this checkout's figure over the other's, one per round. Besides
requests a second, each run reads the CPU time its server's processes used (from /proc), per
request: on a machine shared with other work, a steadier figure than the rate.

    python bench/audit_cost.py [--against main] [--seconds 5] [--rounds 4] [--tiny]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx
from common import (
    BIN,
    ROOT,
    Server,
    free_port,
    machine_line,
    oncelink_command,
    oncelink_env,
    serve,
    table,
    wrk_tokens,
)

WARM_UP = 2.0
PAGE_LINKS = 1000  # the ready links that GETs cycle over
# Each load: its method, what it asks for, and whether a link serves once only.
LOADS = {
    "GET page (HTML)": ("GET", "text/html", False),
    "redeem (POST, JSON)": ("POST", "application/json", True),
}


@dataclass
class Version:
    name: str
    source: Path
    server: Server
    token: str  # the bench user's API token on this version

    def links(self, count: int) -> list[str]:
        """``count`` fresh links, made through this version's API."""
        tokens: list[str] = []
        with httpx.Client(base_url=self.server.base_url, timeout=60) as client:
            while len(tokens) < count:
                batch = min(1000, count - len(tokens))
                answer = client.post(
                    "/api/v1/shares",
                    json={"note": "bench note", "links": batch},
                    headers={"Authorization": f"Bearer {self.token}"},
                )
                answer.raise_for_status()
                tokens += [link["url"].rsplit("/", 1)[1] for link in answer.json()["links"]]
        return tokens


def source_of(ref: str, folder: Path) -> Path:
    """The files of ``ref`` in this repository, unpacked into ``folder``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", ref],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def is_ref(ref: str) -> bool:
    found = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--verify", "--quiet", ref], capture_output=True
    )
    return found.returncode == 0


def cli(source: Path, env: dict[str, str], *args: str, stdin: str = "") -> str:
    done = subprocess.run(
        [str(BIN / "oncelink"), *args],
        input=stdin,
        text=True,
        env={**env, "PYTHONPATH": str(source)},
        capture_output=True,
        check=True,
    )
    return done.stdout.strip()


def write(tokens: list[str], path: Path) -> Path:
    path.write_text("\n".join(tokens) + "\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--against", default=None, help="the git ref to compare with (main, or HEAD without one)"
    )
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--tiny", action="store_true", help="a one-second smoke run")
    args = parser.parse_args()
    against = args.against or ("main" if is_ref("main") else "HEAD")
    seconds, rounds = (1.0, 1) if args.tiny else (args.seconds, args.rounds)
    warm_up = 0.0 if args.tiny else WARM_UP
    work = Path(tempfile.mkdtemp(prefix="oncelink-bench-"))
    config = work / "hypercorn.toml"
    config.write_text(
        (ROOT / "hypercorn.toml").read_text().replace('accesslog = "-"', "accesslog = false")
    )
    sources = {
        "this checkout": ROOT,
        against: source_of(against, work / "against"),
    }
    # Enough fresh links for a run at any rate this machine reaches; the smoke run's figures
    # mean nothing, and it may run out (and be answered 410) without harm.
    per_run = 2000 if args.tiny else int(6000 * max(seconds, warm_up)) + 1000
    with contextlib.ExitStack() as servers:
        versions = []
        for name, source in sources.items():
            port = free_port()
            env = {**oncelink_env(work / name.replace(" ", "-"), port), "PYTHONPATH": str(source)}
            cli(source, env, "user", "add", "bench", "--password-stdin", stdin="bench password\n")
            token = cli(source, env, "token", "create", "bench")
            command = [*oncelink_command(port, 2), "--config", str(config)]
            server = servers.enter_context(serve(name, command, port=port, env=env))
            versions.append(Version(name, source, server, token))
        runs = measure(
            versions,
            work,
            seconds,
            rounds,
            warm_up,
            per_run,
            args.connections,
            strict=not args.tiny,
        )
    report(versions, runs, seconds, rounds, args.connections)


@dataclass
class Run:
    rps: float
    cpu_us: float  # the server's CPU time per answered request


Runs = dict[tuple[str, str], list[Run]]


def measure(
    versions: list[Version],
    work: Path,
    seconds: float,
    rounds: int,
    warm_up: float,
    per_run: int,
    connections: int,
    *,
    strict: bool,
) -> Runs:
    pages = {v.name: write(v.links(PAGE_LINKS), work / f"pages-{id(v)}.txt") for v in versions}
    runs_each = rounds + (1 if warm_up else 0)
    fresh = {
        v.name: iter(
            [write(v.links(per_run), work / f"links-{id(v)}-{n}.txt") for n in range(runs_each)]
        )
        for v in versions
    }

    def run(version: Version, load: str, length: float) -> Run:
        method, accept, once = LOADS[load]
        tokens = next(fresh[version.name]) if once else pages[version.name]
        result = wrk_tokens(
            version.server,
            tokens,
            connections=connections,
            seconds=length,
            method=method,
            accept=accept,
        )
        if strict:  # every answer a success, or the figure measures something else
            assert set(result.statuses) == {200}, (version.name, load, result.statuses)
        return Run(result.rps, result.cpu_us)

    if warm_up:
        for version in versions:
            for load in LOADS:
                run(version, load, warm_up)
    runs: Runs = {}
    for number in range(rounds):
        order = versions if number % 2 == 0 else versions[::-1]
        for load in LOADS:
            for version in order:
                runs.setdefault((version.name, load), []).append(run(version, load, seconds))
    return runs


def report(
    versions: list[Version], runs: Runs, seconds: float, rounds: int, connections: int
) -> None:
    print(
        f"# audit trail cost — {machine_line()}, {seconds:g} s per run, {connections} "
        f"keep-alive connections, {rounds} round{'s' if rounds > 1 else ''}, versions alternating"
    )
    rows = []
    for load in LOADS:
        for version in versions:
            done = runs[(version.name, load)]
            rates, cpu = [r.rps for r in done], [r.cpu_us for r in done]
            rows.append(
                [
                    load,
                    version.name,
                    statistics.median(rates),
                    spread(rates),
                    statistics.median(cpu),
                    spread(cpu),
                ]
            )
    print(table(["load", "version", "req/s", "range", "CPU µs/request", "range"], rows))
    print()
    ours, theirs = versions
    ratio_rows = []
    for load in LOADS:
        pairs = list(zip(runs[(ours.name, load)], runs[(theirs.name, load)], strict=True))
        rates = [a.rps / b.rps for a, b in pairs]
        cpu = [a.cpu_us / b.cpu_us for a, b in pairs]
        ratio_rows.append(
            [
                load,
                statistics.median(rates),
                spread(rates, 2),
                statistics.median(cpu),
                spread(cpu, 2),
            ]
        )
    print(
        table(
            ["load", f"req/s {ours.name} / {theirs.name}", "range", "CPU/request ratio", "range"],
            ratio_rows,
        )
    )


def spread(figures: list[float], digits: int = 0) -> str:
    return f"{min(figures):,.{digits}f}-{max(figures):,.{digits}f}"


if __name__ == "__main__":
    main()
