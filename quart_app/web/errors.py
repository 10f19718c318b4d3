"""Every error answers with a clear page (or JSON for JSON clients and the API), never a
bare 500."""

from __future__ import annotations

import contextlib
import logging
import traceback
from typing import Any

from quart import Quart, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from .rendering import html, is_htmx, wants_json

log = logging.getLogger(__name__)

MESSAGES = {
    400: "The request could not be understood.",
    403: "You are not allowed to do that.",
    404: "There is nothing here.",
    405: "That method is not allowed here.",
    406: "That kind of answer is not available here.",
    413: "That is too large to accept.",
    429: "Too many requests. Wait a little and try again.",
    431: "The request's headers are too large.",
    500: "Something went wrong on our side. Nothing you sent was lost.",
}


API_PREFIX = "/api/"
PROBLEM_FRAGMENT = "_request_problem.html"  # the answer to a background (htmx) request
MAX_CHAINED = 8  # exceptions of one chain that are logged: a chain may loop


async def drain_body() -> None:
    """Read what is left of the request body before answering early (401, 415, ...).

    Answering while the client is still sending makes the server close the connection, and
    the client then sees a reset instead of our answer. What is left is at most the
    intake's limit: a larger body is refused there, and its connection rightly closes."""
    with contextlib.suppress(HTTPException):
        await request.get_data()


def log_unhandled(logger: logging.Logger, error: BaseException, what: str = "unhandled") -> None:
    """Log an unexpected exception: its type and where it was raised, for it and each
    exception it was raised from or during, and never a message: messages quote values
    (``int()`` quotes the text it refused, a database error the row), and a value may be
    request data, a note or a token."""
    logger.error("%s %s\n%s", what, type(error).__name__, _traceback_without_messages(error))


def _traceback_without_messages(error: BaseException) -> str:
    """As Python prints a traceback, first cause first, with each exception's type alone."""
    parts: list[str] = []
    current: BaseException | None = error
    while current is not None and len(parts) < MAX_CHAINED:
        stack = traceback.format_list(traceback.extract_tb(current.__traceback__))
        parts.append("".join(stack) + type(current).__qualname__)
        cause = current.__cause__
        current = cause or (None if current.__suppress_context__ else current.__context__)
    return "\n\nwhich led to:\n".join(reversed(parts))


async def _answer(status: int, message: str, detail: str | None = None) -> Response:
    if wants_json() or request.path.startswith(API_PREFIX):
        response = jsonify({"error": message, "detail": detail})
        response.status_code = status
        return response
    if is_htmx():
        # A background request asked for a fragment: a whole page must never land in it.
        response = await html(PROBLEM_FRAGMENT, status, message=message)
        response.vary.add("HX-Request")
        return response
    return await html("error.html", status, message=message)


def init_app(app: Quart) -> None:
    @app.errorhandler(HTTPException)
    async def http_error(error: HTTPException) -> Response:
        await drain_body()
        status = error.code or 500
        description = error.description if error.description != type(error).description else None
        message = description or MESSAGES.get(status, error.name)
        response = await _answer(status, message, getattr(error, "detail", None))
        for key, value in error.get_headers():
            if key.lower() != "content-type":
                response.headers[key] = value
        return response

    @app.errorhandler(Exception)
    async def unexpected_error(error: Exception) -> Response:
        log_unhandled(log, error)
        return await _answer(500, MESSAGES[500])

    def log_exception(exception_info: tuple[Any, BaseException | None, Any]) -> None:
        # Quart's own logging of what escapes the handlers (an after-request hook, a
        # background task) would print the message, and the request's path.
        if exception_info[1] is not None:
            log_unhandled(log, exception_info[1])

    app.log_exception = log_exception  # type: ignore[method-assign]
