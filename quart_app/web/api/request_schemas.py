"""The JSON bodies of the API's requests for secrets: what a call may carry, what an answer
promises. The limits they show are ``secret_requests.asking``'s, which it enforces."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ...clock import iso_utc
from ...passphrases import MAX_CHARS as MAX_PASSPHRASE_CHARS
from ...passphrases import MIN_CHARS as MIN_PASSPHRASE_CHARS
from ...secret_requests.asking import MAX_INSTRUCTIONS_CHARS
from ...secret_requests.managing import CreatedRequest
from ...secret_requests.status import RequestStateName, RequestStatus
from ...share_requests import MAX_LABEL_CHARS
from .inputs import TTL_TEXT, QueryNumber, Ttl, _Body
from .schemas import Timestamp, _Answer


class NewRequest(_Body):
    """What to ask someone for: they get a one-time link to send it with."""

    label: str = Field(
        description="What you need, such as “staging database password”; shown to the sender.",
        json_schema_extra={"minLength": 1, "maxLength": MAX_LABEL_CHARS},
        examples=["staging database password"],
    )
    instructions: str | None = Field(
        None,
        description="Shown to the sender as written.",
        json_schema_extra={"maxLength": MAX_INSTRUCTIONS_CHARS},
        examples=["The one for the EU cluster, please."],
    )
    ttl: Ttl = Field(
        None, description=TTL_TEXT + "the server's DEFAULT_TTL (1 hour).", examples=[86400]
    )
    passphrase: str | None = Field(
        None,
        description=(
            "The answer is then sealed so that only this passphrase opens it; oncelink never "
            "stores it. Send it with each read of the answer."
        ),
        json_schema_extra={"minLength": MIN_PASSPHRASE_CHARS, "maxLength": MAX_PASSPHRASE_CHARS},
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


class RequestListQuery(BaseModel):
    """Query parameters of the request list, as strings from the query string."""

    model_config = ConfigDict(extra="forbid")

    cursor: str | None = Field(None, description="`next_cursor` of the previous page.")
    limit: QueryNumber = Field(20, ge=1, le=100, description="Requests per page.")


class ReadRequest(_Body):
    """Optional: the passphrase, for an answer sealed with one."""

    passphrase: str | None = Field(
        None,
        description="The request's passphrase, if it was made with one.",
        json_schema_extra={"maxLength": MAX_PASSPHRASE_CHARS},
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
