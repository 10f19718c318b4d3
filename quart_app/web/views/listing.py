"""The share list and the request list, as the dashboard, their pages and their live updates
all render them."""

from __future__ import annotations

from typing import Any

from quart import g

from ... import shares
from ...secret_requests.status import list_requests
from ..context import current_services

PAGE_SIZE = 20


async def share_page(before: int | None = None) -> dict[str, Any]:
    """One page of the user's shares, newest first, with what the template needs to page on
    and to stay live: the cursors, and the change stamp this rendering reflects."""
    services = current_services()
    # Read the stamp first: a change landing in between is then shown twice, never missed.
    changes = await services.db.change_stamp(g.user.id)
    rows = await shares.list_shares(services, g.user, limit=PAGE_SIZE + 1, before=before)
    return {
        "shares": rows[:PAGE_SIZE],
        "cursor": before,
        "next_cursor": rows[PAGE_SIZE - 1].share.seq if len(rows) > PAGE_SIZE else None,
        "changes": changes,
    }


async def request_page(before: int | None = None) -> dict[str, Any]:
    """One page of the user's requests for secrets, newest first, and the cursors to page on.
    (Its live view shares the share list's change stamp: both move with any change.)"""
    services = current_services()
    rows = await list_requests(services, g.user, limit=PAGE_SIZE + 1, before=before)
    return {
        "requests": rows[:PAGE_SIZE],
        "request_cursor": before,
        "next_request_cursor": rows[PAGE_SIZE - 1].request.seq if len(rows) > PAGE_SIZE else None,
    }
