"""Keep link tokens and setup tokens out of every log line.

A path like ``/connect/<token>`` is a bearer secret: whoever reads it from a log can open
the link. Both Hypercorn's access log and the app's own loggers pass through here."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from hypercorn.logging import Logger as HypercornLogger

from .paths import SECRET_PATHS

_SECRET_PATH = re.compile(f"({'|'.join(map(re.escape, SECRET_PATHS))})" + r"[^\s\"'?#]*")


def redact(text: str) -> str:
    return _SECRET_PATH.sub(r"\1[redacted]", text)


class RedactingFilter(logging.Filter):
    """Rewrites a record's message so no secret path survives, whatever its arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


class RedactingAccessLogger(HypercornLogger):
    """Hypercorn's logger with secret paths redacted, in access lines and error lines alike,
    and without environment atoms (``%({NAME}e)s`` would print the signing keys)."""

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        install_filter(*(lg for lg in (self.access_logger, self.error_logger) if lg))

    def atoms(self, request: Any, response: Any, request_time: float) -> Mapping[str, str]:
        atoms = super().atoms(request, response, request_time)
        assert isinstance(atoms, dict)
        for key in list(atoms):
            if key.endswith("}e"):
                del atoms[key]
            elif isinstance(atoms[key], str):
                atoms[key] = redact(atoms[key])
        return atoms


def install_filter(*loggers: logging.Logger) -> None:
    """Filter these loggers' own records and everything their handlers write."""
    for logger in loggers:
        logger.addFilter(RedactingFilter())
        for handler in logger.handlers:
            handler.addFilter(RedactingFilter())
