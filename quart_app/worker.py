"""What each process of ``oncelink serve`` sets up before it loads the app: Hypercorn loads
``serving_app()`` (``serving.APPLICATION_PATH``) in every worker process it starts."""

from __future__ import annotations

import multiprocessing

import hypercorn.asyncio.run
from hypercorn.config import Config
from quart import Quart

from . import create_app
from .connection import ClosingTCPServer


def serving_app() -> Quart:
    """The app, in a process whose logging is set up, with Hypercorn's connections adjusted
    (``connection``)."""
    config = _worker_config()
    if config is not None:
        _ = config.log  # Hypercorn builds it late; the app logs from its first moment
    hypercorn.asyncio.run.TCPServer = ClosingTCPServer  # type: ignore[attr-defined]
    return create_app()


def _worker_config() -> Config | None:
    """The Hypercorn config this process was started with, if Hypercorn started it (as
    ``lifecycle.hypercorn_stop_flag`` finds the stop event beside it)."""
    kwargs = getattr(multiprocessing.current_process(), "_kwargs", None) or {}
    config = kwargs.get("config")
    return config if isinstance(config, Config) else None
