"""What each serving process does when it starts and stops: open the database, sweep
spent notes and old ledger rows now and then, deliver notifications, feed live dashboards,
close cleanly."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import Callable

from quart import Quart

from ..background import stop_task
from ..notifications.sender import BATCH
from ..services import Services
from ..services import start as start_services
from ..services import stop as stop_services
from ..sweep import sweep
from .context import services_of
from .errors import log_unhandled
from .intake import InFlight, in_flight_of

log = logging.getLogger(__name__)
STOP_CHECK_INTERVAL = 0.1
# Under a steady load, notifications go out a batch every MAX_DEFER seconds (and all at
# once when it eases); at rest, within a second.
MAX_DEFER = 2.0
QUIET_CHECK = 0.05


def hypercorn_stop_flag() -> Callable[[], bool] | None:
    """How to tell that Hypercorn has begun to stop this worker process, if it is one.

    Hypercorn's parent process stops its workers through a multiprocessing event it hands
    each of them as ``shutdown_event``. The app itself hears of the stop only after every open
    response has ended or ``graceful_timeout`` has passed, and a live stream never ends by
    itself; watching the same event lets the streams end first, so the stop stays quick."""
    kwargs = getattr(multiprocessing.current_process(), "_kwargs", None) or {}
    event = kwargs.get("shutdown_event")
    is_set = getattr(event, "is_set", None)
    return is_set if callable(is_set) else None


async def _sweep_forever(services: Services) -> None:
    while True:
        try:
            report = await sweep(services)
        except Exception as error:
            # A failed sweep (disk full, database locked for long) must not stop the next.
            log_unhandled(log, error, "sweep failed:")
        else:
            if report.notes_erased or report.ledger_rows_pruned or report.events_pruned:
                log.info(
                    "sweep: %d notes erased, %d ledger rows and %d audit events pruned",
                    report.notes_erased,
                    report.ledger_rows_pruned,
                    report.events_pruned,
                )
        await asyncio.sleep(services.settings.sweep_interval)


async def _send_forever(services: Services, in_flight: InFlight) -> None:
    """Deliver notifications, requests first: while this process answers requests, a turn
    waits until it answers none, or until MAX_DEFER has passed since the last."""
    loop = asyncio.get_running_loop()
    last_turn = loop.time()
    while True:
        if in_flight.count and loop.time() - last_turn < MAX_DEFER:
            await asyncio.sleep(QUIET_CHECK)
            continue
        last_turn = loop.time()
        try:
            sent = await services.sender.send_due()
        except Exception as error:
            # The outbox keeps what was not delivered: the next turn tries again.
            log_unhandled(log, error, "delivering notifications failed:")
            sent = 0
        if sent < BATCH:  # else more may be due at once
            await asyncio.sleep(services.settings.send_interval)


async def _end_live_streams_on_stop(services: Services, stop_flag: Callable[[], bool]) -> None:
    # A multiprocessing event cannot be awaited; polling it is one cheap check per tick.
    while not stop_flag():  # noqa: ASYNC110
        await asyncio.sleep(STOP_CHECK_INTERVAL)
    await services.db.changes.close()


def init_app(app: Quart) -> None:
    services = services_of(app)
    tasks: list[asyncio.Task[None]] = []

    @app.before_serving
    async def start() -> None:
        await start_services(services)
        if services.settings.sweep_interval > 0:
            tasks.append(asyncio.create_task(_sweep_forever(services)))
        if services.settings.send_interval > 0:
            tasks.append(asyncio.create_task(_send_forever(services, in_flight_of(app))))
        stop_flag = hypercorn_stop_flag()
        if stop_flag is not None:
            tasks.append(asyncio.create_task(_end_live_streams_on_stop(services, stop_flag)))

    @app.after_serving
    async def stop() -> None:
        for task in tasks:
            await stop_task(task)
        tasks.clear()
        if services.limits is not None and services.limits.close is not None:
            await services.limits.close()
        await stop_services(services)
