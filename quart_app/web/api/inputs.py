"""What an API request may carry, as pydantic models: bodies, query strings, path parameters.

The OpenAPI document is generated from these, and says exactly what the API accepts: every
value it calls valid is taken, every value it calls invalid is refused. So each limit the
service layer checks (``share_requests``) is written here too, from the same constants and
rules: a range, a length, a pattern (``patterns``). Where JSON Schema cannot say a rule
(the note's 64 KiB are bytes of UTF-8, not characters), the description does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic.config import JsonDict
from pydantic_core import PydanticCustomError

from ... import share_requests
from ...passphrases import MAX_CHARS as MAX_PASSPHRASE_CHARS
from ...passphrases import MIN_CHARS as MIN_PASSPHRASE_CHARS
from ...share_requests import (
    MAX_LABEL_CHARS,
    MAX_LINKS,
    MAX_NOTE_BYTES,
    MAX_RECIPIENT_CHARS,
    MIN_TTL,
    NUL,
)
from ...shares import SHARE_ID_PATTERN
from ..parsing import MAX_DIGITS, whole_number
from .openapi import setting
from .patterns import Predicate, anchored, none_of


class _Body(BaseModel):
    # JSON types exactly as sent: "3", true and 2.5 are not a number of links. Unknown fields
    # are refused, so a misspelt "ttl" cannot silently fall back to the default.
    model_config = ConfigDict(strict=True, extra="forbid")


def _integral(value: object) -> object:
    """JSON has numbers, not integers: 3.0 is the integer 3 (as JSON Schema says), while 2.5,
    "3" and true are no integer at all."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


JsonInteger = Annotated[int, BeforeValidator(_integral)]
_TTL = {"type": "integer", "minimum": MIN_TTL, "maximum": setting("max_ttl")}
Ttl = Annotated[JsonInteger | None, WithJsonSchema({"anyOf": [_TTL, {"type": "null"}]})]
LinkCount = Annotated[
    JsonInteger, WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_LINKS})
]
TTL_TEXT = (
    "Seconds each link lives: 300 up to the server's MAX_TTL (30 days unless configured). "
    "Omitted or null: "
)


def _is_nul(char: str) -> bool:
    return char == NUL


def _not_blank(*refused: Predicate) -> str:
    """Texts of characters none of ``refused`` are, with one that is not a space too."""
    some = none_of(*refused)
    return anchored(f"{some}*{none_of(*refused, str.isspace)}{some}*")


def _documented(make: Callable[[], JsonDict]) -> Callable[[JsonDict], None]:
    """Adds to a field's schema (to its branch that is not null) what ``make`` says, when the
    document is made: some patterns take a moment to work out."""

    def add(schema: JsonDict) -> None:
        branches = schema.get("anyOf")
        if isinstance(branches, list):
            schema = next(b for b in branches if isinstance(b, dict) and b != {"type": "null"})
        schema.update(make())

    return add


def _note() -> JsonDict:
    return {
        "minLength": 1,
        "maxLength": MAX_NOTE_BYTES,  # each character is at least a byte of UTF-8
        "pattern": _not_blank(_is_nul),
    }


def _recipients() -> JsonDict:
    name: JsonDict = {
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_RECIPIENT_CHARS,
        "pattern": _not_blank(share_requests.refused_in_names),
    }
    return {"minItems": 1, "maxItems": MAX_LINKS, "items": name}


def _label() -> JsonDict:
    return {"maxLength": MAX_LABEL_CHARS, "pattern": anchored(none_of(_is_nul) + "*")}


def _passphrase() -> JsonDict:
    return {"minLength": MIN_PASSPHRASE_CHARS, "maxLength": MAX_PASSPHRASE_CHARS}


class NewShare(_Body):
    """A secret note and how many one-time links to it to issue."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"note": "the wifi password is hunter2", "ttl": 3600, "links": 1},
                {
                    "note": "door code 4711",
                    "label": "front door",
                    "recipients": ["bob", "carol@example.com"],
                    "passphrase": "orange harbour",
                },
            ],
            # Links, or recipients: not both.
            "not": {
                "required": ["links", "recipients"],
                "properties": {"recipients": {"type": "array"}},
            },
        }
    )

    note: str = Field(
        description=(
            "The secret note: at most 64 KiB of UTF-8 (413 beyond), not only spaces, "
            "no NUL character."
        ),
        json_schema_extra=_documented(_note),
    )
    ttl: Ttl = Field(None, description=TTL_TEXT + "the server's DEFAULT_TTL (1 hour).")
    links: LinkCount = Field(1, description="How many one-time links to issue.")
    recipients: list[str] | None = Field(
        None,
        description=(
            "Instead of `links`: a link for each of these names (1 to 1000 names, each 1 to "
            "100 characters, not only spaces, no control characters); each answer link says "
            "whose it is. Spaces around a name are trimmed."
        ),
        json_schema_extra=_documented(_recipients),
    )
    label: str | None = Field(
        None,
        description="A label only you see, up to 200 characters; spaces around it are trimmed.",
        json_schema_extra=_documented(_label),
    )
    passphrase: str | None = Field(
        None,
        description=(
            "The links then open only with this passphrase (8 to 128 characters), which "
            "oncelink never stores; send it to the recipients another way."
        ),
        json_schema_extra=_documented(_passphrase),
    )


class NewLinks(_Body):
    """More one-time links for an existing share."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"links": 2, "ttl": 3600}]})

    links: LinkCount = Field(1, description="How many one-time links to issue.")
    ttl: Ttl = Field(None, description=TTL_TEXT + "the share's own TTL.")


class LinkToRevoke(_Body):
    """A link to revoke: the full URL, or just its token."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"url": "https://oncelink.example/connect/eyJzIjoi..."}]}
    )

    url: str = Field(description="A link to one of your shares, as issued.")


def _query_number(text: object) -> int:
    """A number in a query string: its ASCII digits alone, as every request's numbers are
    read (``parsing``), without the spaces a form may bring along."""
    number = whole_number(text) if isinstance(text, str) and text == text.strip() else None
    if number is None:
        raise PydanticCustomError("int_parsing", "Input should be a whole number")
    return number


QueryNumber = Annotated[int, BeforeValidator(_query_number)]
CURSOR_PATTERN = anchored(f"[0-9]{{1,{MAX_DIGITS}}}")
Cursor = Annotated[
    QueryNumber,
    WithJsonSchema({"type": "string", "pattern": CURSOR_PATTERN, "examples": ["1042"]}),
]


class _Query(BaseModel):
    # Values as the query string spells them; unknown parameters are refused.
    model_config = ConfigDict(extra="forbid")


class ShareListQuery(_Query):
    """Query parameters of the share list."""

    cursor: Cursor | None = Field(None, description="`next_cursor` of the previous page.")
    limit: QueryNumber = Field(20, ge=1, le=100, description="Shares per page.")


class EventListQuery(_Query):
    """Query parameters of a share's events."""

    cursor: Cursor | None = Field(None, description="`next_cursor` of the previous page.")
    limit: QueryNumber = Field(100, ge=1, le=1000, description="Events per page.")


class SharePath(BaseModel):
    """The path of a share."""

    share_id: str = Field(
        description="The share's id, as `POST /api/v1/shares` answered it.",
        pattern=anchored(SHARE_ID_PATTERN),
        examples=["q3TnB8vYw2mK0aLx"],
    )
