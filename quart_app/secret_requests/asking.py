"""What a request for a secret may ask, and what an answer to it may be: the limits, and the
problems with each field in words for the person who sent it."""

from __future__ import annotations

from dataclasses import dataclass

from ..share_requests import (
    MAX_LABEL_CHARS,
    NUL,
    NUL_PROBLEM,
    note_too_large,
    passphrase_problems,
    ttl_problems,
)

MAX_INSTRUCTIONS_CHARS = 2000


@dataclass(frozen=True)
class Ask:
    label: str  # what is asked for, such as "staging database password"
    instructions: str  # shown to the sender, as written
    ttl: int  # seconds the request's link lives
    passphrase: str | None = None  # the answer is sealed so that only it opens it


def problems_with(ask: Ask, *, max_ttl: int) -> dict[str, str]:
    """Field name -> what is wrong with it; empty when the request can be made."""
    problems: dict[str, str] = {}
    if not ask.label.strip():
        problems["label"] = "Say what you need, such as “staging database password”."
    elif len(ask.label) > MAX_LABEL_CHARS:
        problems["label"] = f"Say it in at most {MAX_LABEL_CHARS} characters."
    elif NUL in ask.label:
        problems["label"] = NUL_PROBLEM
    if len(ask.instructions) > MAX_INSTRUCTIONS_CHARS:
        problems["instructions"] = (
            f"The instructions are too long: at most {MAX_INSTRUCTIONS_CHARS} characters."
        )
    elif NUL in ask.instructions:
        problems["instructions"] = NUL_PROBLEM
    return problems | passphrase_problems(ask.passphrase) | ttl_problems(ask.ttl, max_ttl=max_ttl)


def answer_problem(answer: str) -> str | None:
    """What is wrong with an answer as sent, if anything."""
    if not answer.strip():
        return "Write what you want to send."
    if note_too_large(answer):
        return "That is too long: at most 64 KiB."
    if NUL in answer:
        return NUL_PROBLEM
    return None
