"""Running oncelink under Hypercorn: the project's hypercorn.toml, flags on top, the
redacting logger, and the one-time setup link printed once by the parent process."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from hypercorn.config import Config
from hypercorn.run import run

from . import accounts
from .config import load_settings
from .redaction import RedactingAccessLogger
from .resources import HYPERCORN_SETTINGS, resource
from .services import Services, open_services
from .storage.queries.users import count_users

APPLICATION_PATH = "quart_app:create_app()"


def hypercorn_config(
    config_file: Path | None, *, host: str | None, port: int | None, workers: int | None
) -> Config:
    path = config_file or resource(HYPERCORN_SETTINGS)
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
    if await count_users(services.db.reader) == 0:
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
