"""The JSON bodies of the API's requests for secrets: what a call may carry, what an answer
promises. The limits they show are ``secret_requests.asking``'s, which it enforces."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from ...clock import iso_utc
from ...secret_requests.asking import MAX_INSTRUCTIONS_CHARS
from ...secret_requests.managing import CreatedRequest
from ...secret_requests.status import RequestStateName, RequestStatus
from ...share_requests import MAX_LABEL_CHARS
from ...shares import SHARE_ID_PATTERN
from .inputs import (
    Cursor,
    QueryNumber,
    Ttl,
    _Body,
    _documented,
    _is_nul,
    _not_blank,
    _passphrase,
    _Query,
)
from .patterns import anchored, none_of
from .schemas import Timestamp, _Answer


def _label() -> JsonDict:
    return {"minLength": 1, "maxLength": MAX_LABEL_CHARS, "pattern": _not_blank(_is_nul)}


def _instructions() -> JsonDict:
    return {"maxLength": MAX_INSTRUCTIONS_CHARS, "pattern": anchored(none_of(_is_nul) + "*")}


class NewRequest(_Body):
    """What to ask someone for: they get a one-time link to send it with."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"label": "staging database password"},
                {
                    "label": "API key for the billing service",
                    "instructions": "The one for the EU cluster, please.",
                    "ttl": 86400,
                    "passphrase": "orange harbour lights",
                },
            ]
        }
    )

    label: str = Field(
        description=(
            "What you need, such as “staging database password”: up to 200 characters, not "
            "only spaces, no NUL character; shown to the sender. Spaces around it are trimmed."
        ),
        json_schema_extra=_documented(_label),
    )
    instructions: str | None = Field(
        None,
        description="Shown to the sender as written: up to 2000 characters, no NUL character.",
        json_schema_extra=_documented(_instructions),
    )
    ttl: Ttl = Field(
        None,
        description="Seconds the request's link lives: 300 up to the server's MAX_TTL "
        "(30 days unless configured). Omitted or null: the server's DEFAULT_TTL (1 hour).",
    )
    passphrase: str | None = Field(
        None,
        description=(
            "The answer is then sealed so that only this passphrase (8 to 128 characters) "
            "opens it; oncelink never stores it. Send it with each read of the answer."
        ),
        json_schema_extra=_documented(_passphrase),
    )


class CreatedRequestBody(_Answer):
    """The new request and its link. The link is shown only this once."""

    id: str
    url: str = Field(description="The one-time link to send to the person you ask.")
    label: str
    expires_at: Timestamp = Field(description="When the link runs out.")


class RequestBody(_Answer):
    """A request's state: waiting for its answer, answered, read, expired or revoked."""

    id: str
    label: str
    state: RequestStateName = Field(
        description="`read` beats `revoked` beats `answered`; `expired`: nobody answered in time."
    )
    expires_at: Timestamp = Field(description="When the link runs out.")
    answered_at: Timestamp | None
    read_at: Timestamp | None


class RequestList(_Answer):
    """One page of your requests, newest first."""

    requests: list[RequestBody]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: none.")


class RequestListQuery(_Query):
    """Query parameters of the request list."""

    cursor: Cursor | None = Field(None, description="`next_cursor` of the previous page.")
    limit: QueryNumber = Field(20, ge=1, le=100, description="Requests per page.")


class RequestPath(BaseModel):
    """The path of a request."""

    request_id: str = Field(
        description="The request's id, as `POST /api/v1/requests` answered it.",
        pattern=anchored(SHARE_ID_PATTERN),  # made as share ids are
        examples=["Xk2pR7vQw3nL9aBc"],
    )


class ReadRequest(_Body):
    """Optional: the passphrase, for an answer sealed with one."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{}, {"passphrase": "orange harbour"}]}
    )

    passphrase: str | None = Field(
        None,
        description=(
            "The request's passphrase, if it was made with one (ignored otherwise); a wrong "
            "one is 403, and erases nothing."
        ),
    )


class AnswerBody(_Answer):
    """The answer, shown this once: it is erased now."""

    note: str
    answered_at: Timestamp


def created_request_body(created: CreatedRequest) -> CreatedRequestBody:
    request = created.request
    return CreatedRequestBody(
        id=request.id, url=created.url, label=request.label, expires_at=iso_utc(request.expires_at)
    )


def request_body(status: RequestStatus) -> RequestBody:
    request = status.request
    return RequestBody(
        id=request.id,
        label=request.label,
        state=status.state,
        expires_at=iso_utc(request.expires_at),
        answered_at=None if request.answered_at is None else iso_utc(request.answered_at),
        read_at=None if request.read_at is None else iso_utc(request.read_at),
    )
