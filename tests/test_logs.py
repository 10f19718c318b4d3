"""The logs of a real ``oncelink serve``: no spelling of a secret path leaves its token in the
access log, no client value forges a line or reaches a terminal raw, credentials and the
environment are never written, and the app's own log lines appear, redacted alike."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import re
import time
from collections.abc import Iterator
from dataclasses import replace
from multiprocessing.queues import SimpleQueue
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from hypercorn.config import Config

from quart_app.clock import FrozenClock, system_clock
from quart_app.config import load_settings
from quart_app.paths import SECRET_PATHS
from quart_app.resources import CHECKOUT
from quart_app.services import open_services
from quart_app.serving import hypercorn_config
from quart_app.share_requests import ShareRequest
from quart_app.shares import create_share
from quart_app.worker import serving_app

from .conftest import make_user
from .live import NOTE, LiveServer, free_port, issue_links, live_server, server_env

# Every atom Hypercorn knows, and headers that carry credentials: the project's format names
# fewer, but an operator may name any of them.
EVERY_ATOM = (
    '%(h)s %(l)s %(t)s "%(r)s" "%(R)s" %(s)s "%(st)s" %(S)s %(m)s %(U)s %(Uq)s %(q)s %(H)s '
    '%(b)s %(B)s "%(f)s" "%(a)s" %(T)s %(D)s %(L)s %(p)s %({authorization}i)s %({Cookie}i)s '
    "%({x-forwarded-for}i)s %({set-cookie}o)s %({location}o)s %({oncelink_signing_keys}e)s "
    "%({path}e)s"
)


def config_with_format(folder: Path, access_log_format: str) -> Path:
    project = (CHECKOUT / "hypercorn.toml").read_text()
    config = folder / "hypercorn.toml"
    line = f"access_log_format = '{access_log_format}'"
    config.write_text(re.sub(r"(?m)^access_log_format = .*$", lambda _: line, project))
    return config


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    instance = tmp_path_factory.mktemp("logs")
    config = config_with_format(instance, EVERY_ATOM)
    with live_server(instance, workers=1, config=config) as server:
        yield server


async def send(server: LiveServer, target: str, headers: dict[str, bytes] | None = None) -> int:
    """One request with the target and header bytes exactly as given, on its own connection."""
    parts = urlsplit(server.base_url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    head = [f"GET {target} HTTP/1.1".encode(), f"Host: {parts.netloc}".encode()]
    head += [name.encode() + b": " + value for name, value in (headers or {}).items()]
    writer.write(b"\r\n".join([*head, b"Connection: close", b"", b""]))
    response = await reader.read()
    writer.close()
    return int(response.split(b" ", 2)[1])


def access_lines(server: LiveServer) -> list[str]:
    return [line for line in server.log().splitlines() if '"GET ' in line]


def wire_spellings(path: str, token: str) -> list[str]:
    """``path + token`` as request targets may spell it on the wire."""
    name = path.strip("/")
    every_letter = "".join(f"%{ord(c):02X}" for c in name)
    fullwidth_first = "%EF%BD%" + f"{ord(name[0]) - 0x60 + 0x80:02X}"
    return [
        f"/{name.upper()}/{token}",
        f"/{name.capitalize()}/{token}",
        f"/{name}/%20{token}",
        f"/{name}/%09{token}",
        f"/{name}/%0a{token}",
        f"/{name}/%0D%0A{token}",
        f"/{name[0]}%{ord(name[1]):02x}{name[2:]}/{token}",
        f"/{every_letter}/{token}",
        f"/%25{ord(name[0]):02x}{name[1:]}/{token}",
        f"/{name}%2F{token}",
        f"%2F{name}%2F{token}",
        f"//{name}//{token}",
        f"/./{name}/./{token}",
        f"/static/../{name}/{token}",
        f"\\{name}\\{token}",
        f"/{name};x=1/{token}",
        f"/{fullwidth_first}{name[1:]}/{token}",
        f"/x?next=/{name}/{token}",
        f"/x?next=%2F{name.upper()}%2F{token}",
        f"http://oncelink.example/{name.upper()}/{token}",
    ]


async def test_no_spelling_of_a_secret_path_puts_its_token_in_the_access_log(
    server: LiveServer,
) -> None:
    [link] = await issue_links(server, 1)
    token = link.rsplit("/", 1)[1]
    before = len(access_lines(server))
    sent = 0
    for path in SECRET_PATHS:
        for target in wire_spellings(path, token):
            await send(server, target, {"Referer": f"{server.base_url}/CONNECT/{token}".encode()})
            sent += 1
    async with httpx.AsyncClient() as client:  # the token the log never showed still works
        assert (await client.post(link, headers={"Accept": "application/json"})).status_code == 200
    log = server.log()
    assert token not in log
    assert token.split(".")[-1] not in log
    lines = access_lines(server)[before:]
    assert len(lines) == sent
    assert all("[redacted]" in line for line in lines)


async def test_no_client_value_forges_a_line_or_reaches_a_terminal_raw(
    server: LiveServer,
) -> None:
    targets = [
        "/x%0aFORGED",
        "/x%0d%0a127.0.0.1%20FORGED",
        "/x%1b[31mFORGED%1b[0m",
        "/x%E2%80%A8FORGED",
        "/x%C2%85FORGED",
        "/x%22%20200%20-%20%22FORGED",
        "/x?q=%0aFORGED%1b[2J",
    ]
    headers = {"User-Agent": b"ua\x1b[31m\x85FORGED", "Referer": b"http://x/\x7f\x1bFORGED"}
    before = len(access_lines(server))
    for target in targets:
        assert await send(server, target, headers) == 404
    log = server.log()
    lines = access_lines(server)[before:]
    assert len(lines) == len(targets)
    # Each request on its one line: its path, query, user agent and referrer all there.
    assert all(line.count("FORGED") >= 3 for line in lines)
    assert not any("FORGED" in line and line not in lines for line in log.splitlines())
    assert not set(log) & {"\x1b", "\r", "\x85", "\u2028", "\x7f"}
    assert '\\"' in lines[-2]  # the quote that would have closed the request field


async def test_credentials_and_the_environment_are_never_written(server: LiveServer) -> None:
    api_token = "oncelink_api_token_that_must_stay_secret"
    await send(
        server,
        "/api/v1/shares",
        {"Authorization": f"Bearer {api_token}".encode(), "Cookie": b"session=cookie-secret"},
    )
    log = server.log()
    assert api_token not in log
    assert "cookie-secret" not in log
    assert server.env["ONCELINK_SIGNING_KEYS"] not in log
    assert server.env["ONCELINK_SECRET_KEY"] not in log
    assert server.env["ONCELINK_NOTE_KEYS"] not in log
    assert server.env["PATH"] not in log


def test_the_apps_own_log_lines_appear_under_serve(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    asyncio.run(share_expired_an_hour_ago(instance))
    with live_server(instance, workers=1) as server:
        assert wait_for_line(server, "notes erased"), server.log()
    [line] = [line for line in server.log().splitlines() if "notes erased" in line]
    assert re.search(r"\[\d+\] \[INFO\] sweep: 1 notes erased", line)


async def share_expired_an_hour_ago(instance: Path) -> None:
    """A share whose note the server's first sweep erases."""
    async with open_services(load_settings(server_env(instance, free_port()))) as services:
        owner = await make_user(services, "sweeper")
        an_hour_ago = replace(services, clock=FrozenClock(system_clock() - 3600))
        await create_share(an_hour_ago, owner, ShareRequest(NOTE, "", 300, 1))


