"""Server-Sent Events that keep an open dashboard's share and request lists, a share's page or
a request's page up to date.

The page connects with htmx's SSE extension. Each message is the re-rendered list (or the
share's links, or the request's state), which htmx morphs into place; the dashboard's also
carries the request list, as a partial that htmx puts in its own place. A message's ``id``
is the user's change stamp, so a reconnecting browser (htmx sends ``Last-Event-ID``) is sent
it again only if something changed meanwhile. Where the database keeps no stamp
(PostgreSQL) a reconnecting browser is sent it at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

from quart import (
    Blueprint,
    Response,
    abort,
    g,
    render_template,
    request,
    stream_with_context,
)

from ... import accounts
from ...secret_requests.status import request_trail
from ...services import Services
from ...share_trail import share_trail
from ...storage.changes import ChangeWatch
from ..context import current_services
from ..limits import Release, hold_live_stream
from ..parsing import whole_number
from .listing import request_page, share_page

bp = Blueprint("live", __name__)

HEARTBEAT_SECONDS = 10.0
# Hypercorn drops a connection whose client has sent nothing for read_timeout (30 s in
# hypercorn.toml), and an SSE client never sends after its request: end each stream before
# that, cleanly, and let the browser reconnect.
STREAM_SECONDS = 20.0
HOLD_SECONDS = STREAM_SECONDS + 10  # a stream's slot, if it is not let go at its end
RECONNECT_MS = 1000
DONE = b"event: done\ndata:\n\n"  # tells the page to stop reconnecting: logged out


def message(html: str, event_id: int | None) -> bytes:
    data = "".join(f"data: {line}\n" for line in html.splitlines())
    last = "" if event_id is None else f"id: {event_id}\n"
    return f"{data}{last}\n".encode()


# What a stream sends: the fragment as it is now.
Render = Callable[[], Awaitable[str]]


@bp.get("/shares/events")
async def share_events() -> Response:
    before = whole_number(request.args.get("before", ""))
    requests_before = whole_number(request.args.get("requests_before", ""))

    async def render() -> str:
        lists = {**await share_page(before), **await request_page(requests_before)}
        return await render_template("_dashboard_lists.html", **lists)

    return await _stream(render)


@bp.get("/shares/<share_id>/live")
async def share_links(share_id: str) -> Response:
    if g.user is not None and await share_trail(current_services(), g.user, share_id) is None:
        abort(404, "You have no share with this id.")

    async def render() -> str:
        trail = await share_trail(current_services(), g.user, share_id)
        return "" if trail is None else await render_template("_share_links.html", trail=trail)

    return await _stream(render)


@bp.get("/requests/<request_id>/live")
async def request_status(request_id: str) -> Response:
    if g.user is not None and await request_trail(current_services(), g.user, request_id) is None:
        abort(404, "You have no request with this id.")

    async def render() -> str:
        trail = await request_trail(current_services(), g.user, request_id)
        return "" if trail is None else await render_template("_request_status.html", trail=trail)

    return await _stream(render)


async def _stream(render: Render) -> Response:
    if "text/event-stream" not in request.accept_mimetypes.values():
        # Only EventSource clients (which always ask for it) get a stream that stays open.
        abort(406, "This address serves live updates to the dashboard page only.")
    services = current_services()
    # Held until the stream ends; a stream that never starts lets it go after its time.
    release = await hold_live_stream(g.session_id, HOLD_SECONDS)
    since = whole_number(request.headers.get("Last-Event-ID") or request.args.get("since", ""))
    # The body is sent after the view returns, in a fresh app context: carry over who asks.
    user, session_id, csrf_token = g.user, g.session_id, g.csrf_token

    @stream_with_context
    async def events() -> AsyncIterator[bytes]:
        yield f"retry: {RECONNECT_MS}\n\n".encode()
        if user is None:
            yield DONE
            return
        g.user, g.session_id, g.csrf_token = user, session_id, csrf_token
        async with services.db.watch_changes(user.id) as watch:
            async for chunk in _changes(services, watch, since, render):
                yield chunk

    response = Response(_releasing(events(), release), mimetype="text/event-stream")
    response.headers["X-Accel-Buffering"] = "no"  # a proxy must pass each message on at once
    response.timeout = None  # the stream bounds its own length
    return response


async def _releasing(stream: AsyncIterator[bytes], release: Release) -> AsyncIterator[bytes]:
    """The stream, letting its slot go when it ends, however it ends: Quart closes the
    response's own iterator (this one) when the client leaves."""
    try:
        async for chunk in stream:
            yield chunk
    finally:
        await release()


async def _changes(
    services: Services, watch: ChangeWatch, since: int | None, render: Render
) -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    ends_at = loop.time() + STREAM_SECONDS
    changed = True  # the list may have moved since the page, or the last stream, was sent
    while True:
        if await accounts.session_user(services, g.session_id) is None:
            yield DONE  # logged out, here or elsewhere: stop showing this user's shares
            return
        if changed:
            stamp = await services.db.change_stamp(g.user.id)
            if stamp is None or stamp != since:
                # The stamp is read before rendering: a change in between is sent twice,
                # never missed.
                since = stamp
                yield message(await render(), since)
        else:
            yield b": keep-alive\n\n"
        left = ends_at - loop.time()
        if left <= 0:
            return
        changed = await watch.wait(min(HEARTBEAT_SECONDS, left))
        if watch.closed or (not changed and loop.time() >= ends_at):
            return
