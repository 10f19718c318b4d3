"""The webhooks API's bodies as pydantic models, documented in the OpenAPI document."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from ...clock import iso_utc
from ...notifications.types import CHOSEN_TYPES, NoticeType
from ...notifications.webhook_urls import EXAMPLE_URL, MAX_URL_CHARS, URL_PATTERN
from ...notifications.webhooks import WEBHOOK_ID_PATTERN, Webhook
from ...storage.queries.outbox import Attempt
from .patterns import anchored
from .schemas import Timestamp

# Checked by ``webhooks.chosen_events``, which names an unknown one in the 422's detail.
EventType = Annotated[
    str, WithJsonSchema({"type": "string", "enum": [t.value for t in CHOSEN_TYPES]})
]
SentType = Annotated[str, WithJsonSchema({"type": "string", "enum": [t.value for t in NoticeType]})]

_EXAMPLE_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # noqa: S105 - an example
_EXAMPLE_EVENTS = ["link.granted", "link.locked", "share.expired"]
_EXAMPLE_WEBHOOK = {
    "id": "Vt3kq9XwJm2bR8sD",
    "url": EXAMPLE_URL,
    "events": _EXAMPLE_EVENTS,
    "created_at": "2026-11-25T14:03:12Z",
}
_EXAMPLE_DELIVERY = {
    "at": "2026-11-25T14:03:13Z",
    "event": "link.granted",
    "message_id": "msg_2YpQm7cV0aLrT9kBx4nEwg",
    "attempt": 1,
    "status_code": 204,
    "error": None,
    "gave_up": False,
}


def _examples(example: dict[str, Any]) -> dict[str, Any]:
    return {"examples": [example]}


def _example(example: dict[str, Any]) -> ConfigDict:
    """An answer's model config: no other fields, and an example for the document."""
    return ConfigDict(extra="forbid", json_schema_extra=_examples(example))


WebhookUrl = Annotated[
    str,
    Field(min_length=1, max_length=MAX_URL_CHARS),
    # The pattern is the rule as written; the server also refuses a name that resolves to a
    # private or local address (422), and allows http:// to this machine when its settings
    # allow private addresses (for tests).
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": MAX_URL_CHARS,
            "pattern": URL_PATTERN,
            "description": (
                "Where events are posted: an https:// URL of a public host, by its name. "
                "Slack and Microsoft Teams incoming-webhook URLs get a chat message instead "
                "of the event's JSON."
            ),
            "examples": [EXAMPLE_URL],
        }
    ),
]


class WebhookPath(BaseModel):
    """The path of a webhook."""

    webhook_id: str = Field(
        description="The webhook's id, as `POST /api/v1/webhooks` answered it.",
        pattern=anchored(WEBHOOK_ID_PATTERN),
        examples=[_EXAMPLE_WEBHOOK["id"]],
    )


class NewWebhook(BaseModel):
    """A URL to post events to, and which events."""

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        json_schema_extra=_examples({"url": EXAMPLE_URL, "events": _EXAMPLE_EVENTS}),
    )

    url: WebhookUrl
    events: list[EventType] = Field(
        description="The events to send there (at least one).",
        min_length=1,
        examples=[_EXAMPLE_EVENTS],
    )


class WebhookBody(BaseModel):
    model_config = _example(_EXAMPLE_WEBHOOK)

    id: str
    url: str
    events: list[EventType]
    created_at: Timestamp


class CreatedWebhookBody(BaseModel):
    """The new webhook and its signing secret, shown only this once."""

    model_config = _example(
        {
            "id": _EXAMPLE_WEBHOOK["id"],
            "url": EXAMPLE_URL,
            "events": _EXAMPLE_EVENTS,
            "secret": _EXAMPLE_SECRET,
        }
    )

    id: str
    url: str
    events: list[EventType]
    secret: str = Field(
        description=(
            "Verifies the `webhook-signature` of every delivery (Standard Webhooks); shown "
            "only this once."
        ),
        examples=[_EXAMPLE_SECRET],
    )


class WebhookList(BaseModel):
    """Your webhooks, the oldest first (at most 10)."""

    model_config = _example({"webhooks": [_EXAMPLE_WEBHOOK]})

    webhooks: list[WebhookBody]


class TestQueued(BaseModel):
    """The test event is on its way."""

    model_config = _example({"message_id": _EXAMPLE_DELIVERY["message_id"]})

    message_id: str = Field(description="Its `webhook-id`, as in the deliveries.")


class DeliveryBody(BaseModel):
    model_config = _example(_EXAMPLE_DELIVERY)

    at: Timestamp = Field(description="When the attempt ended.")
    event: SentType
    message_id: str = Field(description="The `webhook-id`: the same on every attempt.")
    attempt: int = Field(description="1 for the first attempt, 2 for the first retry, ...")
    status_code: int | None = Field(description="The receiver's answer; null without one.")
    error: str | None = Field(description="Why the attempt failed; null when delivered.")
    gave_up: bool = Field(description="The last attempt: no retry follows.")


class DeliveryList(BaseModel):
    """The webhook's latest delivery attempts, newest first."""

    model_config = _example({"deliveries": [_EXAMPLE_DELIVERY]})

    deliveries: list[DeliveryBody]


def webhook_body(webhook: Webhook) -> WebhookBody:
    return WebhookBody(
        id=webhook.id,
        url=webhook.url,
        events=[t.value for t in webhook.events],
        created_at=iso_utc(webhook.created_at),
    )


def delivery_body(attempt: Attempt) -> DeliveryBody:
    return DeliveryBody(
        at=iso_utc(attempt.at),
        event=attempt.type,
        message_id=attempt.message_id,
        attempt=attempt.attempt,
        status_code=attempt.status_code,
        error=attempt.error,
        gave_up=attempt.gave_up,
    )
