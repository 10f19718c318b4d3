"""Links sealed with a passphrase: the note opens only with it, wrong ones are counted and
lock the link after five, and the server never keeps the passphrase."""

from __future__ import annotations

import asyncio
import os
import threading
from collections import Counter
from typing import Any

import pytest
from quart import Quart, request
from quart.testing import QuartClient

from quart_app import passphrases
from quart_app.clock import iso_utc
from quart_app.services import Services
from quart_app.shares import revoke_share
from quart_app.storage.queries.users import User

from .apiclient import ApiClient, body_of
from .conftest import START, Browser, query_directly, share_for, token_of

PASSPHRASE = "correct staple 42"
NOTE = "the wifi password is hunter2"
JSON = {"Accept": "application/json"}
LOCKED = "This link was locked after too many wrong passphrases"


async def sealed_link(services: Services, owner: User, links: int = 1) -> list[str]:
    created = await share_for(services, owner, links=links, passphrase=PASSPHRASE)
    return ["/connect/" + token_of(link.url) for link in created.links]


async def open_json(
    client: QuartClient, path: str, passphrase: str | None, address: str = "192.0.2.1"
) -> tuple[int, dict[str, Any]]:
    """POST for JSON, with the passphrase if given, from ``address``."""
    options: dict[str, Any] = {"headers": JSON, "scope_base": {"client": (address, 1)}}
    if passphrase is not None:
        options["json"] = {"passphrase": passphrase}
    response = await client.post(path, **options)
    return response.status_code, await response.get_json()


async def test_a_passphrase_link_says_so_and_its_page_asks_for_it(
    client: QuartClient, services: Services, user: User
) -> None:
    [path] = await sealed_link(services, user)
    ready = await client.get(path, headers=JSON)
    assert ready.status_code == 200
    assert await ready.get_json() == {
        "state": "ready",
        "granted_by": "user1",
        "expires_at": iso_utc(START + 3600),
        "passphrase": True,
    }
    page = await (await client.get(path)).get_data(as_text=True)
    assert '<input id="passphrase" name="passphrase" type="password"' in page
    assert NOTE not in page


async def test_the_right_passphrase_opens_the_note_once(
    client: QuartClient, services: Services, user: User
) -> None:
    [path] = await sealed_link(services, user)
    status, body = await open_json(client, path, PASSPHRASE)
    assert (status, body["state"], body["note"]) == (200, "granted", NOTE)
    status, body = await open_json(client, path, PASSPHRASE)
    assert (status, body["state"]) == (410, "used")


async def test_the_form_sends_the_passphrase_and_a_wrong_one_keeps_the_link_ready(
    app: Quart, services: Services, user: User
) -> None:
    [path] = await sealed_link(services, user)
    browser = app.test_client()
    wrong = await browser.post(path, form={"passphrase": "not it at all"})
    page = await wrong.get_data(as_text=True)
    assert wrong.status_code == 403
    assert "Wrong passphrase." in page
    assert "4 tries left before the link locks." in page
    assert 'name="passphrase"' in page
    right = await browser.post(path, form={"passphrase": PASSPHRASE})
    assert right.status_code == 200
    assert NOTE in await right.get_data(as_text=True)
    again = await browser.get(path)  # the redeeming browser may reload the note
    assert NOTE in await again.get_data(as_text=True)


async def test_a_missing_passphrase_is_refused_and_counts_no_attempt(
    client: QuartClient, services: Services, user: User
) -> None:
    [path] = await sealed_link(services, user)
    for _ in range(7):
        status, body = await open_json(client, path, None)
        assert status == 403
        assert body == {
            "state": "ready",
            "error": "This link needs its passphrase",
            "attempts_left": 5,
        }
    assert (await open_json(client, path, PASSPHRASE))[0] == 200


async def test_five_wrong_passphrases_lock_the_link_for_get_and_post_alike(
    client: QuartClient, services: Services, user: User
) -> None:
    [path] = await sealed_link(services, user)
    for left in (4, 3, 2, 1, 0):
        status, body = await open_json(client, path, f"wrong guess {left}")
        assert status == 403
        assert body == {"state": "ready", "error": "Wrong passphrase", "attempts_left": left}
    for method in ("GET", "POST"):
        answer = await client.open(path, method=method, headers=JSON)
        assert answer.status_code == 410
        assert await answer.get_json() == {"state": "locked", "error": LOCKED}
        page = await client.open(path, method=method)
        assert page.status_code == 410
        assert LOCKED in await page.get_data(as_text=True)
    assert await open_json(client, path, PASSPHRASE) == (410, {"state": "locked", "error": LOCKED})


async def test_a_locked_link_counts_as_revoked_and_the_last_one_takes_the_note(
    client: QuartClient, services: Services, user: User, database: str
) -> None:
    first, second = await sealed_link(services, user, links=2)
    for path in (first, second):
        for _ in range(5):
            await open_json(client, path, "wrong guess!")
    [(links_revoked, note)] = await query_directly(
        database, "SELECT links_revoked, note FROM shares"
    )
    assert (links_revoked, note) == (2, None)  # nothing left to open: the note is gone
    assert (await (await client.get(first, headers=JSON)).get_json())["state"] == "locked"


async def test_each_link_counts_its_own_attempts(
    client: QuartClient, services: Services, user: User
) -> None:
    first, second = await sealed_link(services, user, links=2)
    for _ in range(5):
        await open_json(client, first, "wrong guess!")
    assert (await open_json(client, first, PASSPHRASE))[0] == 410
    assert (await open_json(client, second, PASSPHRASE))[0] == 200


