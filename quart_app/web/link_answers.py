"""What every answer at ``/connect/<token>`` is made of, for the door and the view alike:
the status of each link state, its message, its JSON, and the page of a dead link."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from quart import Quart, render_template

from ..clock import iso_utc
from ..links.states import LinkState, LinkView

STATUS = {
    LinkState.READY: 200,
    LinkState.GRANTED: 200,
    LinkState.USED: 410,
    LinkState.EXPIRED: 410,
    LinkState.REVOKED: 410,
    LinkState.LOCKED: 410,
    LinkState.INVALID: 404,
}
# A ready link that a POST did not open: its passphrase was missing or wrong.
REFUSED_STATUS = 403
ERRORS = {
    LinkState.USED: "This link has already been used",
    LinkState.EXPIRED: "This link has expired",
    LinkState.REVOKED: "This link was revoked",
    LinkState.LOCKED: "This link was locked after too many wrong passphrases",
    LinkState.INVALID: "This link is not valid",
}
# ASGI scope key: the (token, claims) that the door checked, so the view need not again.
VERIFIED = "oncelink.verified"
_PAGES_KEY = "oncelink.dead_link_pages"


def status_of(view: LinkView) -> int:
    return REFUSED_STATUS if view.refusal is not None else STATUS[view.state]


def as_json(view: LinkView) -> dict[str, Any]:
    if view.refusal is not None:
        return {"state": "ready", "error": view.refusal.value, "attempts_left": view.attempts_left}
    if view.state is LinkState.READY:
        assert view.expires_at is not None
        ready = {
            "state": "ready",
            "granted_by": view.granted_by,
            "expires_at": iso_utc(view.expires_at),
        }
        return {**ready, "passphrase": True} if view.passphrase else ready
    if view.state is LinkState.GRANTED:
        assert view.used_at is not None
        return {
            "state": "granted",
            "granted_by": view.granted_by,
            "note": view.note,
            "used_at": iso_utc(view.used_at),
        }
    return {"state": view.state.value, "error": ERRORS[view.state]}


@dataclass
class DeadLinkPages:
    """The page of a link that cannot be opened depends on its state alone, so each is
    rendered once per app, the first time the view needs it: a flood of dead links costs
    no template work, and the door serves them without the framework."""

    rendered: dict[LinkState, str] = field(default_factory=dict)

    async def page(self, state: LinkState) -> str:
        if state not in self.rendered:
            view = LinkView(state)
            self.rendered[state] = await render_template(
                "link.html", view=view, error=ERRORS[state]
            )
        return self.rendered[state]


def dead_link_pages(app: Quart) -> DeadLinkPages:
    """The app's one set of dead-link pages."""
    pages = app.extensions.get(_PAGES_KEY)
    if pages is None:
        pages = app.extensions[_PAGES_KEY] = DeadLinkPages()
    assert isinstance(pages, DeadLinkPages)
    return pages
