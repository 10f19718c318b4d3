"""A real oncelink under Hypercorn, started as `oncelink serve` in a subprocess."""

from __future__ import annotations

import os
import re
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

from quart_app.accounts import NewUser, add_user
from quart_app.config import Settings, load_settings
from quart_app.secret_requests.asking import Ask
from quart_app.secret_requests.managing import CreatedRequest, create_request
from quart_app.services import open_services
from quart_app.share_requests import ShareRequest
from quart_app.shares import create_share
from quart_app.storage.queries.users import user_by_name

from .conftest import PASSWORD, SIGNING_KEY

ONCELINK = Path(sys.executable).with_name("oncelink")
NOTE = "launch code: orange-giraffe-42"


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
    log_path: Path  # stdout: the access and error logs
    stderr_path: Path  # stderr: the setup link, and nothing else unless the server crashed

    @property
    def settings(self) -> Settings:
        return load_settings(self.env)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def setup_link(self) -> str:
        """The one-time setup link, as the server printed it on stderr."""
        found = re.search(r"^    (http\S+/setup/\S+)$", self.stderr(), re.MULTILINE)
        assert found is not None, self.stderr()
        return found.group(1)

    def crash(self) -> None:
        """kill -9 the server and its workers at once, as a lost machine would stop."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


def server_env(instance: Path, port: int, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONCELINK_")}
    env.update(
        ONCELINK_INSTANCE=str(instance),
        ONCELINK_BASE_URL=f"http://127.0.0.1:{port}",
        ONCELINK_SIGNING_KEYS=SIGNING_KEY,
        ONCELINK_SECRET_KEY="live-secret-key-0123456789abcdefghijkl",
        ONCELINK_NOTE_KEYS="live-note-key-0123456789abcdefghijklmn",
        ONCELINK_RATE_LIMITS="off",
    )
    env.update(extra)
    return env


@dataclass(frozen=True)
class Launch:
    """How a server is started: with which ``oncelink`` command, its flags, from where."""

    workers: int = 1
    config: Path | None = None
    program: Path = ONCELINK
    cwd: Path | None = None


@contextmanager
def live_server(
    instance: Path,
    *,
    workers: int = 2,
    config: Path | None = None,
    program: Path = ONCELINK,
    cwd: Path | None = None,
    **extra: str,
) -> Iterator[LiveServer]:
    launch = Launch(workers, config, program, cwd)
    with _live_servers([instance], launch, extra) as [server]:
        yield server


@contextmanager
def live_servers(
    instances: list[Path], *, workers: int = 1, config: Path | None = None, **extra: str
) -> Iterator[list[LiveServer]]:
    """Several instances, one per folder, with the same settings (a shared database, say);
    started together, and stopped together after the block."""
    with _live_servers(instances, Launch(workers, config), extra) as servers:
        yield servers


@contextmanager
def _live_servers(
    instances: list[Path], launch: Launch, extra: dict[str, str]
) -> Iterator[list[LiveServer]]:
    servers: list[LiveServer] = []
    workers = launch.workers
    try:
        for instance in instances:
            servers.append(_start(instance, launch, extra))
        for server in servers:
            _wait_until_up(server, workers)
        yield servers
    finally:
        for server in servers:
            server.process.send_signal(signal.SIGINT)
        for server in servers:
            _wait_or_kill(server.process)


def _start(instance: Path, launch: Launch, extra: dict[str, str]) -> LiveServer:
    port = free_port()
    env = server_env(instance, port, **extra)
    log_path = instance / f"server-{port}.log"
    stderr_path = instance / f"server-{port}.stderr"
    instance.mkdir(parents=True, exist_ok=True)
    config = ["--config", str(launch.config)] if launch.config else []
    with log_path.open("wb") as log, stderr_path.open("wb") as stderr:
        command = [str(launch.program), "serve", "--host", "127.0.0.1", "--port", str(port)]
        command += ["--workers", str(launch.workers), *config]
        # A session of its own: crash() can kill the server and its workers as one group.
        process = subprocess.Popen(
            command,
            cwd=launch.cwd,
            env=env,
            stdout=log,
            stderr=stderr,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    return LiveServer(f"http://127.0.0.1:{port}", env, process, log_path, stderr_path)


def _wait_or_kill(process: subprocess.Popen[bytes]) -> None:
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _wait_until_up(server: LiveServer, workers: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{server.log()}{server.stderr()}")
        # Every worker logs "Running on" once it accepts connections.
        if server.log().count("Running on") >= max(workers, 1):
            try:
                if httpx.get(server.base_url + "/login", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
        time.sleep(0.05)
    raise RuntimeError(f"server did not start:\n{server.log()}{server.stderr()}")


async def issue_links(
    server: LiveServer,
    count: int,
    *,
    owner: str = "racer",
    note: str = NOTE,
    passphrase: str | None = None,
) -> list[str]:
    """Create a share with ``count`` links (opening with ``passphrase``, if given) on the
    server's database; return their URLs."""
    async with open_services(server.settings) as services:
        if await user_by_name(services.db.reader, owner) is None:
            await add_user(services, NewUser(owner, PASSWORD), is_admin=False)
        user = await user_by_name(services.db.reader, owner)
        assert user is not None
        request = ShareRequest(note, "", 3600, count, None, passphrase)
        created = await create_share(services, user, request)
    return [link.url for link in created.links]


async def ask_for_secret(server: LiveServer, *, owner: str = "asker") -> CreatedRequest:
    """A request for a secret by ``owner`` (made if missing) on the server's database."""
    async with open_services(server.settings) as services:
        if await user_by_name(services.db.reader, owner) is None:
            await add_user(services, NewUser(owner, PASSWORD), is_admin=False)
        user = await user_by_name(services.db.reader, owner)
        assert user is not None
        made = await create_request(services, user, Ask("deploy key", "", 3600))
    assert isinstance(made, CreatedRequest)
    return made
