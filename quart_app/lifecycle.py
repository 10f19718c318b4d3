"""What each serving process does when it starts and stops: open the database, sweep
spent notes and old ledger rows now and then, close cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from quart import Quart

from .services import services_of
from .shares import sweep

log = logging.getLogger(__name__)


def init_app(app: Quart) -> None:
    services = services_of(app)
    sweeper: list[asyncio.Task[None]] = []

    async def sweep_forever() -> None:
        while True:
            try:
                report = await sweep(services)
            except Exception:
                # A failed sweep (disk full, database locked for long) must not stop the
                # next one; nothing here is a secret, so the traceback is safe to log.
                log.exception("sweep failed")
            else:
                if report.notes_erased or report.ledger_rows_pruned:
                    log.info(
                        "sweep: %d notes erased, %d ledger rows pruned",
                        report.notes_erased,
                        report.ledger_rows_pruned,
                    )
            await asyncio.sleep(services.settings.sweep_interval)

    @app.before_serving
    async def start() -> None:
        await services.db.open()
        await services.writer.start()
        if services.settings.sweep_interval > 0:
            sweeper.append(asyncio.create_task(sweep_forever()))

    @app.after_serving
    async def stop() -> None:
        for task in sweeper:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        sweeper.clear()
        if services.limits is not None and services.limits.close is not None:
            await services.limits.close()
        await services.writer.stop()
        await services.db.close()
