"""Logging in a process of ``oncelink serve``: Hypercorn's logger class, set in its config.

The access log computes only the atoms its format names: asking Hypercorn for all of them
(every request header, every environment variable) and scrubbing each cost more than the
rest of a redemption. Every value a client sent is redacted and escaped (``redaction``);
headers that carry credentials and environment atoms (the signing keys live there) are
never written, whatever the format asks for.

Every other line, Hypercorn's errors, the app's own loggers (``quart_app.*``, such as the
sweep's "notes erased") and other libraries' warnings, goes to the error log through the
same redaction.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from http import HTTPStatus
from typing import Any

from hypercorn.config import Config
from hypercorn.logging import Logger as HypercornLogger
from hypercorn.typing import ResponseSummary, WWWScope

from .redaction import REDACTED, RedactingFilter, escape, loggable

APP_LOGGER = "quart_app"
Atom = Callable[[WWWScope, ResponseSummary | None, float], object]
_NAMES = re.compile(r"%\(([^)]*)\)")
_CREDENTIALS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})


class ServingLogger(HypercornLogger):
    """Hypercorn's logger in a serving process: built once per worker, before the app."""

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        if config.errorlog == "-":
            _keep_off_stderr(self.error_logger)
        self._atoms = compile_atoms(config.access_log_format)
        if config.logconfig is None and config.logconfig_dict is None:
            _route_other_logs(self.error_logger)
            _collect_only_what_is_written()
        loggers = (self.error_logger, logging.getLogger(APP_LOGGER), logging.getLogger())
        for handler in {handler for logger in loggers if logger for handler in logger.handlers}:
            handler.addFilter(RedactingFilter())

    async def access(
        self, request: WWWScope, response: ResponseSummary | None, request_time: float
    ) -> None:
        logger = self.access_logger
        if logger is not None and logger.isEnabledFor(logging.INFO):
            logger.info(self.access_log_format, self._atoms(request, response, request_time))

    def atoms(
        self, request: WWWScope, response: ResponseSummary | None, request_time: float
    ) -> Mapping[str, Any]:
        return self._atoms(request, response, request_time)


def _keep_off_stderr(error_logger: logging.Logger | None) -> None:
    """Hypercorn writes "-" as its error log to stderr; oncelink writes it to stdout, with the
    access log, so that stderr carries nothing but the one-time setup link (``serving``):
    whoever sends the logs to a file does not send the link there too."""
    for handler in error_logger.handlers if error_logger else []:
        if isinstance(handler, logging.StreamHandler) and handler.stream is sys.stderr:
            handler.setStream(sys.stdout)


def _route_other_logs(error_logger: logging.Logger | None) -> None:
    """The app's records from INFO up, and everyone's warnings, where Hypercorn's go."""
    handlers = error_logger.handlers if error_logger else [logging.NullHandler()]
    app = logging.getLogger(APP_LOGGER)
    app.handlers, app.propagate = list(handlers), False
    app.setLevel(error_logger.level if error_logger and error_logger.level else logging.INFO)
    root = logging.getLogger()
    root.handlers = list(handlers)
    if error_logger:
        error_logger.propagate = False  # its handlers are the root's now: once is enough


def _collect_only_what_is_written() -> None:
    """Hypercorn's formats name neither the thread nor the calling function: records skip
    looking them up (the logging HOWTO's "Optimization"), a quarter of an access line's cost."""
    logging._srcfile = None
    logging.logThreads = False
    logging.logMultiprocessing = False


def compile_atoms(
    access_log_format: str,
) -> Callable[[WWWScope, ResponseSummary | None, float], dict[str, Any]]:
    """A function that gives the atoms the format names, and no others."""
    atoms = {name: _atom(name) for name in set(_NAMES.findall(access_log_format))}

    def compute(
        scope: WWWScope, response: ResponseSummary | None, seconds: float
    ) -> dict[str, Any]:
        return {name: atom(scope, response, seconds) for name, atom in atoms.items()}

    return compute


def _atom(name: str) -> Atom:
    if name.startswith("{") and len(name) > 3 and name[-2] == "}":
        return _header_atom(name[1:-2].lower(), name[-1])
    return _ATOMS.get(name, _absent)


def _header_atom(header: str, kind: str) -> Atom:
    """``{name}i`` for a request header, ``{name}o`` for a response header."""
    if kind not in ("i", "o"):  # "e", the environment, where the keys may be: never logged
        return _absent
    if header in _CREDENTIALS:
        return lambda scope, response, seconds: REDACTED
    wanted = header.encode("latin-1")
    if kind == "i":
        return lambda scope, response, seconds: _header(scope["headers"], wanted)
    return lambda scope, response, seconds: _header(response["headers"] if response else (), wanted)


def _header(headers: Iterable[tuple[bytes, bytes]], wanted: bytes) -> str:
    for name, value in headers:
        if name.lower() == wanted:
            # As a person would read it: a look-alike letter in UTF-8 must fold like one.
            return loggable(value.decode("utf-8", "replace"))
    return "-"


def _absent(scope: WWWScope, response: ResponseSummary | None, seconds: float) -> str:
    return "-"


def _client(scope: WWWScope, response: ResponseSummary | None, seconds: float) -> str:
    client = scope.get("client")
    return "-" if not client else escape(":".join(str(part) for part in client))


def _method(scope: WWWScope) -> str:
    return scope["method"] if scope["type"] == "http" else "GET"


def _protocol(scope: WWWScope) -> str:
    return scope.get("http_version", "ws")


def _query(scope: WWWScope) -> str:
    return scope["query_string"].decode("latin-1")


def _path_and_query(scope: WWWScope) -> str:
    query = _query(scope)
    return loggable(scope["path"] + ("?" + query if query else ""))


def _status(response: ResponseSummary | None) -> str:
    return "-" if response is None else str(response["status"])


def _phrase(response: ResponseSummary | None) -> str:
    if response is None:
        return "-"
    try:
        return HTTPStatus(response["status"]).phrase
    except ValueError:
        return f"<???{response['status']}???>"


_ATOMS: dict[str, Atom] = {
    "h": _client,
    "l": _absent,
    "t": lambda scope, response, seconds: time.strftime("[%d/%b/%Y:%H:%M:%S %z]"),
    "r": lambda scope, response, seconds: (
        f"{_method(scope)} {loggable(scope['path'])} {_protocol(scope)}"
    ),
    "R": lambda scope, response, seconds: (
        f"{_method(scope)} {_path_and_query(scope)} {_protocol(scope)}"
    ),
    "s": lambda scope, response, seconds: _status(response),
    "st": lambda scope, response, seconds: _phrase(response),
    "S": lambda scope, response, seconds: scope["scheme"],
    "m": lambda scope, response, seconds: _method(scope),
    "U": lambda scope, response, seconds: loggable(scope["path"]),
    "Uq": lambda scope, response, seconds: _path_and_query(scope),
    "q": lambda scope, response, seconds: loggable(_query(scope)),
    "H": lambda scope, response, seconds: _protocol(scope),
    "b": _header_atom("content-length", "o"),
    "B": _header_atom("content-length", "o"),
    "f": _header_atom("referer", "i"),
    "a": _header_atom("user-agent", "i"),
    "T": lambda scope, response, seconds: int(seconds),
    "D": lambda scope, response, seconds: int(seconds * 1_000_000),
    "L": lambda scope, response, seconds: f"{seconds:.6f}",
    "p": lambda scope, response, seconds: f"<{os.getpid()}>",
}
