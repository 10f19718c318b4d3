"""A share's own page: each link with its recipient, its state and what happened to it, live
while the page is open; and the share's events as CSV and JSON files."""

from __future__ import annotations

import json

from quart import Blueprint, Response, abort, g

from ...share_trail import RECORD_FIELDS, ShareTrail, event_record, share_trail
from ...shares import is_gone
from ..context import current_services
from ..rendering import html
from ..sessions import login_required
from .exports import csv_text, download

bp = Blueprint("share_page", __name__)


async def trail_or_404(share_id: str) -> ShareTrail:
    trail = await share_trail(current_services(), g.user, share_id)
    if trail is None:
        abort(404, "You have no share with this id.")
    return trail


@bp.get("/shares/<share_id>")
@login_required
async def show(share_id: str) -> Response:
    # Read the stamp first: a change landing in between is then shown twice, never missed.
    changes = await current_services().db.change_stamp(g.user.id)
    trail = await trail_or_404(share_id)
    settings = current_services().settings
    return await html(
        "share.html",
        410 if is_gone(trail.status.share) else 200,  # as the API answers: gone, history kept
        trail=trail,
        changes=changes,
        audit_days=settings.audit_days,
        audit_addresses=settings.audit_addresses,
    )


@bp.get("/shares/<share_id>/events.csv")
@login_required
async def events_csv(share_id: str) -> Response:
    trail = await trail_or_404(share_id)
    rows = [list(record.values()) for record in _records(trail)]
    return download(csv_text(RECORD_FIELDS, rows), "text/csv", f"oncelink-{share_id}-events.csv")


@bp.get("/shares/<share_id>/events.json")
@login_required
async def events_json(share_id: str) -> Response:
    trail = await trail_or_404(share_id)
    body = json.dumps({"events": _records(trail)}, ensure_ascii=False, indent=1)
    return download(body, "application/json", f"oncelink-{share_id}-events.json")


def _records(trail: ShareTrail) -> list[dict[str, object]]:
    """Every event of the share, oldest first."""
    events = [*trail.share_events, *(event for row in trail.links for event in row.events)]
    events.sort(key=lambda event: (event.at, event.id))
    return [event_record(event, trail.recipients) for event in events]
