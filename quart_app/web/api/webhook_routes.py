"""JSON API v1 for webhooks: add one (its secret shown once), list, read, delete, send a
test event, and read its deliveries. Registered with its documentation by a route table of
its own, on the API's prefix."""

from __future__ import annotations

from quart import Blueprint, Response

from ...notifications import webhook_urls, webhooks
from ...notifications.webhooks import TooManyWebhooks
from ..context import current_services
from .openapi import Answer
from .routing import ApiError, RouteTable, answer, api_user
from .schemas import ApiErrorBody
from .webhook_schemas import (
    CreatedWebhookBody,
    DeliveryList,
    NewWebhook,
    TestQueued,
    WebhookBody,
    WebhookList,
    WebhookPath,
    delivery_body,
    webhook_body,
)

bp = Blueprint("api_webhooks", __name__, url_prefix="/api/v1")
routes = RouteTable(bp)

NO_SUCH_WEBHOOK = "You have no webhook with this id."
TOO_MANY = f"You have {webhooks.MAX_WEBHOOKS} webhooks: delete one first."
_NOT_FOUND = {404: Answer(NO_SUCH_WEBHOOK, ApiErrorBody)}


@routes.route(
    "POST",
    "/webhooks",
    {
        201: Answer("The webhook and its secret, shown only this once.", CreatedWebhookBody),
        409: Answer(f"You have {webhooks.MAX_WEBHOOKS} webhooks already.", ApiErrorBody),
    },
    body=NewWebhook,
)
async def create_webhook(body: NewWebhook) -> Response:
    """Add a webhook

    Events you choose are posted to the URL as JSON, signed by the Standard Webhooks spec
    with the secret in the answer, shown only this once."""
    services = current_services()
    events = webhooks.chosen_events(body.events)
    problem = await webhook_urls.url_problem(
        body.url, allow_private=services.settings.webhook_allow_private
    )
    if problem or events is None:
        detail = {"url": problem} if problem else {}
        if events is None:
            detail["events"] = "Unknown event: see the list of events."
        raise ApiError(422, "The body is not valid.", detail)
    try:
        created = await webhooks.create_webhook(services, api_user(), body.url, events)
    except TooManyWebhooks:
        raise ApiError(409, TOO_MANY) from None
    assert created is not None
    hook = created.webhook
    response = answer(
        CreatedWebhookBody(
            id=hook.id, url=hook.url, events=[t.value for t in hook.events], secret=created.secret
        ),
        201,
    )
    response.headers["Location"] = f"{bp.url_prefix}/webhooks/{hook.id}"
    return response


@routes.route("GET", "/webhooks", {200: Answer("Your webhooks.", WebhookList)})
async def list_webhooks() -> Response:
    """List your webhooks

    Each with its URL and events; secrets are never shown again."""
    found = await webhooks.webhooks_of(current_services(), api_user())
    return answer(WebhookList(webhooks=[webhook_body(hook) for hook in found]))


@routes.route(
    "GET",
    "/webhooks/<webhook_id>",
    {200: Answer("The webhook.", WebhookBody), **_NOT_FOUND},
    path=WebhookPath,
)
async def get_webhook(webhook_id: str) -> Response:
    """Read a webhook"""
    found = await webhooks.webhook_of(current_services(), api_user(), webhook_id)
    if found is None:
        raise ApiError(404, NO_SUCH_WEBHOOK)
    return answer(webhook_body(found))


@routes.route(
    "DELETE",
    "/webhooks/<webhook_id>",
    {204: Answer("The webhook is gone."), **_NOT_FOUND},
    path=WebhookPath,
)
async def delete_webhook(webhook_id: str) -> Response:
    """Delete a webhook

    Nothing more is sent to it, not even events waiting to be delivered."""
    if not await webhooks.delete_webhook(current_services(), api_user(), webhook_id):
        raise ApiError(404, NO_SUCH_WEBHOOK)
    return Response(status=204)


@routes.route(
    "POST",
    "/webhooks/<webhook_id>/test",
    {202: Answer("A test event is on its way.", TestQueued), **_NOT_FOUND},
    path=WebhookPath,
)
async def test_webhook(webhook_id: str) -> Response:
    """Send a test event

    An event of type `test` is posted to the webhook within a few seconds, as any other."""
    message_id = await webhooks.send_test(current_services(), api_user(), webhook_id)
    if message_id is None:
        raise ApiError(404, NO_SUCH_WEBHOOK)
    return answer(TestQueued(message_id=message_id), 202)


@routes.route(
    "GET",
    "/webhooks/<webhook_id>/deliveries",
    {200: Answer("The latest attempts, newest first.", DeliveryList), **_NOT_FOUND},
    path=WebhookPath,
)
async def list_deliveries(webhook_id: str) -> Response:
    """List a webhook's deliveries

    Its latest 100 attempts, newest first: when, which event, the status code, the attempt's
    number and why it failed. Kept for a week."""
    attempts = await webhooks.deliveries_of(current_services(), api_user(), webhook_id)
    if attempts is None:
        raise ApiError(404, NO_SUCH_WEBHOOK)
    return answer(DeliveryList(deliveries=[delivery_body(attempt) for attempt in attempts]))
