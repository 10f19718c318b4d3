"""What every benchmark shares: starting servers on loopback ports, driving wrk, printing
tables. Figures are printed, never asserted: only ratios from one run mean anything on a
shared machine."""

from __future__ import annotations

import os
import platform
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from quart_app.accounts import NewUser, add_user
from quart_app.services import Services
from quart_app.storage.queries.users import User, user_by_name

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
BIN = Path(sys.executable).parent
SIGNING_KEY = "bench-signing-key-0123456789abcdefghijklmnop"
BENCH_PASSWORD = "bench password"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def ensure_wrk() -> str:
    """wrk from Debian's package; installed on first use."""
    found = shutil.which("wrk")
    if found:
        return found
    print("installing wrk (Debian package) ...", file=sys.stderr)
    subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, stdout=subprocess.DEVNULL)
    return shutil.which("wrk") or "wrk"


@dataclass
class Server:
    name: str
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path


@dataclass
class Command:
    """A server to start: its name, its command line, the port it listens on."""

    name: str
    argv: Sequence[str]
    port: int
    env: dict[str, str] | None = None


@contextmanager
def serve(
    name: str,
    command: Sequence[str],
    *,
    port: int,
    env: dict[str, str] | None = None,
    ready_path: str = "/connect/x",
) -> Iterator[Server]:
    """Run a server command until the block ends; waits until it answers."""
    with serve_all([Command(name, command, port, env)], ready_path=ready_path) as [server]:
        yield server


@contextmanager
def serve_all(
    commands: Sequence[Command], *, ready_path: str = "/connect/x"
) -> Iterator[list[Server]]:
    """Start every server at once, wait until each answers, stop them all after the block."""
    servers = [_start(command) for command in commands]
    try:
        for server in servers:
            _wait_until_up(server, ready_path)
        time.sleep(0.3)  # let every worker finish starting
        yield servers
    finally:
        for server in servers:
            server.process.terminate()
        for server in servers:
            try:
                server.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.process.kill()
            server.log.unlink(missing_ok=True)


def _start(command: Command) -> Server:
    log = Path(tempfile.mkstemp(prefix=f"bench-{command.name}-", suffix=".log")[1])
    env = {**os.environ, **(command.env or {})}
    with log.open("wb") as out:
        process = subprocess.Popen(
            list(command.argv), env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT
        )
    return Server(command.name, f"http://127.0.0.1:{command.port}", process, log)


def _wait_until_up(server: Server, ready_path: str) -> None:
    deadline = time.monotonic() + 60
    while server.process.poll() is None:
        try:
            httpx.get(server.base_url + ready_path, timeout=1)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{server.name} did not start:\n{server.log.read_text()}"
                ) from None
            time.sleep(0.05)
    raise RuntimeError(f"{server.name} exited:\n{server.log.read_text()}")


def oncelink_env(instance: Path, port: int, **extra: str) -> dict[str, str]:
    return {
        "ONCELINK_INSTANCE": str(instance),
        "ONCELINK_BASE_URL": f"http://127.0.0.1:{port}",
        "ONCELINK_SIGNING_KEYS": SIGNING_KEY,
        "ONCELINK_SECRET_KEY": "bench-secret-key-0123456789abcdefghijklmnop",
        "ONCELINK_NOTE_KEYS": "bench-note-key-0123456789abcdefghijklmnopq",
        "ONCELINK_RATE_LIMITS": "off",
        **extra,
    }


def oncelink_command(port: int, workers: int) -> list[str]:
    return [
        str(BIN / "oncelink"),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]


@dataclass
class LoadResult:
    rps: float
    p50_ms: float
    p99_ms: float
    statuses: dict[int, int]
    cpu_us: float  # the server's CPU time (all its processes, user + system) per answer


def wrk_tokens(
    server: Server,
    tokens_file: Path,
    *,
    connections: int,
    seconds: float,
    threads: int = 2,
    method: str = "POST",
    accept: str = "application/json",
) -> LoadResult:
    """POST /connect/<token> (or ``method``) with distinct tokens from the file, keep-alive
    connections, asking for ``accept``."""
    threads = min(threads, connections)
    cpu_before = cpu_seconds(server.process.pid)
    out = subprocess.run(
        [
            ensure_wrk(),
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--latency",
            "-s",
            str(BENCH / "tokens.lua"),
            server.base_url,
            "--",
            str(tokens_file),
            str(threads),
            method,
            accept,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    cpu = cpu_seconds(server.process.pid) - cpu_before
    statuses = {int(s): int(n) for s, n in re.findall(r"STATUS (\d+) (\d+)", out)}
    value = {key: float(v) for key, v in re.findall(r"^(P50|P99|RPS) ([\d.]+)$", out, re.M)}
    answers = max(1, sum(statuses.values()))
    return LoadResult(
        value["RPS"], value["P50"] * 1000, value["P99"] * 1000, statuses, cpu / answers * 1e6
    )


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process and of every process below it, from /proc:
    a server's work, however many workers it has, apart from the load generator's."""
    total = 0.0
    for process in [pid, *descendants(pid)]:
        try:
            stat = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # it ended meanwhile
            continue
        total += (int(stat[11]) + int(stat[12])) / CLOCK_TICKS  # utime, stime
    return total


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``, from each process's parent in /proc."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, pending = [], [pid]
    while pending:
        children = parents.get(pending.pop(), [])
        found += children
        pending += children
    return found


def machine_line() -> str:
    return (
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, {platform.platform()}"
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        "  ".join(
            c.rjust(w) if i else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"
    return str(value)


async def bench_owner(services: Services) -> User:
    """The benchmarks' user, created the first time it is asked for."""
    if await user_by_name(services.db.reader, "bench") is None:
        await add_user(services, NewUser("bench", BENCH_PASSWORD), is_admin=False)
    user = await user_by_name(services.db.reader, "bench")
    assert user is not None
    return user
