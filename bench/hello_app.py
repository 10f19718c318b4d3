"""Quart hello-world: the floor for what a request through Quart + Hypercorn costs here."""

from __future__ import annotations

from quart import Quart

app = Quart(__name__)


@app.route("/connect/<token>", methods=["GET", "POST"])
async def connect(token: str) -> str:
    return "hello"
