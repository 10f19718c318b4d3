"""The share list as the dashboard, its pages and its live updates all render it."""

from __future__ import annotations

from typing import Any

from quart import g

from ... import shares
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
