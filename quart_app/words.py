"""Wording that depends on a number. Every page, message and command says "1 link" and
"2 links" through this one helper, so none of them gets it wrong on its own."""

from __future__ import annotations


def plural(count: int, one: str, many: str | None = None) -> str:
    """``one`` for exactly one, otherwise ``many`` (by default ``one`` + "s").

    Give whole phrases where a verb or pronoun agrees with the number:
    ``plural(n, "link stops", "links stop")``, ``plural(n, "it", "them")``."""
    if count == 1:
        return one
    return one + "s" if many is None else many
