"""Whole numbers as requests spell them: the one place a number is read from a request.

Only the ASCII digits 0-9 make a number. ``str.isdigit()`` also accepts ``²`` (which
``int()`` then refuses with an exception), and ``int()`` also reads Arabic-Indic and
full-width digits, ``+3`` and ``3_0``: the same value would otherwise be read one way in a
query and another way in a form, a header or a path.
"""

from __future__ import annotations

import re

# For route converters, which match a path segment with a regular expression of their own.
DIGITS = "[0-9]+"
_DIGITS = re.compile(DIGITS)
# A database id or a change counter is at most 2**63 - 1: 19 digits, and not every
# 19-digit number; 18 digits always fit.
MAX_DIGITS = 18


def whole_number(text: str, *, max_digits: int = MAX_DIGITS) -> int | None:
    """The number ``text`` spells in ASCII digits, around which spaces are allowed; None for
    anything else, or for more than ``max_digits`` digits."""
    digits = text.strip()
    if len(digits) > max_digits or not _DIGITS.fullmatch(digits):
        return None
    return int(digits)
