"""Telling owners what happened to their links, by signed webhooks and by mail.

``enqueue`` is the one way in: it writes a notice into the outbox in the caller's
transaction, so a notice exists exactly when what it reports committed. A sender task in
every serving process delivers the outbox (``sender``), with retries, at least once.
"""

from .outbox import enqueue
from .types import Notice, NoticeType

__all__ = ["Notice", "NoticeType", "enqueue"]
