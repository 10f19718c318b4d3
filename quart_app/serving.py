"""Running oncelink under Hypercorn: the project's hypercorn.toml, flags on top, the
redacting logger, and the one-time setup link printed once by the parent process."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from hypercorn.config import Config
from hypercorn.run import run

from . import PROJECT_ROOT, accounts, store
from .clock import system_clock
from .config import Settings, load_settings
from .redaction import RedactingAccessLogger
from .services import Services, build_services

APPLICATION_PATH = "quart_app:create_app()"


@asynccontextmanager
async def open_services(settings: Settings | None = None) -> AsyncIterator[Services]:
    """Services with an open database, for commands that run outside a server."""
    services = build_services(settings or load_settings(), system_clock)
    await services.db.open()
    await services.writer.start()
    try:
        yield services
    finally:
        await services.writer.stop()
        await services.db.close()


def hypercorn_config(
    config_file: Path | None, *, host: str | None, port: int | None, workers: int | None
) -> Config:
    path = config_file or PROJECT_ROOT / "hypercorn.toml"
    config = Config.from_toml(path) if path.exists() else Config()
    config.application_path = APPLICATION_PATH
    config.logger_class = RedactingAccessLogger
    if host is not None or port is not None:
        default_host, _, default_port = config.bind[0].rpartition(":")
        config.bind = [f"{host or default_host}:{port if port is not None else default_port}"]
    if workers is not None:
        config.workers = workers
    return config


async def prepare(services: Services) -> str | None:
    """Migrate the database before workers start; the setup link if no user exists yet."""
    if await store.count_users(services.db.reader) == 0:
        return accounts.setup_link(services)
    return None


def serve(config: Config) -> int:
    if not os.environ.get("ONCELINK_BASE_URL"):
        # Without a public URL, links point at where we listen; workers inherit this.
        os.environ["ONCELINK_BASE_URL"] = f"http://{config.bind[0]}"
    # Loading settings here creates any missing key files before the workers race to.
    settings = load_settings()

    async def startup() -> str | None:
        async with open_services(settings) as services:
            return await prepare(services)

    link = asyncio.run(startup())
    if link:
        print(
            "\noncelink has no users yet. Open this one-time link to create the first admin:\n"
            f"\n    {link}\n\nIt stops working once any user exists.\n",
            file=sys.stderr,
            flush=True,
        )
    return run(config)
