"""What a request for a share, or for more links to one, may ask: the limits, and the
problems a request has, field by field, in words for the person who sent it."""

from __future__ import annotations

from dataclasses import dataclass

MAX_NOTE_BYTES = 64 * 1024
MAX_LABEL_CHARS = 200
MIN_TTL = 300
MAX_LINKS = 1000
# PostgreSQL's text cannot hold the NUL character; it is refused on every backend alike.
NUL = "\x00"
NUL_PROBLEM = "Remove the NUL character (\\0): it cannot be stored."


@dataclass(frozen=True)
class ShareRequest:
    note: str
    label: str
    ttl: int
    links: int


def problems_with(request: ShareRequest, *, max_ttl: int) -> dict[str, str]:
    """Field name -> what is wrong with it; empty when the request can be carried out."""
    problems: dict[str, str] = {}
    if not request.note.strip():
        problems["note"] = "Write the note you want to share."
    elif note_too_large(request.note):
        problems["note"] = "The note is too long: at most 64 KiB."
    elif NUL in request.note:
        problems["note"] = NUL_PROBLEM
    if len(request.label) > MAX_LABEL_CHARS:
        problems["label"] = f"The label is too long: at most {MAX_LABEL_CHARS} characters."
    elif NUL in request.label:
        problems["label"] = NUL_PROBLEM
    problems.update(link_problems(request.links, request.ttl, max_ttl=max_ttl))
    return problems


def note_too_large(note: str) -> bool:
    return len(note.encode()) > MAX_NOTE_BYTES


def link_problems(count: int, ttl: int | None, *, max_ttl: int) -> dict[str, str]:
    """What is wrong with asking for ``count`` links living ``ttl`` seconds (None: the
    share's default); empty when nothing is."""
    problems: dict[str, str] = {}
    if ttl is not None and not MIN_TTL <= ttl <= max_ttl:
        problems["ttl"] = f"Links must live between 5 minutes and {max_ttl // 86400} days."
    if not 1 <= count <= MAX_LINKS:
        problems["links"] = f"Ask for between 1 and {MAX_LINKS} links."
    return problems
