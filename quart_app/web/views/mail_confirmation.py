"""What the owner of a mail address sees at ``/confirm-mail/<token>``: a Confirm button on
GET/HEAD, which confirms nothing (mail scanners open links); the address confirmed on POST,
once."""

from __future__ import annotations

from quart import Blueprint, Response

from ...notifications import mail_addresses
from ...notifications.mail_addresses import Confirmation
from ...paths import MAIL_CONFIRMATION_PATH
from ..context import current_services
from ..rendering import html

bp = Blueprint("mail_confirmation", __name__)

STATUS = {Confirmation.DONE: 410, Confirmation.EXPIRED: 410, Confirmation.INVALID: 404}
CLOSED = {
    Confirmation.DONE: "This link was used already, or a newer one was sent",
    Confirmation.EXPIRED: "This link has expired: send a new one from your account page",
    Confirmation.INVALID: "This link is not valid",
}


# <path:...> so that any garbage under the prefix still gets this page and its headers.
@bp.route(f"{MAIL_CONFIRMATION_PATH}<path:token>", methods=["GET", "HEAD"])
async def ask(token: str) -> Response:
    state, pending = await mail_addresses.confirmation(current_services(), token)
    if state is not Confirmation.OPEN or pending is None:
        return await html("mail_confirmed.html", STATUS[state], message=CLOSED[state])
    return await html("confirm_mail.html", address=pending.target)


@bp.post(f"{MAIL_CONFIRMATION_PATH}<path:token>")
async def confirm(token: str) -> Response:
    state, address = await mail_addresses.confirm(current_services(), token)
    if state is not Confirmation.OPEN:
        return await html("mail_confirmed.html", STATUS[state], message=CLOSED[state])
    done = f"Confirmed: notifications you choose on your account page now go to {address}."
    return await html("mail_confirmed.html", message=done, confirmed=True)
