"""Throwaway PostgreSQL and Redis servers on free loopback ports, for tests and benchmarks.

Each runs from a fresh temporary folder and is gone, data and all, when its block ends.
`make test` installs the Debian packages (scripts/install-test-servers.sh).
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import asyncpg

POSTGRES_USER = "postgres"
TEST_DATABASE = "oncelink_tests"
_names = itertools.count(1)
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _postgres_bin(program: str) -> str:
    """The newest installed PostgreSQL's program (Debian keeps them off PATH)."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{program}"), key=_major_version)
    path = found[-1] if found else shutil.which(program)
    if path is None:
        raise RuntimeError(f"{program} not found: run scripts/install-test-servers.sh")
    return path


def _major_version(path: str) -> int:
    return int(Path(path).parts[-3]) if Path(path).parts[-3].isdigit() else 0


def _as_server_user() -> dict[str, Any]:
    """initdb and postgres refuse to run as root: drop to the postgres user when we are."""
    if os.geteuid() != 0:
        return {}
    account = pwd.getpwnam(POSTGRES_USER)
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


@dataclass
class PostgresServer:
    port: int
    folder: Path
    _admin: AdminConnection | None = None

    def url(self, database: str) -> str:
        return f"postgresql://{POSTGRES_USER}@127.0.0.1:{self.port}/{database}"

    def sql(self, statement: str, database: str = "postgres") -> str:
        """Run one statement with psql; what it printed, unaligned."""
        done = subprocess.run(
            [_postgres_bin("psql"), "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", statement],
            env={
                **os.environ,
                "PGHOST": "127.0.0.1",
                "PGPORT": str(self.port),
                "PGUSER": POSTGRES_USER,
                "PGDATABASE": database,
            },
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout.strip()

    @contextlib.contextmanager
    def schema(self) -> Iterator[str]:
        """The URL of a new, empty schema of the test database, dropped after the block.

        A schema rather than a database: made in milliseconds, where copying a database
        takes a quarter of a second. The URL's ``search_path`` (which asyncpg passes on to
        the server) makes it the only schema its users see."""
        name = f"test_{os.getpid()}_{next(_names)}"
        self.sql(f"CREATE SCHEMA {name}", TEST_DATABASE)
        try:
            yield f"{self.url(TEST_DATABASE)}?search_path={name}"
        finally:
            self.sql(f"DROP SCHEMA {name} CASCADE", TEST_DATABASE)

    def empty(self, schema_url: str) -> None:
        """Empty every table of a schema made by ``schema()`` but its migration record, and
        restart its ids, as if it were new and migrated: much quicker than a new one."""
        name = schema_url.rpartition("search_path=")[2]
        if self._admin is None:
            self._admin = AdminConnection(self.url(TEST_DATABASE))
        # DELETE, not TRUNCATE: on tables this small it takes a millisecond, not fifty.
        self._admin.execute(
            f"""DO $$ DECLARE item record; BEGIN
                  FOR item IN SELECT tablename FROM pg_tables
                      WHERE schemaname = '{name}' AND tablename <> 'schema_migrations' LOOP
                    EXECUTE format('DELETE FROM %I.%I', '{name}', item.tablename);
                  END LOOP;
                  FOR item IN SELECT sequencename FROM pg_sequences WHERE schemaname = '{name}' LOOP
                    EXECUTE format('ALTER SEQUENCE %I.%I RESTART', '{name}', item.sequencename);
                  END LOOP;
                END $$"""  # noqa: S608 - the name is one schema() made
        )

    def close(self) -> None:
        if self._admin is not None:
            self._admin.close()


class AdminConnection:
    """A connection kept open on a thread and event loop of its own, so that synchronous
    fixtures can run statements without starting psql each time."""

    def __init__(self, url: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._conn = self._run(asyncpg.connect(url))

    def _run(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result()

    def execute(self, statement: str) -> None:
        self._run(self._conn.execute(statement))

    def close(self) -> None:
        self._run(self._conn.close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()


@contextlib.contextmanager
def postgres_server(*, durable: bool = False) -> Iterator[PostgresServer]:
    """A PostgreSQL server of its own. Not ``durable`` (the tests): no fsync, since a lost
    machine loses nothing of value; crashes of the app's processes are still survived."""
    folder = Path(tempfile.mkdtemp(prefix="oncelink-pg-"))
    owner = _as_server_user()
    if owner:
        os.chown(folder, owner["user"], owner["group"])
    process: subprocess.Popen[bytes] | None = None
    try:
        flags = ["--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions"]
        subprocess.run(
            [_postgres_bin("initdb"), "-D", str(folder / "data"), "-U", POSTGRES_USER, *flags],
            check=True,
            capture_output=True,
            **owner,
        )
        server = PostgresServer(free_port(), folder)
        settings = {
            "listen_addresses": "127.0.0.1",
            "port": str(server.port),
            "unix_socket_directories": str(folder),
            "max_connections": "300",
            "fsync": "on" if durable else "off",
            "full_page_writes": "on" if durable else "off",
        }
        options = [arg for key, value in settings.items() for arg in ("-c", f"{key}={value}")]
        with (folder / "server.log").open("wb") as log:
            process = subprocess.Popen(
                [_postgres_bin("postgres"), "-D", str(folder / "data"), *options],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                **owner,
            )
        _wait_for(lambda: _accepts(server.port), process, folder / "server.log")
        server.sql(f"CREATE DATABASE {TEST_DATABASE}")
        try:
            yield server
        finally:
            server.close()
    finally:
        if process is not None:
            _stop(process)
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """A Redis server of its own, keeping nothing on disk; yields its URL."""
    folder = Path(tempfile.mkdtemp(prefix="oncelink-redis-"))
    port = free_port()
    process: subprocess.Popen[bytes] | None = None
    try:
        # Nothing on disk: no snapshots, no append-only file.
        options = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(folder)]
        with (folder / "server.log").open("wb") as log:
            process = subprocess.Popen(
                [shutil.which("redis-server") or "redis-server", "--port", str(port), *options],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        _wait_for(lambda: _redis_answers(port), process, folder / "server.log")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        if process is not None:
            _stop(process)
        shutil.rmtree(folder, ignore_errors=True)


def _wait_for(ready: Any, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text(errors='replace')}")
        if ready():
            return
        time.sleep(0.05)
    raise RuntimeError(f"server did not start:\n{log.read_text(errors='replace')}")


def _accepts(port: int) -> bool:
    ready = subprocess.run(
        [_postgres_bin("pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(port)], check=False
    )
    return ready.returncode == 0


def _redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    # SIGINT: PostgreSQL's fast shutdown (Redis takes it as a plain stop).
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
