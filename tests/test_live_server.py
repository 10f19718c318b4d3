"""End to end against real Hypercorn with two worker processes: exactly-once under real
concurrency, GET never consuming, and logs that never hold a secret."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import subprocess
import time
import tomllib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from resource import RLIMIT_NOFILE, getrlimit, setrlimit
from urllib.parse import urlsplit

import httpx
import pytest
from hypercorn.config import Config

from quart_app import invites, serving
from quart_app.invites import InviteRequest
from quart_app.resources import CHECKOUT
from quart_app.secret_requests.reading import Reading, read_answer
from quart_app.services import open_services
from quart_app.serving import AddressInUse, claim_addresses, hypercorn_config
from quart_app.storage.queries.shares import shares_page, uses_of
from quart_app.storage.queries.users import count_users, user_by_name

from . import rawhttp
from .conftest import BACKENDS, PASSWORD, fresh_database
from .live import NOTE, ONCELINK, LiveServer, ask_for_secret, issue_links, live_server

JSON = {"Accept": "application/json"}


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    instance = tmp_path_factory.mktemp("live")
    with (
        fresh_database(request, request.param, instance) as database,
        live_server(instance, ONCELINK_DATABASE=database) as server,
    ):
        yield server


async def post_all(urls: list[str], *, per_link: int) -> dict[str, Counter[int]]:
    """Fire per_link POSTs at every url at once, each from its own task and connection."""
    results = await asyncio.gather(
        *(rawhttp.request("POST", url, headers=JSON) for url in urls for _ in range(per_link))
    )
    statuses: dict[str, Counter[int]] = {url: Counter() for url in urls}
    for (status, body), url in zip(
        results, (u for u in urls for _ in range(per_link)), strict=True
    ):
        statuses[url][status] += 1
        if status == 200:
            assert NOTE in body.decode()
    return statuses


async def test_two_hundred_racing_posts_one_winner(server: LiveServer) -> None:
    [url] = await issue_links(server, 1)
    statuses = await post_all([url], per_link=200)
    assert statuses[url] == Counter({200: 1, 410: 199})


async def test_twenty_links_raced_at_once_each_have_one_winner(server: LiveServer) -> None:
    urls = await issue_links(server, 20, owner="bulk")
    statuses = await post_all(urls, per_link=200)
    for url in urls:
        assert statuses[url] == Counter({200: 1, 410: 199}), url
    async with open_services(server.settings) as services:
        owner = await user_by_name(services.db.reader, "bulk")
        assert owner is not None
        [share] = await shares_page(services.db.reader, owner.id, limit=5)
        uses = await uses_of(services.db.reader, [share.id])
    assert share.links_used == 20
    assert len(uses[share.id]) == 20
    assert share.note_erased  # every link used: the note is gone from the database


async def test_two_hundred_racing_answers_to_a_request_send_one(server: LiveServer) -> None:
    made = await ask_for_secret(server)
    headers = {**JSON, "Content-Type": "application/json"}
    answers = await asyncio.gather(
        *(
            rawhttp.request(
                "POST", made.url, headers=headers, body=b'{"note": "answer-key %d"}' % n
            )
            for n in range(200)
        )
    )
    assert Counter(status for status, _ in answers) == Counter({201: 1, 410: 199})
    async with open_services(server.settings) as services:
        owner = await user_by_name(services.db.reader, "asker")
        assert owner is not None
        first = await read_answer(services, owner, made.request.id)
        second = await read_answer(services, owner, made.request.id)
    assert first is not None
    assert first.answer is not None
    assert first.answer.startswith("answer-key ")
    assert second is not None
    assert second.reading is Reading.GONE
    log = server.log()
    assert "answer-key" not in log
    assert made.url.rsplit("/", 1)[1] not in log
    assert "/send/[redacted]" in log


async def test_previews_never_consume(server: LiveServer) -> None:
    [url] = await issue_links(server, 1)
    async with httpx.AsyncClient() as client:
        for _ in range(25):
            assert (await client.get(url)).status_code == 200
            assert (await client.head(url)).status_code == 200
        assert (await client.post(url, headers=JSON)).json()["state"] == "granted"


async def test_an_invite_raced_by_many_browsers_makes_one_account(server: LiveServer) -> None:
    async with open_services(server.settings) as services:
        issued = await invites.create_invite(services, None, InviteRequest(False, 7, ""))
        assert isinstance(issued, invites.IssuedInvite)
        before = await count_users(services.db.reader)
    form = "password=a+long+enough+passphrase&name=racer-"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    answers = await asyncio.gather(
        *(
            rawhttp.request("POST", issued.url, headers=headers, body=f"{form}{n}".encode())
            for n in range(10)
        )
    )
    assert Counter(status for status, _ in answers) == Counter({303: 1, 410: 9})
    async with open_services(server.settings) as services:
        assert await count_users(services.db.reader) == before + 1


def test_an_address_anything_listens_on_is_refused_and_the_rest_are_kept(
    tmp_path: Path,
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = f"127.0.0.1:{taken.getsockname()[1]}"
        config = Config()
        config.bind = [busy]
        with pytest.raises(AddressInUse, match=f"^{busy} is in use already"):
            claim_addresses(config)
    config = Config()
    config.bind = [f"unix:{tmp_path / 'sock'}", "127.0.0.1:0"]
    claim_addresses(config)
    assert config.bind[0] == f"unix:{tmp_path / 'sock'}"
    assert config.bind[1].startswith("fd://")
    os.close(int(config.bind[1].removeprefix("fd://")))


def test_a_second_server_on_a_served_address_refuses_to_start(
    server: LiveServer, tmp_path: Path
) -> None:
    port = str(urlsplit(server.base_url).port)
    command = [str(ONCELINK), "serve", "--host", "127.0.0.1", "--port", port, "--workers", "2"]
    env = {**server.env, "ONCELINK_INSTANCE": str(tmp_path)}
    second = subprocess.Popen(
        command, env=env, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        _, stderr = second.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(second.pid, signal.SIGKILL)
        second.wait()
        pytest.fail("a second server started on a served address")
    assert second.returncode == 1
    assert stderr == (
        f"oncelink: 127.0.0.1:{port} is in use already: is another oncelink serving it? "
        "Stop that one, or choose another address with --host and --port.\n"
    )
    for _ in range(4):  # every answer still comes from the first server, in both workers
        assert httpx.get(server.base_url + "/login").status_code == 200


async def test_full_flow_leaves_no_secret_in_any_log(tmp_path: Path, database: str) -> None:
    with live_server(tmp_path / "instance", ONCELINK_DATABASE=database) as server:
        setup_url = server.setup_link()
        setup_token = setup_url.rsplit("/", 1)[1]
        async with httpx.AsyncClient(base_url=server.base_url) as browser:
            assert (await browser.get(setup_url)).status_code == 200
            created = await browser.post(setup_url, data={"name": "alice", "password": PASSWORD})
            assert created.status_code == 303
            page = (await browser.get("/")).text
            csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
            assert csrf is not None
            form = {"csrf": csrf.group(1), "note": NOTE, "label": "", "ttl": "3600", "links": "2"}
            made = await browser.post("/shares", data=form)
            links = re.findall(r'value="(http://[^"]+/connect/[^"]+)"', made.text)
            assert len(links) == 2
            async with httpx.AsyncClient() as stranger:
                for link in links:
                    assert (await browser.get(link)).status_code == 200
                    assert NOTE in (await browser.post(link)).text
                    assert NOTE in (await browser.get(link)).text  # reloading, with the cookie
                    assert (await stranger.post(link)).status_code == 410
            await browser.post("/login", data={"name": "alice", "password": PASSWORD + "x"})
    log = server.log()
    assert "/connect/[redacted]" in log
    assert setup_token not in log  # printed on stderr, which carries no log line
    assert server.stderr().count(setup_token) == 1  # once, by the serving process
    assert "Running on" in log
    assert "Running on" not in server.stderr()
    secrets = [link.rsplit("/", 1)[1] for link in links] + [NOTE, PASSWORD, "orange-giraffe"]
    for secret in secrets:
        assert secret not in log


async def test_restart_keeps_users_shares_and_used_links(tmp_path: Path, database: str) -> None:
    instance = tmp_path / "instance"
    with live_server(instance, workers=1, ONCELINK_DATABASE=database) as server:
        urls = await issue_links(server, 2)
        async with httpx.AsyncClient() as client:
            assert (await client.post(urls[0], headers=JSON)).status_code == 200
        base = server.base_url
    with live_server(instance, workers=1, ONCELINK_DATABASE=database) as again:
        urls = [url.replace(base, again.base_url) for url in urls]
        async with httpx.AsyncClient() as client:
            assert (await client.post(urls[0], headers=JSON)).json()["state"] == "used"
            assert (await client.post(urls[1], headers=JSON)).json()["note"] == NOTE
            login = await client.post(
                again.base_url + "/login", data={"name": "racer", "password": PASSWORD}
            )
            assert login.status_code == 303


def test_project_config_drops_stalled_clients() -> None:
    config = tomllib.loads((CHECKOUT / "hypercorn.toml").read_text())
    assert 0 < config["read_timeout"] <= 30
    assert 0 < config["keep_alive_timeout"] <= 10


async def test_a_client_that_trickles_its_headers_is_disconnected(tmp_path: Path) -> None:
    """Slowloris: a byte now and then, never a whole request. Hypercorn's idle timer
    (keep_alive_timeout) drops it; read_timeout drops one that goes silent."""
    config = tmp_path / "hypercorn.toml"
    project = (CHECKOUT / "hypercorn.toml").read_text()
    for name in ("read_timeout", "keep_alive_timeout"):
        project = re.sub(rf"(?m)^{name} = \d+$", f"{name} = 1", project)
    config.write_text(project)
    with live_server(tmp_path / "instance", workers=1, config=config) as server:
        host, port = server.base_url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        started = time.monotonic()
        dropped = asyncio.create_task(reader.read())  # completes at EOF, when we are dropped
        writer.write(b"POST /login HTTP/1.1\r\nHost: x\r\n")
        with contextlib.suppress(ConnectionError):
            while not dropped.done() and time.monotonic() - started < 8:
                writer.write(b"X-Slow: y\r\n")
                await writer.drain()
                await asyncio.sleep(0.25)
        leftover = await asyncio.wait_for(dropped, timeout=1)
        elapsed = time.monotonic() - started
        writer.close()
    assert elapsed < 3
    assert b"HTTP/1.1 200" not in leftover


def sockets_in_close_wait(port: int) -> int:
    """The server's sockets on ``port`` whose client has closed, waiting for the server to
    close its side (state 08 in /proc/net/tcp)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            count += int(local.rsplit(":", 1)[1], 16) == port and state == "08"
    return count


