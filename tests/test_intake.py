"""What any request may be, whatever its route: a head of at most 16 KiB and a body of at
most 1 MiB. Over the limit the answer comes at once and the rest is not read: in the app,
at the door, and on a real server."""

from __future__ import annotations

import asyncio
import contextlib
import re
import tomllib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from quart import Quart
from quart.testing import QuartClient

from quart_app.resources import CHECKOUT
from quart_app.web.intake import MAX_HEAD_BYTES, MAX_REQUEST_BYTES

from . import rawhttp
from .live import live_server

CHUNK = 64 * 1024
JSON = {"Accept": "application/json"}


def every_path(app: Quart) -> list[str]:
    """A concrete path for every route of the app."""
    rules = sorted({rule.rule for rule in app.url_map.iter_rules()})
    return [re.sub(r"<[^>]+>", "1", rule) for rule in rules]


async def test_every_route_refuses_a_body_over_the_limit(app: Quart, client: QuartClient) -> None:
    too_large = b"x" * (MAX_REQUEST_BYTES + 1)
    paths = every_path(app)
    assert "/connect/1" in paths
    for path in paths:
        response = await client.post(path, data=too_large)
        assert response.status_code == 413, path
        assert response.headers["Connection"] == "close"
        assert "too large" in await response.get_data(as_text=True)
        as_json = await client.post(path, data=too_large, headers=JSON)
        assert (await as_json.get_json())["error"] == "That is too large to accept.", path


async def test_a_background_request_over_the_limit_gets_the_message_not_a_page(
    client: QuartClient,
) -> None:
    headers = {"HX-Request": "true", "Content-Length": str(MAX_REQUEST_BYTES + 1)}
    response = await client.post("/shares", data=b"x" * (MAX_REQUEST_BYTES + 1), headers=headers)
    assert response.status_code == 413
    body = await response.get_data(as_text=True)
    assert body.startswith('<p class="notice warn" role="alert" data-problem>')
    assert "That is too large to accept." in body
    assert "HX-Request" in response.headers["Vary"]


async def test_a_body_at_the_limit_is_read(client: QuartClient) -> None:
    # A whole 1 MiB form reaches the view, which refuses its note as too long.
    at_the_limit = b"name=x&password=" + b"y" * (MAX_REQUEST_BYTES - 16)
    response = await client.post(
        "/login", data=at_the_limit, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 401


async def test_a_head_over_16_kib_is_refused(client: QuartClient) -> None:
    big = await client.get("/login", headers={"X-Padding": "a" * MAX_HEAD_BYTES})
    assert big.status_code == 431
    assert (await client.get("/login", headers={"X-Padding": "a" * 8000})).status_code == 200


class Sent:
    """A body sent in chunks, without a length, as long as the app reads it."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.read = 0

    async def receive(self) -> dict[str, Any]:
        if self.read >= self.total:
            await asyncio.Event().wait()  # the client keeps the connection open, silent
        self.read += CHUNK
        return {"type": "http.request", "body": b"x" * CHUNK, "more_body": True}


def scope_for(method: str, path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"oncelink.test"), *headers],
        "client": ("192.0.2.1", 1234),
        "server": ("oncelink.test", 80),
        "extensions": {},
        "state": {},
    }


@pytest.mark.parametrize("path", ["/connect/garbage", "/login", "/api/v1/shares", "/nowhere"])
async def test_a_chunked_body_is_read_up_to_the_limit_then_refused(app: Quart, path: str) -> None:
    body = Sent(total=32 * 1024 * 1024)
    answers: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        answers.append(message)

    form = [(b"content-type", b"application/x-www-form-urlencoded")]
    await asyncio.wait_for(app(scope_for("POST", path, form), body.receive, send), timeout=5)
    assert answers[0]["status"] == 413
    assert body.read <= MAX_REQUEST_BYTES + CHUNK


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), head


@contextlib.asynccontextmanager
async def connection(base_url: str) -> AsyncIterator[tuple[asyncio.StreamReader, Any]]:
    host, port = base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        yield reader, writer
    finally:
        writer.close()


async def send_chunks(writer: Any, total: int) -> int:
    """Send a chunked body until ``total`` bytes or the server closes; how many were sent."""
    sent = 0
    chunk = f"{CHUNK:x}\r\n".encode() + b"x" * CHUNK + b"\r\n"
    with contextlib.suppress(ConnectionError):
        while sent < total:
            writer.write(chunk)
            await writer.drain()
            sent += CHUNK
    return sent


async def test_a_real_server_answers_oversized_requests_without_reading_them(
    tmp_path: Path,
) -> None:
    with live_server(tmp_path, workers=1) as server:
        # A head that arrives whole, in one read, is stopped by the app.
        for padding, status in ((60 * 1024, 431), (12 * 1024, 200)):
            async with connection(server.base_url) as (reader, writer):
                writer.write(b"GET /login HTTP/1.1\r\nHost: x\r\nX-Padding: ")
                writer.write(b"a" * padding + b"\r\n\r\n")
                assert (await asyncio.wait_for(read_answer(reader), 5))[0] == status
        # A declared 300 MiB body: answered before a byte of it is sent.
        async with connection(server.base_url) as (reader, writer):
            writer.write(b"POST /connect/garbage HTTP/1.1\r\nHost: x\r\n")
            writer.write(b"Content-Length: 314572800\r\n\r\n")
            status, head = await asyncio.wait_for(read_answer(reader), 5)
            assert status == 413
            assert b"connection: close" in head.lower()
        # A chunked body, to the door and to a view that reads its form: read up to the
        # limit, then answered and closed. (The door answers dead links once the view has
        # rendered their page.)
        assert (await rawhttp.request("GET", server.base_url + "/connect/garbage"))[0] == 404
        for path in (b"/connect/garbage", b"/login"):
            async with connection(server.base_url) as (reader, writer):
                writer.write(b"POST " + path + b" HTTP/1.1\r\nHost: x\r\n")
                writer.write(b"Content-Type: application/x-www-form-urlencoded\r\n")
                writer.write(b"Transfer-Encoding: chunked\r\n\r\n")
                answer = asyncio.create_task(read_answer(reader))
                sent = await asyncio.wait_for(send_chunks(writer, 256 * 1024 * 1024), 20)
                assert (await asyncio.wait_for(answer, 5))[0] == 413, path
            # What the kernel's buffers took before the server closed; no more was sent.
            assert sent < 64 * 1024 * 1024, path


def test_hypercorn_cuts_off_a_head_still_arriving_at_the_same_size() -> None:
    config = tomllib.loads((CHECKOUT / "hypercorn.toml").read_text())
    assert config["h11_max_incomplete_size"] == MAX_HEAD_BYTES
    assert config["h2_max_header_list_size"] == MAX_HEAD_BYTES
