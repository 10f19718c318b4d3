"""Regular expressions for the OpenAPI document, derived from the rules the API checks by.

A pattern here is read by every client's engine: ECMA-262 (what JSON Schema names), Python's
``re`` and Rust's ``regex`` (which schemathesis and many validators use). So characters are
written as ``\\uXXXX`` escapes, which all three read alike, or, beyond the BMP, as
themselves; ``\\s`` and ``\\p{...}`` are never used, since each engine reads them its own way.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterable, Iterator

Predicate = Callable[[str], bool]

_SURROGATES = range(0xD800, 0xE000)  # no JSON string holds one alone; Rust cannot write one


def anchored(pattern: str) -> str:
    """``pattern`` matching the whole text, not a part of it."""
    return f"^{pattern}$"


@functools.cache
def none_of(*refused: Predicate) -> str:
    """A class of the characters for which none of ``refused`` holds. Each rule's class is
    worked out once per process: every code point is looked at (a tenth of a second)."""
    codes = (code for code in range(sys.maxunicode + 1) if _refused(code, refused))
    return "[^" + "".join(_item(first, last) for first, last in _runs(codes)) + "]"


def _refused(code: int, refused: tuple[Predicate, ...]) -> bool:
    return code not in _SURROGATES and any(test(chr(code)) for test in refused)


def _item(first: int, last: int) -> str:
    return _written(first) if first == last else f"{_written(first)}-{_written(last)}"


def _written(code: int) -> str:
    return f"\\u{code:04X}" if code <= 0xFFFF else chr(code)


def _runs(codes: Iterable[int]) -> Iterator[tuple[int, int]]:
    """Ascending codes as runs of consecutive ones: (first, last)."""
    run: tuple[int, int] | None = None
    for code in codes:
        if run is not None and code != run[1] + 1:
            yield run
            run = None
        run = (code if run is None else run[0], code)
    if run is not None:
        yield run