async def test_connections_the_clients_closed_are_closed_at_once(tmp_path: Path) -> None:
    """Hypercorn alone keeps each such socket until keep_alive_timeout (5 s here): at a few
    hundred closing clients a second a worker would run out of descriptors."""
    with live_server(tmp_path / "instance", workers=1) as server:
        port = int(server.base_url.rsplit(":", 1)[1])
        connections = [await rawhttp.KeepAlive.open(server.base_url) for _ in range(20)]
        for connection in connections:
            assert (await connection.request("GET", "/connect/garbage"))[0] == 404
        for connection in connections:
            await connection.close()
        started = time.monotonic()
        # The kernel's socket table cannot be awaited: look until the sockets are gone.
        while sockets_in_close_wait(port) and time.monotonic() - started < 3:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        assert sockets_in_close_wait(port) == 0
        assert time.monotonic() - started < 1


def test_serve_raises_its_descriptor_limit_to_the_hard_limit(tmp_path: Path) -> None:
    soft, hard = getrlimit(RLIMIT_NOFILE)
    lowered = min(soft, 4096) if soft < hard else min(hard // 2, 4096)
    setrlimit(RLIMIT_NOFILE, (lowered, hard))
    try:
        with live_server(tmp_path / "instance", workers=1) as server:
            pids = [server.process.pid, *worker_pids(server.process.pid)]
            limits = [Path(f"/proc/{pid}/limits").read_text() for pid in pids]
    finally:
        setrlimit(RLIMIT_NOFILE, (soft, hard))
    assert len(limits) >= 2  # the server and its worker (and multiprocessing's helper)
    for text in limits:
        [line] = [line for line in text.splitlines() if line.startswith("Max open files")]
        assert line.split()[3:5] == [str(hard), str(hard)]


def worker_pids(parent: int) -> list[int]:
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    return [int(pid) for pid in children]


async def test_a_server_stops_at_once_with_idle_keep_alive_clients(tmp_path: Path) -> None:
    """An idle connection is closed as soon as the server begins to stop, not left to its
    keep-alive timeout (5 s) nor to the graceful timeout (5 s)."""
    with live_server(tmp_path / "instance", workers=1) as server:
        idle = [await rawhttp.KeepAlive.open(server.base_url) for _ in range(5)]
        for connection in idle:
            assert (await connection.request("GET", "/connect/garbage"))[0] == 404
        server.process.send_signal(signal.SIGINT)
        started = time.monotonic()
        try:
            await asyncio.to_thread(server.process.wait, 10)
        finally:
            for connection in idle:
                await connection.close()
    # Well under the 5 s either timeout would take, with room for a loaded machine.
    assert time.monotonic() - started < 3.5


def test_workers_run_uvloop_where_it_is_installed(tmp_path: Path) -> None:
    with live_server(tmp_path / "instance", workers=1) as server:
        maps = [Path(f"/proc/{pid}/maps").read_text() for pid in worker_pids(server.process.pid)]
    assert any("/uvloop/loop." in text for text in maps)


def test_serve_falls_back_to_asyncio_where_uvloop_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert hypercorn_config(None, host=None, port=None, workers=None).worker_class == "uvloop"
    monkeypatch.setattr(serving, "find_spec", lambda name: None)
    assert hypercorn_config(None, host=None, port=None, workers=None).worker_class == "asyncio"
