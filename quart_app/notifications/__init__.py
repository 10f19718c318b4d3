"""Telling owners what happened to their links, by signed webhooks and by mail.

Notices come from the audit trail: every event recorded (``audit.record``) that an owner may
be told of is written into the outbox in the event's own transaction, so a notice exists
exactly when what it reports committed (``outbox``); the sweep adds ``share.expired`` when it
closes a share, with ``enqueue``. A sender task in every serving process delivers the outbox
(``sender``), with retries, at least once.
"""

from .outbox import enqueue
from .types import Notice, NoticeType

__all__ = ["Notice", "NoticeType", "enqueue"]
