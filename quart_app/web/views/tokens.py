"""The main user's API tokens page: create a token (shown once), list them, revoke one."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response, abort, g, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from ... import api_tokens
from ..context import current_services
from ..rendering import html, is_htmx
from ..sessions import login_required
from .forms import form_nonce, new_form_nonce

bp = Blueprint("tokens", __name__)


async def _page(status: int = 200, **context: Any) -> Response:
    context.setdefault("created_token", None)
    context.setdefault("sent_already", False)
    context.setdefault("name", "")
    context.setdefault("problem", None)
    context.setdefault("nonce", new_form_nonce())
    tokens = await api_tokens.tokens_of(current_services(), g.user.id)
    return await html("tokens.html", status, tokens=tokens, **context)


@bp.get("/tokens")
@login_required
async def index() -> Response:
    return await _page()


@bp.post("/tokens")
@login_required
async def create() -> Response:
    form = await request.form
    name = form.get("name", "")
    problem = api_tokens.api_token_name_problem(name)
    if problem:
        return await _page(
            422, name=name, problem=problem, nonce=form.get("nonce") or new_form_nonce()
        )
    token = await api_tokens.create_api_token_once(
        current_services(), g.user.id, name, form_nonce=form_nonce(form)
    )
    if token is None:
        # Sent again, by a reload of the page that answered it: nothing new is made.
        return await _page(sent_already=True, created_name=name.strip())
    return await _page(201, created_token=token, created_name=name.strip())


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
async def revoke(token_id: int) -> Response | BaseResponse:
    services = current_services()
    token = await api_tokens.token_of(services, g.user.id, token_id)
    if token is None:
        abort(404, "You have no such API token.")
    here = url_for("tokens.revoke", token_id=token_id)
    if (await request.form).get("confirm") != "yes":
        # Without JavaScript there is no confirm dialog: this page asks instead.
        return await html(
            "confirm.html",
            kind="token",
            item=token,
            action=here,
            cancel=url_for("tokens.index"),
        )
    await api_tokens.revoke_api_token(services, g.user.id, token_id)
    if is_htmx():
        return Response("", 200)  # its row goes
    return redirect(url_for("tokens.index"), 303)
