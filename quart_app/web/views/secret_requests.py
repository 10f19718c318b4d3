"""A request for a secret as its owner sees it: its page, live while open, where the answer is
read once (and again, for ten minutes, in the browser that read it); and revoking it."""

from __future__ import annotations

from quart import Blueprint, Response, abort, g, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from ...passphrases import DerivationsBusy
from ...reveal import REVIEW_SECONDS
from ...secret_requests import managing, reading
from ...secret_requests.reading import ReadAnswer, Reading
from ...secret_requests.status import RequestTrail, request_status, request_trail
from ..context import current_services
from ..limits import busy_deriving, limit_passphrase_checks
from ..rendering import html, is_htmx, page_or_fragment
from ..rereading import keep_pass, pass_sent
from ..sessions import login_required

bp = Blueprint("secret_requests", __name__)

NO_SUCH_REQUEST = "You have no request with this id."
ANSWER_COOKIE = "answer"
# A reading that shows no answer: its status, and what the page says about it.
NOT_READ = {
    Reading.WAITING: (409, "Nobody has answered yet."),
    Reading.GONE: (
        410,
        "There is no answer to read: it was read already or revoked, or nobody answered in time.",
    ),
    Reading.NEEDS_PASSPHRASE: (403, "Type the passphrase you chose for this request."),
    Reading.WRONG_PASSPHRASE: (403, "Wrong passphrase. Nothing was erased: try again."),
}


async def trail_or_404(request_id: str) -> RequestTrail:
    trail = await request_trail(current_services(), g.user, request_id)
    if trail is None:
        abort(404, NO_SUCH_REQUEST)
    return trail


@bp.get("/requests/<request_id>")
@login_required
async def show(request_id: str) -> Response:
    return await _page(request_id, await _read_again(request_id))


@bp.get("/requests/<request_id>/read")
@login_required
async def read_again(request_id: str) -> BaseResponse:
    """The address the answer was shown at, loaded again (a browser may reload it as a GET):
    the request's page, which shows the answer again in this browser while it may."""
    return redirect(url_for("secret_requests.show", request_id=request_id), 303)


@bp.post("/requests/<request_id>/read")
@login_required
async def read(request_id: str) -> Response:
    passphrase = (await request.form).get("passphrase") or None
    if passphrase:
        await limit_passphrase_checks()
    try:
        got = await reading.read_answer(
            current_services(), g.user, request_id, passphrase=passphrase, keep_for=REVIEW_SECONDS
        )
    except DerivationsBusy:
        return await _page(request_id, status=429, problem=busy_deriving().description)
    if got is None:
        abort(404, NO_SUCH_REQUEST)
    if got.reading is Reading.GONE:
        # Sent again by a reload of the page that showed the answer: show it again.
        got = await _read_again(request_id) or got
    if got.reading in NOT_READ:
        status, problem = NOT_READ[got.reading]
        return await _page(request_id, status=status, problem=problem)
    response = await _page(request_id, got)
    if got.reveal_pass is not None:
        path = url_for("secret_requests.show", request_id=request_id)
        keep_pass(response, ANSWER_COOKIE, path, got.reveal_pass)
    return response


@bp.post("/requests/<request_id>/revoke")
@login_required
async def revoke(request_id: str) -> Response | BaseResponse:
    services = current_services()
    found = await request_status(services, g.user, request_id)
    if found is None:
        abort(404, NO_SUCH_REQUEST)
    if (await request.form).get("confirm") != "yes":
        # Without JavaScript there is no confirm dialog: this page asks instead.
        action = url_for("secret_requests.revoke", request_id=request_id)
        cancel = url_for("secret_requests.show", request_id=request_id)
        item = found.request
        return await html("confirm.html", kind="request", item=item, action=action, cancel=cancel)
    await managing.revoke_request(services, g.user, request_id)
    if not is_htmx():
        return redirect(url_for("secret_requests.show", request_id=request_id), 303)
    found = await request_status(services, g.user, request_id)
    return await page_or_fragment("dashboard.html", "_request_row.html", item=found)


async def _page(
    request_id: str,
    read: ReadAnswer | None = None,
    *,
    status: int = 200,
    problem: str | None = None,
) -> Response:
    # Read the stamp first: a change landing in between is then shown twice, never missed.
    changes = await current_services().db.change_stamp(g.user.id)
    trail = await trail_or_404(request_id)
    return await html(
        "request.html", status, trail=trail, read=read, problem=problem, changes=changes
    )


async def _read_again(request_id: str) -> ReadAnswer | None:
    """The answer again, for the browser that read it, while its pass lasts."""
    reveal_pass = pass_sent(ANSWER_COOKIE)
    if not reveal_pass:
        return None
    return await reading.read_again(current_services(), g.user, request_id, reveal_pass)
