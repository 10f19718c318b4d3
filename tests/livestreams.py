"""A dashboard's live stream as a test opens it: in the app, kept open like a browser tab."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from quart.testing import QuartClient
from quart.typing import TestHTTPConnectionProtocol as StreamConnection

STREAM = {"Accept": "text/event-stream"}


@contextlib.asynccontextmanager
async def live_stream(
    client: QuartClient, peer: str = "192.0.2.1"
) -> AsyncIterator[StreamConnection]:
    """A dashboard's live stream, open until the block ends (as a browser tab keeps it)."""
    scope = {"client": (peer, 1)}
    async with client.request("/shares/events", headers=STREAM, scope_base=scope) as stream:
        await stream.send_complete()
        await stream.receive()  # the answer has begun: its status is known
        yield stream
        await stream.disconnect()
