"""Running oncelink under Hypercorn: the project's hypercorn.toml, flags on top, the
redacting logger, addresses that only one server may serve, the process's descriptor
limit, and the one-time setup link handed out once by the parent process."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import socket
import sys
from importlib.util import find_spec
from pathlib import Path
from resource import RLIMIT_NOFILE, getrlimit, setrlimit
from typing import TextIO

from hypercorn.config import Config
from hypercorn.run import run

from . import accounts
from .config import load_settings
from .logs import ServingLogger
from .resources import HYPERCORN_SETTINGS, resource
from .services import Services, open_services
from .storage.queries.users import count_users

# Each worker process loads the app through worker.py, which sets the process up first.
APPLICATION_PATH = "quart_app.worker:serving_app()"


class AddressInUse(Exception):
    """Something serves the address already; the message says which and what to do."""

    def __init__(self, address: str) -> None:
        super().__init__(
            f"{address} is in use already: is another oncelink serving it? Stop that one, "
            "or choose another address with --host and --port."
        )


def hypercorn_config(
    config_file: Path | None, *, host: str | None, port: int | None, workers: int | None
) -> Config:
    path = config_file or resource(HYPERCORN_SETTINGS)
    config = Config.from_toml(path) if path.exists() else Config()
    config.application_path = APPLICATION_PATH
    config.logger_class = ServingLogger
    if host is not None or port is not None:
        default_host, _, default_port = config.bind[0].rpartition(":")
        config.bind = [f"{host or default_host}:{port if port is not None else default_port}"]
    if workers is not None:
        config.workers = workers
    if config.worker_class == "uvloop" and find_spec("uvloop") is None:
        config.worker_class = "asyncio"  # where uvloop has no build (Windows, PyPy)
    return config


async def prepare(services: Services) -> str | None:
    """Migrate the database before workers start; the setup link if no user exists yet."""
    if await count_users(services.db.reader) == 0:
        return accounts.setup_link(services)
    return None


def claim_addresses(config: Config) -> None:
    """Bind and listen on every TCP address of the config here, in the parent process, and
    hand the sockets to Hypercorn's workers as inherited file descriptors; AddressInUse if
    anything serves one of them already.

    With several workers Hypercorn binds with SO_REUSEPORT, and so would a second server on
    the same address: it would start without a word and take half of the connections. A
    socket bound without SO_REUSEPORT shares its port with nothing."""
    config.bind = [_claim(address, config.backlog) for address in config.bind]
    config.insecure_bind = [_claim(address, config.backlog) for address in config.insecure_bind]


def _claim(address: str, backlog: int) -> str:
    if address.startswith(("unix:", "fd://")):
        return address
    # As Hypercorn reads a bind: "host:port", "[v6 host]:port".
    host, _, port = address.replace("[", "").replace("]", "").rpartition(":")
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    # Connections of a server that just stopped (TIME_WAIT) do not hold the address.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, int(port)))
        sock.listen(backlog)  # at once: a bound socket that does not listen yet can be shared
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise AddressInUse(address) from None
        raise
    return f"fd://{sock.detach()}"


def serve(config: Config) -> int:
    if not os.environ.get("ONCELINK_BASE_URL"):
        # Without a public URL, links point at where we listen; workers inherit this.
        os.environ["ONCELINK_BASE_URL"] = f"http://{config.bind[0]}"
    claim_addresses(config)
    # Loading settings here creates any missing key files before the workers race to.
    settings = load_settings()

    async def startup() -> str | None:
        async with open_services(settings) as services:
            return await prepare(services)

    link = asyncio.run(startup())
    raise_descriptor_limit()
    if config.workers == 0:  # Hypercorn serves in this process: its logging starts now
        _ = config.log
    if link:
        hand_out_setup_link(link)
    return run(config)


def hand_out_setup_link(link: str, console: TextIO | None = None) -> None:
    """Print the link on stderr, which carries no log line (``logs`` writes the logs to
    stdout): a terminal shows it, and logs sent to a file never hold it."""
    print(
        "\noncelink has no users yet. Open this one-time link to create the first admin:\n"
        f"\n    {link}\n\nIt stops working once any user exists.\n",
        file=console or sys.stderr,
        flush=True,
    )


def raise_descriptor_limit() -> None:
    """Let this process and the workers it starts open as many descriptors as the system
    allows: each connection takes one, and the usual soft limit (1024) runs out first."""
    soft, hard = getrlimit(RLIMIT_NOFILE)
    if soft < hard:
        with contextlib.suppress(ValueError, OSError):  # an unlimited hard limit, say
            setrlimit(RLIMIT_NOFILE, (hard, hard))
