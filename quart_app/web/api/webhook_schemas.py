"""The webhooks API's bodies as pydantic models, documented in the OpenAPI document."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from ...clock import iso_utc
from ...notifications.types import CHOSEN_TYPES, NoticeType
from ...notifications.webhooks import MAX_URL_CHARS, Webhook
from ...storage.queries.outbox import Attempt
from .schemas import Timestamp

# Checked by ``webhooks.chosen_events``, which names an unknown one in the 422's detail.
EventType = Annotated[
    str, WithJsonSchema({"type": "string", "enum": [t.value for t in CHOSEN_TYPES]})
]
SentType = Annotated[str, WithJsonSchema({"type": "string", "enum": [t.value for t in NoticeType]})]

WebhookUrl = Annotated[
    str,
    Field(
        description=(
            "Where events are posted: an https:// URL of a public address (http:// only to "
            "this machine, when the server allows private addresses). Slack and Microsoft "
            "Teams incoming-webhook URLs get a chat message instead of the event's JSON."
        ),
        min_length=1,
        max_length=MAX_URL_CHARS,
        examples=["https://hooks.example.com/oncelink"],
    ),
]


class NewWebhook(BaseModel):
    """A URL to post events to, and which events."""

    model_config = ConfigDict(strict=True, extra="forbid")

    url: WebhookUrl
    events: list[EventType] = Field(
        description="The events to send there (at least one).",
        min_length=1,
        examples=[["link.granted", "link.locked", "share.expired"]],
    )


class WebhookBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    url: str
    events: list[EventType]
    created_at: Timestamp


class CreatedWebhookBody(BaseModel):
    """The new webhook and its signing secret, shown only this once."""

    model_config = ConfigDict(extra="forbid")

    id: str
    url: str
    events: list[EventType]
    secret: str = Field(
        description=(
            "Verifies the `webhook-signature` of every delivery (Standard Webhooks); shown "
            "only this once."
        ),
        examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
    )


class WebhookList(BaseModel):
    """Your webhooks, the oldest first (at most 10)."""

    model_config = ConfigDict(extra="forbid")

    webhooks: list[WebhookBody]


class TestQueued(BaseModel):
    """The test event is on its way."""

    model_config = ConfigDict(extra="forbid")

    message_id: str = Field(description="Its `webhook-id`, as in the deliveries.")


class DeliveryBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: Timestamp = Field(description="When the attempt ended.")
    event: SentType
    message_id: str = Field(description="The `webhook-id`: the same on every attempt.")
    attempt: int = Field(description="1 for the first attempt, 2 for the first retry, ...")
    status_code: int | None = Field(description="The receiver's answer; null without one.")
    error: str | None = Field(description="Why the attempt failed; null when delivered.")
    gave_up: bool = Field(description="The last attempt: no retry follows.")


class DeliveryList(BaseModel):
    """The webhook's latest delivery attempts, newest first."""

    model_config = ConfigDict(extra="forbid")

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
