"""What each process of ``oncelink serve`` sets up before it loads the app: Hypercorn loads
``serving_app()`` (``serving.APPLICATION_PATH``) in every worker process it starts."""

from __future__ import annotations

import multiprocessing

import hypercorn.asyncio.run
from hypercorn.asyncio.tcp_server import TCPServer
from hypercorn.config import Config
from quart import Quart

from . import create_app


def serving_app() -> Quart:
    """The app, in a process whose logging is set up and whose connections close in time."""
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


class ClosingTCPServer(TCPServer):
    """Hypercorn's connection, closed as soon as the client has closed it.

    Hypercorn (0.18) stops reading at the client's end of stream, but closes its side only
    once every task of the connection has ended, and between requests its idle timer is one:
    the socket then waits in CLOSE_WAIT for ``keep_alive_timeout``, holding a descriptor. At
    a few hundred closing clients a second, a worker runs out of descriptors."""

    async def _read_data(self) -> None:
        await super()._read_data()
        await self.idle_task.stop()  # nothing left to time out: the client is gone
