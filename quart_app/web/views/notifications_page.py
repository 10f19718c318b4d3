"""The Notifications page: a main user's webhooks (add one and see its secret once, send a
test event, read its deliveries, delete it), and where their mail notifications are set."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response, abort, g, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from ...notifications import mail_addresses, webhook_urls, webhooks
from ...notifications.types import CHOSEN_TYPES, DESCRIPTIONS
from ..context import current_services
from ..rendering import html, is_htmx
from ..sessions import login_required
from .forms import form_nonce, new_form_nonce

bp = Blueprint("notifications", __name__)
DEFAULT_EVENTS = [t.value for t in CHOSEN_TYPES]


async def _page(status: int = 200, **context: Any) -> Response:
    services = current_services()
    context.setdefault("created", None)
    context.setdefault("sent_already", None)
    context.setdefault("url", "")
    context.setdefault("chosen", DEFAULT_EVENTS)
    context.setdefault("problems", {})
    context.setdefault("nonce", new_form_nonce())
    context.setdefault("tested", None)
    mail = await mail_addresses.mail_setting(services, g.user) if services.mailer else None
    return await html(
        "notifications.html",
        status,
        webhooks=await webhooks.webhooks_of(services, g.user),
        most=webhooks.MAX_WEBHOOKS,
        events=DESCRIPTIONS,
        mail_enabled=services.mailer is not None,
        mail=mail,
        **context,
    )


@bp.get("/notifications")
@login_required
async def index() -> Response:
    return await _page(tested=request.args.get("tested"))


@bp.post("/notifications")
@login_required
async def create() -> Response:
    services, form = current_services(), await request.form
    url, names = form.get("url", "").strip(), form.getlist("events")
    events = webhooks.chosen_events(names)
    problems = {}
    allow_private = services.settings.webhook_allow_private
    if problem := await webhook_urls.url_problem(url, allow_private=allow_private):
        problems["url"] = problem
    if not events:
        problems["events"] = webhooks.CHOOSE_EVENTS
    again = {"url": url, "chosen": names, "nonce": form.get("nonce") or new_form_nonce()}
    if problems or not events:
        return await _page(422, problems=problems, **again)
    try:
        created = await webhooks.create_webhook(
            services, g.user, url, events, form_nonce=form_nonce(form)
        )
    except webhooks.TooManyWebhooks:
        too_many = f"You have {webhooks.MAX_WEBHOOKS} webhooks: delete one first."
        return await _page(409, problems={"url": too_many}, **again)
    if created is None:
        # Sent again, by a reload of the page that answered it: nothing new is made.
        earlier = await webhooks.webhook_by_form_nonce(services, g.user, form_nonce(form) or "")
        return await _page(sent_already=earlier)
    return await _page(201, created=created)


@bp.get("/notifications/<webhook_id>")
@login_required
async def deliveries(webhook_id: str) -> Response:
    services = current_services()
    webhook = await webhooks.webhook_of(services, g.user, webhook_id)
    attempts = await webhooks.deliveries_of(services, g.user, webhook_id)
    if webhook is None or attempts is None:
        abort(404, "You have no such webhook.")
    return await html("webhook.html", webhook=webhook, attempts=attempts, events=DESCRIPTIONS)


@bp.post("/notifications/<webhook_id>/test")
@login_required
async def send_test(webhook_id: str) -> BaseResponse:
    if await webhooks.send_test(current_services(), g.user, webhook_id) is None:
        abort(404, "You have no such webhook.")
    return redirect(url_for("notifications.index", tested=webhook_id), 303)


@bp.post("/notifications/<webhook_id>/delete")
@login_required
async def delete(webhook_id: str) -> Response | BaseResponse:
    services = current_services()
    webhook = await webhooks.webhook_of(services, g.user, webhook_id)
    if webhook is None:
        abort(404, "You have no such webhook.")
    here = url_for("notifications.delete", webhook_id=webhook_id)
    if (await request.form).get("confirm") != "yes":
        # Without JavaScript there is no confirm dialog: this page asks instead.
        cancel = url_for("notifications.index")
        return await html("confirm.html", kind="webhook", item=webhook, action=here, cancel=cancel)
    await webhooks.delete_webhook(services, g.user, webhook_id)
    if is_htmx():
        return Response("", 200)  # its row goes
    return redirect(url_for("notifications.index"), 303)