async def test_used_beats_locked_and_locked_beats_revoked(
    client: QuartClient, services: Services, user: User, database: str
) -> None:
    used, locked = await sealed_link(services, user, links=2)
    for _ in range(4):
        await open_json(client, used, "wrong guess!")
    assert (await open_json(client, used, PASSPHRASE))[0] == 200
    # As if a wrong attempt racing the right one had been counted last.
    await query_directly(database, "UPDATE passphrase_attempts SET attempts = 5")
    assert (await client.get(used, headers=JSON)).status_code == 410
    assert (await (await client.get(used, headers=JSON)).get_json())["state"] == "used"
    for _ in range(5):
        await open_json(client, locked, "wrong guess!")
    [share_id] = {
        share_id for (share_id,) in await query_directly(database, "SELECT id FROM shares")
    }
    await revoke_share(services, user, share_id)
    assert (await (await client.get(locked, headers=JSON)).get_json())["state"] == "locked"


async def test_fifty_racing_wrong_passphrases_count_five_attempts(
    client: QuartClient, services: Services, user: User, database: str
) -> None:
    [path] = await sealed_link(services, user)
    # Each from an address of its own, so that only the link's own limit applies.
    answers = await asyncio.gather(
        *(open_json(client, path, f"guess {n}!!", f"198.51.100.{n}") for n in range(50))
    )
    statuses = Counter(status for status, _ in answers)
    assert statuses == Counter({403: 5, 410: 45})  # each wrong, or locked
    assert await query_directly(database, "SELECT attempts FROM passphrase_attempts") == [(5,)]


async def test_the_database_holds_the_note_sealed_and_never_the_passphrase(
    client: QuartClient, services: Services, user: User, database: str
) -> None:
    [path] = await sealed_link(services, user)
    await open_json(client, path, "a wrong passphrase")
    await services.audit.flush()
    [(stored, kdf)] = await query_directly(database, "SELECT note, passphrase_kdf FROM shares")
    assert NOTE not in stored
    assert kdf.startswith("argon2id$")
    for table in ("shares", "audit_events", "passphrase_attempts", "redemptions"):
        for row in await query_directly(database, f"SELECT * FROM {table}"):  # noqa: S608
            assert PASSPHRASE not in repr(row)
            assert "a wrong passphrase" not in repr(row)


async def test_key_derivations_run_on_threads_of_their_own(
    client: QuartClient, services: Services, user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    [path] = await sealed_link(services, user)
    threads: list[tuple[str, int]] = []
    real = passphrases.derive_key

    def watched(passphrase: str, kdf: str) -> bytes:
        niceness = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        threads.append((threading.current_thread().name, niceness))
        return real(passphrase, kdf)

    monkeypatch.setattr(passphrases, "derive_key", watched)
    assert (await open_json(client, path, PASSPHRASE))[0] == 200
    [(name, niceness)] = threads
    assert name.startswith("oncelink-kdf")
    # Requests come first: the derivation takes the CPU they leave.
    assert niceness > os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


async def test_too_many_derivations_at_once_are_refused_before_anything_is_counted(
    client: QuartClient, services: Services, user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    [path] = await sealed_link(services, user)
    monkeypatch.setattr(services.derivations, "_max_waiting", 0)
    busy = await client.post(path, headers=JSON, json={"passphrase": PASSPHRASE})
    assert busy.status_code == 429
    assert busy.headers["Retry-After"] == "1"
    monkeypatch.undo()
    status, body = await open_json(client, path, "wrong guess!")
    assert (status, body["attempts_left"]) == (403, 4)  # the refused one counted nothing


async def test_too_many_passphrases_from_one_address_get_429(
    client: QuartClient, services: Services, user: User
) -> None:
    paths = await sealed_link(services, user, links=3)
    statuses = [(await open_json(client, paths[n % 3], "wrong guess"))[0] for n in range(11)]
    assert statuses == [403] * 10 + [429]


async def test_programs_posting_a_passphrase_are_answered_by_the_view_others_at_the_door(
    app: Quart, client: QuartClient, services: Services, user: User
) -> None:
    entered: list[str] = []

    @app.before_request
    async def note_entry() -> None:
        entered.append(request.path)

    [path] = await sealed_link(services, user)
    assert await open_json(client, path, None) == (
        403,
        {"state": "ready", "error": "This link needs its passphrase", "attempts_left": 5},
    )
    assert entered == []
    assert (await open_json(client, path, PASSPHRASE))[0] == 200
    assert entered == [path]


@pytest.mark.parametrize("passphrase", ["seven 7", "x" * 129])
async def test_a_passphrase_must_have_8_to_128_characters(
    api: ApiClient, browser: Browser, passphrase: str
) -> None:
    refused = await api.post("/shares", {"note": "n", "passphrase": passphrase})
    assert refused.status_code == 422
    assert (await body_of(refused))["detail"] == {
        "passphrase": "Use a passphrase of 8 to 128 characters."
    }
    form = {"note": "keep me", "label": "", "ttl": "3600", "links": "1", "passphrase": passphrase}
    page = await browser.post("/shares", form)
    text = await page.get_data(as_text=True)
    assert page.status_code == 422
    assert "Use a passphrase of 8 to 128 characters." in text
    assert ">keep me</textarea>" in text


async def test_the_api_makes_passphrase_links(api: ApiClient, client: QuartClient) -> None:
    created = await body_of(await api.post("/shares", {"note": NOTE, "passphrase": PASSPHRASE}))
    path = "/connect/" + token_of(created["links"][0]["url"])
    assert (await open_json(client, path, None))[0] == 403
    assert (await open_json(client, path, PASSPHRASE))[1]["note"] == NOTE
