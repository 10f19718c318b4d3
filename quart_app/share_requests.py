"""What a request for a share, or for more links to one, may ask: the limits, and the
problems a request has, field by field, in words for the person who sent it."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace

from .passphrases import MAX_CHARS as MAX_PASSPHRASE_CHARS
from .passphrases import MIN_CHARS as MIN_PASSPHRASE_CHARS

MAX_NOTE_BYTES = 64 * 1024
MAX_LABEL_CHARS = 200
MIN_TTL = 300
MAX_LINKS = 1000
MAX_RECIPIENT_CHARS = 100
# Control and format characters, line and paragraph separators: nothing a name needs, and
# some of them (bidirectional overrides, zero-width marks) could make one name look like
# another. (Private-use code points, and those Unicode has yet to assign, are let through:
# which code points are unassigned depends on the Unicode version of the server's Python.)
_NOT_IN_NAMES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
# PostgreSQL's text cannot hold the NUL character; it is refused on every backend alike.
NUL = "\x00"
NUL_PROBLEM = "Remove the NUL character (\\0): it cannot be stored."


@dataclass(frozen=True)
class ShareRequest:
    note: str
    label: str
    ttl: int
    links: int  # with recipients, one each
    recipients: tuple[str, ...] | None = None  # link i is for recipients[i - 1]
    passphrase: str | None = None  # the note opens only with it; never stored

    @classmethod
    def for_recipients(
        cls, note: str, label: str, ttl: int, names: Sequence[str], passphrase: str | None
    ) -> ShareRequest:
        """A link for each of ``names``, as sent: they are checked as sent, and stored with
        the spaces around each trimmed (``trimmed``)."""
        return cls(note, label, ttl, len(names), tuple(names), passphrase)

    def trimmed(self) -> ShareRequest:
        """The request as it is stored: the label and each name without spaces around."""
        names = None if self.recipients is None else tuple(n.strip() for n in self.recipients)
        return replace(self, label=self.label.strip(), recipients=names)


def recipients_in(text: str) -> list[str]:
    """The names in a text box: one a line, blank lines skipped."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def problems_with(request: ShareRequest, *, max_ttl: int) -> dict[str, str]:
    """Field name -> what is wrong with it; empty when the request can be carried out."""
    problems: dict[str, str] = {}
    if is_blank(request.note):
        problems["note"] = "Write the note you want to share."
    elif note_too_large(request.note):
        problems["note"] = "The note is too long: at most 64 KiB."
    elif NUL in request.note:
        problems["note"] = NUL_PROBLEM
    if len(request.label) > MAX_LABEL_CHARS:
        problems["label"] = f"The label is too long: at most {MAX_LABEL_CHARS} characters."
    elif NUL in request.label:
        problems["label"] = NUL_PROBLEM
    problems.update(passphrase_problems(request.passphrase))
    if request.recipients is not None:
        problems.update(recipient_problems(request.recipients))
        problems.update(ttl_problems(request.ttl, max_ttl=max_ttl))
    else:
        problems.update(link_problems(request.links, request.ttl, max_ttl=max_ttl))
    return problems


def passphrase_problems(passphrase: str | None) -> dict[str, str]:
    """What is wrong with a passphrase chosen to seal something with (None: none chosen)."""
    if passphrase is None or MIN_PASSPHRASE_CHARS <= len(passphrase) <= MAX_PASSPHRASE_CHARS:
        return {}
    return {
        "passphrase": (
            f"Use a passphrase of {MIN_PASSPHRASE_CHARS} to {MAX_PASSPHRASE_CHARS} characters."
        )
    }


def recipient_problems(names: Sequence[str]) -> dict[str, str]:
    """What is wrong with these recipients' names, as sent, if anything, as one message."""
    if not 1 <= len(names) <= MAX_LINKS:
        return {"recipients": f"Name between 1 and {MAX_LINKS} recipients."}
    for number, name in enumerate(names, start=1):
        if is_blank(name) or len(name) > MAX_RECIPIENT_CHARS:
            return {"recipients": f"Recipient {number}: use 1 to {MAX_RECIPIENT_CHARS} characters."}
        if any(map(refused_in_names, name)):
            return {"recipients": f"Recipient {number}: remove the control characters."}
    return {}


def refused_in_names(char: str) -> bool:
    return unicodedata.category(char) in _NOT_IN_NAMES


def is_blank(text: str) -> bool:
    """Nothing but spaces (of any kind ``str.strip`` removes), or nothing at all."""
    return not text.strip()


def note_too_large(note: str) -> bool:
    return len(note.encode()) > MAX_NOTE_BYTES


def link_problems(count: int, ttl: int | None, *, max_ttl: int) -> dict[str, str]:
    """What is wrong with asking for ``count`` links living ``ttl`` seconds (None: the
    share's default); empty when nothing is."""
    problems = ttl_problems(ttl, max_ttl=max_ttl)
    if not 1 <= count <= MAX_LINKS:
        problems["links"] = f"Ask for between 1 and {MAX_LINKS} links."
    return problems


def ttl_problems(ttl: int | None, *, max_ttl: int) -> dict[str, str]:
    if ttl is not None and not MIN_TTL <= ttl <= max_ttl:
        return {"ttl": f"Links must live between 5 minutes and {max_ttl // 86400} days."}
    return {}
