"""Links answered at the door: an ASGI layer in front of Quart for ``/connect/<token>``.

Two kinds of request never need the framework (request context, hooks, routing, sessions),
and they are the ones that come in floods: dead links, and programs redeeming live ones.

- A forged, expired or garbage token is settled by its signature alone; its answer depends
  only on that verdict and on whether the client wants JSON. Rate limits do not apply:
  refusing a dead link costs less than counting it would.
- A POST of a live token by a client that wants JSON is redeemed here, with the same checks
  and the same answer as the view: not cross-site, within the client's redemption limit, and
  into the audit trail with the client's address and user agent.

Anything else, or anything unusual (a cross-site request, a client over its limit, a browser
with cookies that may re-view a note, a body that may carry a passphrase), goes on to Quart
unchanged, with the verified claims left in the scope so the view does not check the
signature again.

The answers are the ones Quart gives: both are built from ``link_answers``, whose dead-link
pages the view renders the first time it needs each.
"""

from __future__ import annotations

import json
import logging

from hypercorn.typing import (
    ASGIReceiveCallable,
    ASGIReceiveEvent,
    ASGISendCallable,
    HTTPScope,
    Scope,
)
from quart import Quart

from ..audit import Visitor
from ..links.redemption import redeem_link
from ..links.states import LinkState, LinkView, signature_verdict
from ..links.tokens import LinkClaims
from ..paths import LINK_PATH
from ..services import Services
from .addresses import address_of, visitor_at
from .asgi_answers import HTML, JSON, Headers, encoded, header, send_whole, wants_json
from .context import services_of
from .errors import MESSAGES, log_unhandled
from .limits import limit_redemption
from .link_answers import STATUS, VERIFIED, DeadLinkPages, as_json, dead_link_pages, status_of
from .security import crosses_sites, security_headers

METHODS = frozenset({"GET", "HEAD", "POST"})

log = logging.getLogger(__name__)


def install(app: Quart) -> None:
    """Put the layer in front of the app (Quart's documented way to add ASGI middleware)."""
    inner = app.asgi_app
    services = services_of(app)
    pages = dead_link_pages(app)
    fixed = {html: _fixed_headers(services, html=html) for html in (True, False)}

    async def answer(
        send: ASGISendCallable, scope: HTTPScope, status: int, kind: bytes, body: bytes
    ) -> None:
        headers = [(b"content-type", kind), *fixed[kind == HTML]]
        headers.append((b"content-length", str(len(body)).encode()))
        await send_whole(send, status, headers, b"" if scope["method"] == "HEAD" else body)

    async def asgi_app(scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
        if scope["type"] != "http" or scope["method"] not in METHODS:
            return await inner(scope, receive, send)
        if not scope["path"].startswith(LINK_PATH):
            return await inner(scope, receive, send)
        token = scope["path"][len(LINK_PATH) :]
        verdict = signature_verdict(services.signer, token)
        json_please = wants_json(scope)
        if isinstance(verdict, LinkState):
            dead = _dead_answer(pages, verdict, wants_json=json_please)
            if dead is None:
                return await inner(scope, receive, send)
            if scope["method"] == "POST":
                await _drain(receive)
            return await answer(send, scope, STATUS[verdict], *dead)
        # Cookies may hold a pass to re-view a note, a body a passphrase: the view's work.
        if json_please and scope["method"] == "POST" and header(scope, b"cookie") is None:
            empty, receive = await _body_is_empty(receive)
            if empty and (visitor := await _may_redeem_here(services, scope)):
                status, body = await _redeem(services, token, verdict, visitor)
                return await answer(send, scope, status, JSON, body)
        scope[VERIFIED] = (token, verdict)  # type: ignore[literal-required]  # our own key
        await inner(scope, receive, send)

    app.asgi_app = asgi_app  # type: ignore[method-assign]


def _fixed_headers(services: Services, *, html: bool) -> Headers:
    return encoded([*security_headers(services.settings, html=html, page=True), ("Vary", "Accept")])


def _dead_answer(
    pages: DeadLinkPages, state: LinkState, *, wants_json: bool
) -> tuple[bytes, bytes] | None:
    """A dead link's answer type and bytes, or None while its page has not been rendered."""
    if wants_json:
        return JSON, json.dumps(as_json(LinkView(state)), ensure_ascii=False).encode()
    page = pages.rendered.get(state)
    return None if page is None else (HTML, page.encode())


async def _may_redeem_here(services: Services, scope: HTTPScope) -> Visitor | None:
    """The client, if the view would redeem this request as it stands, counting it against
    the client's limit if so."""
    settings = services.settings
    fetch_site, origin = header(scope, b"sec-fetch-site"), header(scope, b"origin")
    if crosses_sites(settings.origin, fetch_site=fetch_site, sent_origin=origin):
        return None  # refused by the view, with its usual answer
    # The peer as Quart's request.remote_addr has it, so both count under one key.
    peer = (scope.get("client") or ["<local>"])[0]
    forwarded = [v.decode("latin-1") for k, v in scope["headers"] if k == b"x-forwarded-for"]
    address = address_of(peer, forwarded, settings.trusted_proxies)
    # A refused hit counts nothing, so the view may ask again and answer the 429 itself.
    if await limit_redemption(services, address) is not None:
        return None
    return visitor_at(settings, address, header(scope, b"user-agent") or "")


async def _body_is_empty(receive: ASGIReceiveCallable) -> tuple[bool, ASGIReceiveCallable]:
    """Whether the request came without a body (whatever its headers say), and a receive
    that gives the app what was read to find out, then the rest."""
    read: list[ASGIReceiveEvent] = []
    empty = False
    while not empty:
        message = await receive()
        read.append(message)
        if message["type"] != "http.request" or message.get("body"):
            break
        empty = not message.get("more_body")

    async def replaying() -> ASGIReceiveEvent:
        return read.pop(0) if read else await receive()

    return empty, replaying


async def _redeem(
    services: Services, token: str, claims: LinkClaims, visitor: Visitor
) -> tuple[int, bytes]:
    """Status and JSON body, as the view answers a program (which keeps no re-view pass)."""
    try:
        view = await redeem_link(services, token, verified=claims, visitor=visitor)
    except Exception as error:
        log_unhandled(log, error)
        return 500, json.dumps({"error": MESSAGES[500], "detail": None}).encode()
    return status_of(view), json.dumps(as_json(view), ensure_ascii=False).encode()


async def _drain(receive: ASGIReceiveCallable) -> None:
    # Answering before the client has finished sending makes the server reset the
    # connection, and the client would never see the answer. The intake bounds what is
    # read here: a body over its limit ends in a disconnect, and the intake answers.
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body"):
            return