def wait_for_line(server: LiveServer, text: str) -> bool:
    """Whether the server writes ``text`` within five seconds."""
    for _ in range(100):
        if text in server.log():
            return True
        time.sleep(0.05)
    return False


async def test_every_request_is_in_the_access_log_after_a_clean_stop(tmp_path: Path) -> None:
    with live_server(tmp_path / "instance", workers=2) as server:
        async with httpx.AsyncClient(base_url=server.base_url) as client:
            for number in range(200):
                await client.get(f"/connect/garbage-{number}")
    lines = [line for line in server.log().splitlines() if "/connect/[redacted]" in line]
    assert len(lines) == 200


def test_a_worker_routes_the_apps_logs_before_it_loads_the_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hypercorn builds its logger only after the app has started, and the app logs while
    it starts (its first sweep): a worker sets the logger up before it loads the app."""
    monkeypatch.setenv("ONCELINK_INSTANCE", str(tmp_path))
    config = hypercorn_config(None, host=None, port=None, workers=1)
    spawn = multiprocessing.get_context("spawn")
    answers = spawn.SimpleQueue()
    # Hypercorn starts its workers so: the config is a keyword argument of the process.
    worker = spawn.Process(target=load_app_as_a_worker, kwargs={"config": config, "to": answers})
    worker.start()
    worker.join(timeout=30)
    assert answers.get() == ["quart_app", "root"]


def load_app_as_a_worker(config: Config, to: SimpleQueue[list[str]]) -> None:
    serving_app()
    loggers = {"quart_app": logging.getLogger("quart_app"), "root": logging.getLogger()}
    to.put([name for name, logger in loggers.items() if logger.handlers])
