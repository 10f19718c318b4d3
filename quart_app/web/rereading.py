"""What the pages that show a secret once share: reading the one text field a recipient or a
sender posts, as a form or as JSON; and the cookie by which the browser that was shown the
secret may see it again for ten minutes (a pass scoped to that one page's path)."""

from __future__ import annotations

import json

from quart import Response, request

from ..reveal import REVIEW_SECONDS
from .context import current_services


async def text_sent(name: str) -> str | None:
    """The form field ``name``, or a JSON body's ``{name: "..."}``; None if neither is there
    as text (anything else in a body is not it)."""
    if request.is_json:
        try:
            body = json.loads(await request.get_data(cache=False))
        except (ValueError, RecursionError):  # not JSON, or nested beyond reason
            return None
        found = body.get(name) if isinstance(body, dict) else None
        return found if isinstance(found, str) else None
    return (await request.form).get(name)


def pass_cookie_name(kind: str) -> str:
    """The name of the cookie that holds a re-viewing pass of this ``kind``."""
    # The __Secure- prefix makes browsers refuse the cookie unless it is Secure.
    secure = current_services().settings.secure_cookies
    return f"__Secure-oncelink_{kind}" if secure else f"oncelink_{kind}"


def pass_sent(kind: str) -> str | None:
    """The re-viewing pass of this ``kind`` the browser sent, if any."""
    return request.cookies.get(pass_cookie_name(kind))


def keep_pass(response: Response, kind: str, path: str, reveal_pass: str) -> None:
    """Give the browser the pass, for the page at ``path`` only, HttpOnly, while it lasts."""
    response.set_cookie(
        pass_cookie_name(kind),
        reveal_pass,
        max_age=REVIEW_SECONDS,
        path=path,
        secure=current_services().settings.secure_cookies,
        httponly=True,
        samesite="Strict",
    )
