"""Helpers for answering the same request as a full page, an htmx fragment, or JSON."""

from __future__ import annotations

from typing import Any

from quart import Response, render_template, request
from werkzeug.datastructures import MIMEAccept


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def wants_json() -> bool:
    return prefers_json(request.accept_mimetypes)


def prefers_json(accept: MIMEAccept) -> bool:
    """JSON only when the client ranks it above HTML; browsers' ``*/*`` gets HTML."""
    return accept.best_match(["text/html", "application/json"]) == "application/json"


async def page_or_fragment(page: str, fragment: str, status: int = 200, **context: Any) -> Response:
    """The full page for a normal request, only the fragment for htmx.

    ``Vary: HX-Request`` keeps any cache from serving one in place of the other."""
    response = await html(fragment if is_htmx() else page, status, **context)
    response.vary.add("HX-Request")
    return response


async def html(template: str, status: int = 200, **context: Any) -> Response:
    return Response(await render_template(template, **context), status, mimetype="text/html")
