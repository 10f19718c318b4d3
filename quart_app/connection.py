"""Hypercorn's TCP connection (0.18), with changes that ``worker`` puts in place:

- It closes as soon as the client has closed. Hypercorn stops reading at the client's end of
  stream but closes its own side only once every task of the connection has ended, and
  between requests its idle timer is one: the socket waited in CLOSE_WAIT for
  ``keep_alive_timeout``, holding a descriptor, and at a few hundred closing clients a second
  a worker would run out of them.
- A response goes out in one write. Hypercorn writes each piece the moment it has it (the
  status line and headers, then the body): two system calls for a small answer. Pieces are
  gathered and written together once the response is complete, or at the latest when the
  event loop next turns.
- No task is made per request for the keep-alive timer. Hypercorn started an idle timer task
  (and ``wait_for`` another inside it) after every response and cancelled it at the next
  request. The timer is a timer handle now, and one task per connection still closes it at
  once, if idle, when the worker stops. (Reading under ``asyncio.timeout`` instead of
  Hypercorn's ``wait_for``, a task per read, was tried and dropped: a client still sending a
  body the server had refused was then never cut off.)
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from hypercorn.asyncio.tcp_server import TCPServer
from hypercorn.events import Closed, Event, RawData, Updated

# Above this much unsent data, write it at once and wait until the socket takes it.
FLUSH_BYTES = 64 * 1024


class ClosingTCPServer(TCPServer):
    _unsent: bytearray
    _flush_soon: asyncio.Handle | None = None
    _idle_timer: asyncio.TimerHandle | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Idle until its first request; armed now, before any of it can arrive.
        self._start_idle_timer()

    async def _read_data(self) -> None:
        await super()._read_data()
        self._stop_idle_timer()
        await self.idle_task.stop()  # nothing left to watch for: the client is gone

    async def protocol_send(self, event: Event) -> None:
        if isinstance(event, RawData):
            return await self._send_data(event.data)
        self._flush()  # the response is complete, or the connection ends
        if not isinstance(event, Updated):
            return await super().protocol_send(event)
        self._stop_idle_timer()
        if event.idle:
            self._start_idle_timer()
        return None

    async def _idle_timeout(self) -> None:
        """Hypercorn starts this once, when the connection opens; it lasts the connection's
        life, and closes it at once if it is idle when the worker stops."""
        await self.context.terminated.wait()
        if self._idle_timer is not None:
            await asyncio.shield(self._initiate_server_close())

    def _start_idle_timer(self) -> None:
        timeout = self.config.keep_alive_timeout
        self._idle_timer = self.loop.call_later(timeout, self._idle_expired)

    def _stop_idle_timer(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None

    def _idle_expired(self) -> None:
        self._idle_timer = None
        self._task_group.spawn(self._initiate_server_close)

    async def _send_data(self, data: bytes) -> None:
        if self._flush_soon is None:
            self._unsent = bytearray()
            self._flush_soon = self.loop.call_soon(self._flush)
        self._unsent += data
        if len(self._unsent) >= FLUSH_BYTES:
            self._flush()
            async with self.send_lock:
                try:
                    await self.writer.drain()
                except (ConnectionError, RuntimeError):
                    await self.protocol.handle(Closed())

    async def _close(self) -> None:
        self._flush()
        self._stop_idle_timer()
        await super()._close()

    def _flush(self) -> None:
        if self._flush_soon is None:
            return
        self._flush_soon.cancel()
        self._flush_soon = None
        # A transport that is closing refuses: its read loop ends and closes the stream.
        with contextlib.suppress(ConnectionError, RuntimeError):
            self.writer.write(self._unsent)
