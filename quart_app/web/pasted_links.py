"""Links that people paste or post back to us: what token a pasted link carries, and
whether a link is one this server issued."""

from __future__ import annotations

from ..links.tokens import has_token_shape
from ..paths import LINK_PATH


def token_in(pasted: str) -> str:
    """The token of a pasted link: the full URL (with or without a query or fragment that a
    chat app may add), or the bare token."""
    return pasted.strip().rsplit(LINK_PATH, 1)[-1].split("?", 1)[0].split("#", 1)[0]


def is_issued_link(url: str, base_url: str) -> bool:
    """Whether ``url`` has the shape of a link this server issues under ``base_url``."""
    prefix = base_url + LINK_PATH
    return url.startswith(prefix) and has_token_shape(url[len(prefix) :])
