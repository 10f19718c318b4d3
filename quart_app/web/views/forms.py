"""Reading the dashboard's forms: the new-share form, the form that asks for a secret, and
links posted back for a CSV file; and the one-time nonce by which any form that makes
something is recognised if sent again."""

from __future__ import annotations

import re
import secrets

from werkzeug.datastructures import MultiDict

from ... import share_requests
from ...clock import iso_utc
from ...secret_requests.asking import Ask, problems_with
from ..context import current_services
from ..parsing import whole_number
from ..pasted_links import is_issued_link
from .exports import csv_text

# Each rendering of the new-share form carries a nonce of its own (128 random bits), by which
# the form sent again is recognised.
_NONCE = re.compile(r"[A-Za-z0-9_-]{22}")

TTL_CHOICES = [
    (300, "5 minutes"),
    (3600, "1 hour"),
    (8 * 3600, "8 hours"),
    (86400, "1 day"),
    (7 * 86400, "7 days"),
    (30 * 86400, "30 days"),
]


def form_defaults() -> dict[str, str]:
    return {
        "note": "",
        "label": "",
        "ttl": str(current_services().settings.default_ttl),
        "links": "1",
        "nonce": new_form_nonce(),
        "recipients": "",
        "passphrase": "",
    }


def new_form_nonce() -> str:
    return secrets.token_urlsafe(16)


def form_nonce(form: MultiDict[str, str]) -> str | None:
    """The sent form's nonce; None when it carries none that we could have made."""
    nonce = form.get("nonce", "")
    return nonce if _NONCE.fullmatch(nonce) else None


def ttl_choices() -> list[tuple[int, str]]:
    max_ttl = current_services().settings.max_ttl
    return [(seconds, label) for seconds, label in TTL_CHOICES if seconds <= max_ttl]


def parse_share_form(
    form: MultiDict[str, str],
) -> tuple[share_requests.ShareRequest | None, dict[str, str]]:
    """The request the form asks for, or the problems to show next to its fields: all of
    them at once, so that one round trip is enough to fix the form. Names in the Recipients
    box stand in for the number of links."""
    names = share_requests.recipients_in(form.get("recipients", ""))
    unreadable: dict[str, str] = {}
    numbers: dict[str, int] = {}
    wanted = [("ttl", "Choose how long the links live.")]
    if not names:  # the names stand in for the number of links
        wanted.append(("links", "Give the number of links as a whole number."))
    for field, message in wanted:
        number = whole_number(form.get(field, ""))
        if number is None:
            unreadable[field] = message
        else:
            numbers[field] = number
    settings = current_services().settings
    note, label = form.get("note", ""), form.get("label", "").strip()
    passphrase = form.get("passphrase", "") or None
    # Stand-ins for numbers that could not be read, so the other fields are still checked.
    ttl = numbers.get("ttl", settings.default_ttl)
    request_ = (
        share_requests.ShareRequest.for_recipients(note, label, ttl, names, passphrase)
        if names
        else share_requests.ShareRequest(
            note, label, ttl, numbers.get("links", 1), None, passphrase
        )
    )
    problems = share_requests.problems_with(request_, max_ttl=settings.max_ttl) | unreadable
    return (None, problems) if problems else (request_, {})


def ask_defaults() -> dict[str, str]:
    """The form that asks someone for a secret, as it starts."""
    return {
        "label": "",
        "instructions": "",
        "ttl": str(current_services().settings.default_ttl),
        "passphrase": "",
        "nonce": new_form_nonce(),
    }


def parse_ask_form(form: MultiDict[str, str]) -> tuple[Ask | None, dict[str, str]]:
    """The request the form asks to make, or every problem to show next to its fields."""
    settings = current_services().settings
    ttl = whole_number(form.get("ttl", ""))
    ask = Ask(
        form.get("label", "").strip(),
        form.get("instructions", ""),
        settings.default_ttl if ttl is None else ttl,  # a stand-in, so the rest is checked
        form.get("passphrase", "") or None,
    )
    problems = problems_with(ask, max_ttl=settings.max_ttl)
    if ttl is None:
        problems["ttl"] = "Choose how long the link lives."
    return (None, problems) if problems else (ask, {})


def links_csv(links: list[str], recipients: list[str], expires_at: str) -> str | None:
    """A CSV file of links this server issued, with the recipient of each when they are
    named, or None if any link is not one of ours."""
    base_url = current_services().settings.base_url
    if not 1 <= len(links) <= share_requests.MAX_LINKS:
        return None
    # A Unix time: 11 digits reach the year 5000.
    expires = whole_number(expires_at, max_digits=11)
    if expires is None or not all(is_issued_link(link, base_url) for link in links):
        return None
    stamp = iso_utc(expires)
    if len(recipients) == len(links) and any(recipients):
        rows = [[link, name, stamp] for link, name in zip(links, recipients, strict=True)]
        return csv_text(["link", "recipient", "expires_at"], rows)
    return csv_text(["link", "expires_at"], ([link, stamp] for link in links))
