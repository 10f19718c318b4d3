"""Delivering the outbox: every serving process looks at it every second, takes a turn (see
``Database.sending``) and delivers what is due, side by side, then records each outcome.

At least once: a row leaves the outbox only after its delivery, so a process killed between
taking its rows and recording them leaves them to the next turn, which sends them again
with the same ``webhook-id``. A failed attempt (no answer within 5 s, or not a 2xx) is tried
again after 5 s, 30 s, 2 min, 10 min, 1 h, then every 3 h, each up to 20 % later, until 24 h
after the event; then the notice is marked failed, in its destination's log and the
server's.
"""

from __future__ import annotations

import asyncio
import logging
import random
import ssl
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from ..clock import Clock
from ..config import Settings
from ..storage.base import Database
from ..storage.queries import outbox
from ..storage.queries.destinations import MAIL
from ..storage.queries.outbox import Due, Outcome
from . import messages, outbound, signing
from .mail import Mailer, MailError, notice_mail

BATCH = 200  # notices a turn takes
SENDING_AT_ONCE = 50
RETRY_DELAYS = (5, 30, 120, 600, 3600)  # seconds after each failed attempt, in turn
LATER_RETRY_DELAY = 3 * 3600  # and after those
JITTER = 0.2
GIVE_UP_AFTER = 24 * 3600  # after the event
NO_MAIL = "mail is not set up on this server (ONCELINK_SMTP_URL)"

log = logging.getLogger(__name__)


class Post(Protocol):
    def __call__(
        self,
        url: str,
        body: bytes,
        headers: dict[str, str],
        *,
        allow_private: bool,
        tls: ssl.SSLContext,
    ) -> Awaitable[outbound.Reply]: ...


def next_attempt_at(due: Due, now: float, rng: Callable[[], float] = random.random) -> float | None:
    """When to try again after a failed attempt; None once that would be more than 24 h
    after the event."""
    made = due.attempts + 1
    delay = RETRY_DELAYS[made - 1] if made <= len(RETRY_DELAYS) else LATER_RETRY_DELAY
    when = now + delay * (1 + JITTER * rng())
    return when if when <= due.at + GIVE_UP_AFTER else None


class Sender:
    """This process's sender of notifications."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        settings: Settings,
        mailer: Mailer | None,
        post: Post = outbound.post,
    ) -> None:
        self._db, self._clock, self._settings, self._mailer = db, clock, settings, mailer
        self._post = post
        self._tls = ssl.create_default_context()
        self._at_once = asyncio.Semaphore(SENDING_AT_ONCE)

    async def send_due(self) -> int:
        """One turn: deliver up to a batch of what is due now; how many were tried."""
        async with self._db.sending() as turn:
            if turn is None:
                return 0  # another process is sending
            due = await outbox.due_notices(turn.conn, now=self._clock(), limit=BATCH)
            if not due:
                return 0
            outcomes = await asyncio.gather(*(self._attempt(notice) for notice in due))
            await turn.write(lambda conn: outbox.record_outcomes(conn, outcomes))
        _log_given_up(outcomes)
        return len(due)

    async def drain(self) -> int:
        """Turns until nothing is due now: how many attempts were made."""
        total = 0
        while count := await self.send_due():
            total += count
        return total

    async def _attempt(self, due: Due) -> Outcome:
        async with self._at_once:
            status, error = await self._deliver(due)
        now = self._clock()
        if error is None:
            return Outcome(due, now, status, None)
        return Outcome(due, now, status, error, next_attempt_at(due, now))

    async def _deliver(self, due: Due) -> tuple[int | None, str | None]:
        if due.kind == MAIL:
            return None, await self._mail(due)
        assert due.secret is not None
        body = messages.webhook_body(due.target, due)
        # The receiver checks the signature's time against its own clock (Standard Webhooks
        # libraries refuse one 5 minutes off): the world's time, even under a test's clock.
        sent_at = int(time.time())
        headers = signing.signed_headers(due.secret, due.message_id, sent_at, body)
        allow_private = self._settings.webhook_allow_private
        reply = await self._post(
            due.target, body, headers, allow_private=allow_private, tls=self._tls
        )
        return reply.status, reply.error

    async def _mail(self, due: Due) -> str | None:
        if self._mailer is None:
            return NO_MAIL
        try:
            await self._mailer.send(notice_mail(due, self._settings.base_url))
        except MailError as error:
            return f"mail not sent: {error}"
        return None


def _log_given_up(outcomes: Sequence[Outcome]) -> None:
    for outcome in outcomes:
        if outcome.error is not None and outcome.next_at is None:
            due = outcome.due
            log.warning(
                "notification %s (%s) to %s %s failed for good after %d attempts: %s",
                due.message_id,
                due.type,
                due.kind,
                due.destination_id,
                due.attempts + 1,
                outcome.error,
            )
