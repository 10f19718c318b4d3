"""The redeeming browser may read the note again for ten minutes; nobody else, ever."""

from __future__ import annotations

from dataclasses import replace

from quart import Quart
from quart.testing import QuartClient

from quart_app import create_app
from quart_app.clock import FrozenClock
from quart_app.config import Settings
from quart_app.services import Services
from quart_app.shares import revoke_all_links, revoke_share
from quart_app.storage.queries.users import User
from quart_app.sweep import sweep

from .conftest import share_for, token_of

NOTE = "the wifi password is hunter2"
JSON = {"Accept": "application/json"}


async def paths(services: Services, owner: User, links: int = 1) -> list[str]:
    created = await share_for(services, owner, note=NOTE, links=links)
    return ["/connect/" + token_of(link.url) for link in created.links]


async def page(client: QuartClient, path: str) -> tuple[int, str]:
    response = await client.get(path)
    return response.status_code, await response.get_data(as_text=True)


async def test_the_redeeming_browser_can_reload_the_note_for_ten_minutes(
    client: QuartClient, services: Services, user: User, clock: FrozenClock
) -> None:
    [path] = await paths(services, user)
    assert (await client.post(path)).status_code == 200
    clock.advance(599)
    status, text = await page(client, path)
    assert status == 200
    assert NOTE in text
    assert "Access granted by user1" in text
    assert (await client.post(path)).status_code == 200  # reloading the POST works too
    clock.advance(2)
    status, text = await page(client, path)
    assert status == 410
    assert NOTE not in text
    assert "This link has already been used" in text


async def test_any_other_browser_is_told_the_link_was_used(
    app: Quart, client: QuartClient, services: Services, user: User
) -> None:
    [path] = await paths(services, user)
    await client.post(path)
    other = app.test_client()
    for response in (await other.get(path), await other.post(path)):
        assert response.status_code == 410
        assert NOTE not in await response.get_data(as_text=True)


async def test_the_reveal_cookie_is_httponly_strict_and_scoped_to_its_link(
    client: QuartClient, services: Services, user: User
) -> None:
    [path] = await paths(services, user)
    cookie = (await client.post(path)).headers["Set-Cookie"]
    assert cookie.startswith("oncelink_reveal=")
    for attribute in ("HttpOnly", "SameSite=Strict", f"Path={path}", "Max-Age=600"):
        assert attribute in cookie
    assert "Secure" not in cookie


async def test_behind_https_the_reveal_cookie_is_secure(
    settings: Settings, clock: FrozenClock, user: User, services: Services
) -> None:
    secure_app = create_app(replace(settings, base_url="https://oncelink.test"), clock)
    async with secure_app.test_app():
        client = secure_app.test_client()
        [path] = await paths(services, user)
        response = await client.post(path, headers={"Origin": "https://oncelink.test"})
        cookie = response.headers["Set-Cookie"]
        assert cookie.startswith("__Secure-oncelink_reveal=")
        assert "Secure" in cookie.split(";", 1)[1]


async def test_the_server_keeps_only_a_copy_it_cannot_read_and_sweeps_it(
    client: QuartClient, services: Services, user: User, clock: FrozenClock
) -> None:
    [path] = await paths(services, user)
    await client.post(path)
    reader = services.db.reader
    [(note,)] = await reader.execute_fetchall("SELECT note FROM shares")
    assert note is None  # the last link is used: the note itself is erased
    [(sealed,)] = await reader.execute_fetchall("SELECT sealed_note FROM reveals")
    assert NOTE.encode() not in sealed
    await sweep(services)
    assert len(await reader.execute_fetchall("SELECT * FROM reveals")) == 1
    clock.advance(601)
    await sweep(services)
    assert await reader.execute_fetchall("SELECT * FROM reveals") == []


async def test_a_pass_for_one_link_opens_no_other(
    app: Quart, client: QuartClient, services: Services, user: User
) -> None:
    first, second = await paths(services, user, links=2)
    await client.post(first)  # the test client sends this cookie on every path
    assert (await app.test_client().post(second)).status_code == 200
    status, text = await page(client, second)
    assert status == 410
    assert NOTE not in text


async def test_a_tampered_pass_opens_nothing(
    client: QuartClient, services: Services, user: User
) -> None:
    [path] = await paths(services, user)
    cookie = (await client.post(path)).headers["Set-Cookie"]
    value = cookie.split(";", 1)[0].split("=", 1)[1]
    forged = value[:-3] + ("AAA" if value[-3:] != "AAA" else "BBB")
    client.set_cookie("localhost", "oncelink_reveal", forged, path=path)
    assert (await page(client, path))[0] == 410


async def test_revoking_ends_re_viewing(
    client: QuartClient, services: Services, user: User
) -> None:
    created = await share_for(services, user, note=NOTE, links=2)
    first = "/connect/" + token_of(created.links[0].url)
    await client.post(first)
    await revoke_share(services, user, created.share.id)
    status, text = await page(client, first)
    assert status == 410
    assert "already been used" in text  # a used link stays "used" after a revoke
    assert await services.db.reader.execute_fetchall("SELECT * FROM reveals") == []
    [third] = await paths(services, user)
    await client.post(third)
    await revoke_all_links(services, user)
    assert (await page(client, third))[0] == 410


async def test_programs_get_the_note_once_and_nothing_is_kept_for_them(
    client: QuartClient, services: Services, user: User
) -> None:
    [path] = await paths(services, user)
    response = await client.post(path, headers=JSON)
    assert (await response.get_json())["note"] == NOTE
    assert "Set-Cookie" not in response.headers
    assert await services.db.reader.execute_fetchall("SELECT * FROM reveals") == []
