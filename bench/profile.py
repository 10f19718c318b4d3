"""Where a worker's time goes: py-spy samples one worker of `oncelink serve` (as shipped)
while wrk redeems or rejects links, or of the floor (a bare ASGI callable on Hypercorn), and
the event loop's samples are summed by part: the socket's send call, Hypercorn with h11 and
the event loop, the door and the redemption, the signature check, SQLite (statements, and
COMMIT with its fsync, on the event loop), the access log; and apart, how long the worker's
other threads were busy (waiting for the other worker's write lock). Needs py-spy (a dev
dependency) and the right to trace a child process.

    python bench/profile.py [--load redeem|reject|floor]... [--seconds 10] [--connections 32]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path

from common import (
    BIN,
    descendants,
    free_port,
    machine_line,
    oncelink_command,
    oncelink_env,
    serve,
    table,
    wrk_tokens,
)
from redeem import issue_tokens, rejected_tokens, write

LOADS = ["redeem", "reject", "floor"]
# The first rule that matches a frame's "function (file:line)" names its part; frames of
# generic modules (json, base64, hmac, ...) match none and count for the frame that called.
PARTS = [
    ("StreamWriter.write (asyncio/streams.py", "send: the socket's send system call"),
    ("quart_app/logs.py", "access log"),
    ("quart_app/redaction.py", "access log"),
    ("(logging/", "access log"),
    ("itsdangerous/", "signature check"),
    ("quart_app/links/tokens.py", "signature check"),
    ("quart_app/storage/", "SQLite: claims, COMMIT and its fsync, write lock"),
    ("(sqlite3/", "SQLite: claims, COMMIT and its fsync, write lock"),
    ("(concurrent/futures/", "handing the write lock's wait to a thread"),
    ("quart_app/", "oncelink: the door, the redemption, answers"),
    ("bench/hello_app.py", "the floor's callable"),
    ("hypercorn/", "Hypercorn, h11 and the event loop"),
    ("h11/", "Hypercorn, h11 and the event loop"),
    ("(asyncio/", "Hypercorn, h11 and the event loop"),
    ("(selectors.py", "Hypercorn, h11 and the event loop"),
]


def part_of(stack: list[str]) -> str:
    for frame in reversed(stack):
        for marker, part in PARTS:
            if marker in frame:
                return part
    return "other"


def summarise(samples: Path) -> tuple[Counter[str], Counter[str], int]:
    """The event loop's samples per part and per innermost function (its own time), and the
    samples of the worker's other threads (waits for the write lock, aiosqlite's)."""
    parts: Counter[str] = Counter()
    functions: Counter[str] = Counter()
    threads = 0
    for line in samples.read_text().splitlines():
        stack_text, _, count = line.rpartition(" ")
        stack = stack_text.split(";")
        if not any("spawn_main" in frame for frame in stack[:3]):  # not the main thread
            threads += int(count)
            continue
        parts[part_of(stack)] += int(count)
        functions[stack[-1]] += int(count)
    return parts, functions, threads


def worker_of(server_pid: int) -> int:
    """One of the server's worker processes (Hypercorn starts them with spawn_main)."""
    for pid in descendants(server_pid):
        with contextlib.suppress(FileNotFoundError):
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                return pid
    raise RuntimeError("no worker process found")


def profile(load: str, seconds: int, connections: int, spy: str) -> None:
    work = Path(tempfile.mkdtemp(prefix="oncelink-profile-"))
    port = free_port()
    env = oncelink_env(work / "instance", port)
    if load == "redeem":
        tokens = write(asyncio.run(issue_tokens(env, 12_000 * (seconds + 1))), work, "links.txt")
    else:
        tokens = write(rejected_tokens(30_000), work, "rejects.txt")
    command = oncelink_command(port, 2)
    if load == "floor":
        command = [str(BIN / "hypercorn"), "-w", "2", "-k", "uvloop", "-b", f"127.0.0.1:{port}"]
        command.append("bench.hello_app:app")
    samples = work / "samples.txt"
    with serve("profiled", command, port=port, env=env) as server:
        wrk = threading.Thread(
            target=wrk_tokens,
            args=(server, tokens),
            kwargs={"connections": connections, "seconds": seconds + 1},
        )
        wrk.start()
        record = [spy, "record", "--pid", str(worker_of(server.process.pid)), "--nonblocking"]
        record += ["--duration", str(seconds), "--rate", "250", "--format", "raw"]
        subprocess.run([*record, "--output", str(samples)], check=True, capture_output=True)
        wrk.join()
    parts, functions, threads = summarise(samples)
    total = sum(parts.values())
    print(
        f"# where one worker's event loop spends its time: {load}, {connections} connections, "
        f"{seconds} s of py-spy samples (time not idle) — {machine_line()}"
    )
    print(table(["part", "% of samples"], [[p, 100 * n / total] for p, n in parts.most_common()]))
    print(
        f"The worker's other threads (waiting for the other worker's write lock, aiosqlite's) "
        f"were busy {100 * threads / total:.0f} % as long again."
    )
    print()
    top = [[f, 100 * n / total] for f, n in functions.most_common(10)]
    print(table(["innermost function (its own time)", "% of samples"], top))
    print()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--load", choices=LOADS, action="append", help="default: each")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--tiny", action="store_true", help="a one-second smoke run")
    args = parser.parse_args()
    spy = shutil.which("py-spy", path=str(BIN)) or shutil.which("py-spy")
    if spy is None:
        sys.exit("py-spy is not installed: .venv/bin/pip install py-spy")
    # The smoke run proves the script works on the path that needs no links issued.
    for load in ["reject"] if args.tiny else args.load or LOADS:
        profile(load, 1 if args.tiny else args.seconds, args.connections, spy)


if __name__ == "__main__":
    main()
