"""The tutorial oncelink grew from, kept as the speed baseline: Flask, users typing their
id, tokens in a dict for an hour, the first visit wins.

For the benchmark it also accepts POST on /connect (the body is the same), and
``TUTORIAL_TOKENS=N`` pre-issues tokens ``t0 .. tN-1`` so a load generator can redeem them.
"""

from __future__ import annotations

import os
import secrets
import time

from flask import Flask, request

app = Flask(__name__)
USERS = {"user1", "user2", "user3"}
TTL = 3600
tokens: dict[str, tuple[str, float]] = {
    f"t{i}": ("user1", time.time() + TTL)
    for i in range(int(os.environ.get("TUTORIAL_TOKENS", "0")))
}


@app.route("/", methods=["GET", "POST"])
def index() -> str:
    user = request.form.get("user", "")
    if user not in USERS:
        return '<form method="post"><input name="user"><button>Get link</button></form>'
    token = secrets.token_urlsafe(16)
    tokens[token] = (user, time.time() + TTL)
    return f"/connect/{token}"


@app.route("/connect/<token>", methods=["GET", "POST"])
def connect(token: str) -> tuple[str, int]:
    entry = tokens.pop(token, None)
    if entry is None:
        return "This link is not valid", 404
    user, expires = entry
    if expires < time.time():
        return "This link has expired", 410
    return f"You have grant access by {user}", 200
