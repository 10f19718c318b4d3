"""Stopping the tasks a serving process runs beside its requests: sweeps, checkpoints,
polls for changes."""

from __future__ import annotations

import asyncio
from typing import Any


async def stop_task(task: asyncio.Task[Any]) -> None:
    """Cancel the task and return once it has ended.

    ``asyncio.wait`` rather than awaiting the task inside ``suppress(CancelledError)``: that
    would also swallow a cancellation of the caller itself, which must go on."""
    task.cancel()
    await asyncio.wait([task])
    if not task.cancelled() and (error := task.exception()) is not None:
        raise error
