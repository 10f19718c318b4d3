"""A real oncelink under Hypercorn, started as `oncelink serve` in a subprocess."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from quart_app.config import Settings, load_settings

from .conftest import SIGNING_KEY

ONCELINK = Path(sys.executable).with_name("oncelink")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class LiveServer:
    base_url: str
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def settings(self) -> Settings:
        return load_settings(self.env)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def server_env(instance: Path, port: int, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONCELINK_")}
    env.update(
        ONCELINK_INSTANCE=str(instance),
        ONCELINK_BASE_URL=f"http://127.0.0.1:{port}",
        ONCELINK_SIGNING_KEYS=SIGNING_KEY,
        ONCELINK_SECRET_KEY="live-secret-key-0123456789abcdefghijkl",
        ONCELINK_RATE_LIMITS="off",
    )
    env.update(extra)
    return env


@contextmanager
def live_server(
    instance: Path, *, workers: int = 2, config: Path | None = None, **extra: str
) -> Iterator[LiveServer]:
    port = free_port()
    env = server_env(instance, port, **extra)
    log_path = instance / f"server-{port}.log"
    instance.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        command = [str(ONCELINK), "serve", "--host", "127.0.0.1", "--port", str(port)]
        command += ["--workers", str(workers), *(["--config", str(config)] if config else [])]
        process = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    server = LiveServer(f"http://127.0.0.1:{port}", env, process, log_path)
    try:
        _wait_until_up(server, workers)
        yield server
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(server: LiveServer, workers: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{server.log()}")
        # Every worker logs "Running on" once it accepts connections.
        if server.log().count("Running on") >= max(workers, 1):
            try:
                if httpx.get(server.base_url + "/login", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
        time.sleep(0.05)
    raise RuntimeError(f"server did not start:\n{server.log()}")
