"""Target 3: POST /api/v1/shares with 1000 links, as the server sees it (one request at a
time, so the figure is the request's own latency, not queueing).

    python bench/create.py [--tiny]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
from common import BIN, free_port, machine_line, oncelink_command, oncelink_env, serve, table


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tiny", action="store_true")
    args = parser.parse_args()
    rounds = 3 if args.tiny else 30
    work = Path(tempfile.mkdtemp(prefix="oncelink-bench-"))
    port = free_port()
    env = oncelink_env(work / "instance", port)
    cli = {**env, "PATH": str(BIN)}
    subprocess.run(
        [str(BIN / "oncelink"), "user", "add", "bench", "--password-stdin"],
        input="bench password\n",
        text=True,
        env=cli,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    token = subprocess.run(
        [str(BIN / "oncelink"), "token", "create", "bench"],
        text=True,
        env=cli,
        check=True,
        capture_output=True,
    ).stdout.strip()
    rows = []
    with serve("oncelink", oncelink_command(port, 1), port=port, env=env) as server:
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            for links in (1, 100, 1000):
                times = []
                for _ in range(rounds):
                    started = time.perf_counter()
                    response = client.post(
                        "/api/v1/shares",
                        json={"note": "bench", "links": links},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                    times.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 201, response.text
                    assert len(response.json()["links"]) == links
                rows.append(
                    [links, statistics.median(times), max(times), len(response.content) / 1024]
                )
    print(f"# create a share through the API — {machine_line()}, {rounds} rounds each")
    print(table(["links", "median ms (target < 100 for 1000)", "max ms", "answer KiB"], rows))


if __name__ == "__main__":
    main()
