"""What a log line may hold: no secret path however a request spells it, and nothing that
could forge a line or drive a terminal.

A path like ``/connect/<token>`` is a bearer secret: whoever reads it from a log can open the
link. A request may spell a secret prefix in any case (``/CONNECT/``), percent-encoded once or
more (``/c%6Fnnect/``, ``%2Fconnect%2F``, ``%252F``), with doubled slashes, dot segments or
blanks (``/connect/%20<token>``), and the token it carries still opens the note at its proper
path. So the prefix is looked for in the text fully decoded and case-folded, and nothing after
it is kept: not even the rest of the segment, whatever characters it holds.

A value a client sends may also hold line breaks (``%0a``, ``%0d``) that would forge a log
line, or terminal escapes (``%1b[31m``). ``escape`` writes every character that is not
printable, and the quote and backslash that delimit a logged field, as ``\\xhh`` escapes.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from urllib.parse import unquote

from .paths import SECRET_PATHS

REDACTED = "[redacted]"
# Each secret prefix by its name: "connect" -> "/connect/".
_PREFIXES = {path.strip("/"): path for path in SECRET_PATHS}
# In decoded, case-folded text: a slash or backslash, anything but letters, digits and more
# slashes (dots, blanks, controls), then a prefix's name, where the name ends. No part can
# match a long run twice, so the search takes linear time on any input.
_SECRET = re.compile(
    r"[/\\][^a-z0-9/\\]*(" + "|".join(map(re.escape, _PREFIXES)) + r")(?![a-z0-9_-])"
)
# Beyond this many levels of percent-encoding, nothing is written of the value at all.
MAX_DECODINGS = 8
# Each escaped so that no field's quotes can be forged and an escape reads only one way.
_ESCAPES = {'"': '\\"', "\\": "\\\\"}


def redact(text: str) -> str:
    """``text`` cut at its first secret prefix, however spelled, which ends it redacted."""
    plain = text.isascii() and "%" not in text
    folded = text.lower() if plain else _decoded(text)
    if folded is None:
        return REDACTED
    found = _SECRET.search(folded)
    if found is None:
        return text
    # Plain ASCII folds letter for letter, so what precedes the prefix is kept as sent.
    head = (text if plain else folded)[: found.start()]
    return head + _PREFIXES[found.group(1)] + REDACTED


def _decoded(text: str) -> str | None:
    """``text`` as a server or a proxy might come to read it: percent-decoded until nothing
    changes, with compatibility characters (full-width letters) replaced, case-folded; None
    if it is encoded more deeply than anyone decodes."""
    for _ in range(MAX_DECODINGS):
        decoded = unquote(text, errors="replace")
        if decoded == text:
            return unicodedata.normalize("NFKC", text).casefold()
        text = decoded
    return None


def escape(text: str) -> str:
    """``text`` on one line: unprintable characters, quotes and backslashes escaped."""
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return text
    return "".join(
        char if char.isprintable() and char not in _ESCAPES else _escaped(char) for char in text
    )


def _escaped(char: str) -> str:
    if char in _ESCAPES:
        return _ESCAPES[char]
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def loggable(value: str) -> str:
    """A value a client sent, as a log may show it."""
    return escape(redact(value))


class RedactingFilter(logging.Filter):
    """Rewrites a record so that no handler writes a secret path or a forged line: its
    message and traceback redacted line by line, control characters escaped, and every line
    after the first indented under it, so that none (an exception's message included) can
    pass for a record of its own. Quotes stay as they are: no field of these lines is
    quoted, and tracebacks quote source code."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "oncelink_clean", False):  # another handler's filter did it
            return True
        record.msg, record.args = _cleaned(record.getMessage(), indent_first=False), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = _cleaned(record.exc_text)
        if record.stack_info:
            record.stack_info = _cleaned(record.stack_info)
        record.oncelink_clean = True
        return True


def _cleaned(text: str, *, indent_first: bool = True) -> str:
    lines = [_escape_controls(redact(line)) for line in text.splitlines() or [""]]
    first = ("    " if indent_first else "") + lines[0]
    return "\n".join([first, *("    " + line for line in lines[1:])])


def _escape_controls(text: str) -> str:
    """Unprintable characters escaped, quotes and backslashes left alone (source lines)."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else _escaped(char) for char in text)
