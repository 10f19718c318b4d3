"""Jinja filters and the values every template may use."""

from __future__ import annotations

from typing import Any

from quart import Quart, g

from ..clock import human_utc, in_words, iso_utc
from ..words import plural
from .context import services_of


def init_app(app: Quart) -> None:
    clock = services_of(app).clock

    def from_now(timestamp: float) -> str:
        """``in 1 hour`` or ``3 days ago``."""
        delta = timestamp - clock()
        return f"in {in_words(delta)}" if delta >= 0 else f"{in_words(-delta)} ago"

    app.add_template_filter(human_utc, "utc")
    app.add_template_filter(iso_utc, "iso")
    app.add_template_filter(from_now, "from_now")
    app.add_template_global(plural, "plural")

    @app.context_processor
    async def session_values() -> dict[str, Any]:
        return {"user": g.get("user"), "csrf_token": g.get("csrf_token", "")}
