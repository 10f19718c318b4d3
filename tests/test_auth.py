"""Logging in and out, and the one-time setup link that creates the first admin."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from quart import Quart
from quart.testing import QuartClient

from quart_app import create_app
from quart_app.accounts import NewUser, add_user, problems_with, setup_link
from quart_app.clock import FrozenClock
from quart_app.services import Services
from quart_app.storage.queries.users import User, count_users, list_users, user_by_name
from quart_app.web.context import services_of

from .conftest import PASSWORD, Browser, log_in, make_settings, make_user


async def test_dashboard_requires_login(client: QuartClient) -> None:
    response = await client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login")


async def test_wrong_password_is_refused_and_keeps_the_name(
    client: QuartClient, user: User
) -> None:
    response = await client.post("/login", form={"name": "user1", "password": "not it at all"})
    page = await response.get_data(as_text=True)
    assert response.status_code == 401
    assert "Wrong user name or password." in page
    assert 'value="user1"' in page
    assert (await client.get("/")).status_code == 302


async def test_unknown_user_gets_the_same_answer(client: QuartClient, user: User) -> None:
    response = await client.post("/login", form={"name": "nobody", "password": PASSWORD})
    assert response.status_code == 401
    assert "Wrong user name or password." in await response.get_data(as_text=True)


async def test_login_sets_a_session_cookie_that_scripts_cannot_read(
    client: QuartClient, user: User
) -> None:
    response = await client.post("/login", form={"name": "user1", "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert (await client.get("/")).status_code == 200


async def test_logout_ends_the_session_on_the_server(
    app: Quart, client: QuartClient, user: User
) -> None:
    browser = await log_in(client)
    stolen = {cookie.name: cookie.value for cookie in client.cookie_jar}
    thief = app.test_client()  # replays the cookie as someone who copied it would
    for name, value in stolen.items():
        thief.set_cookie("localhost", name, value)
    assert (await thief.get("/")).status_code == 200
    assert (await browser.post("/logout")).status_code == 303
    assert (await client.get("/")).status_code == 302
    assert (await thief.get("/")).status_code == 302


async def test_logout_without_csrf_token_is_refused(client: QuartClient, user: User) -> None:
    await log_in(client)
    assert (await client.post("/logout")).status_code == 403
    assert (await client.get("/")).status_code == 200


async def test_a_form_token_with_non_ascii_characters_is_refused_not_a_500(
    client: QuartClient, user: User
) -> None:
    await log_in(client)
    assert (await client.post("/logout", form={"csrf": "\u0080"})).status_code == 403
    assert (await client.post("/logout", headers={"X-CSRF-Token": "é"})).status_code == 403
    assert (await client.get("/")).status_code == 200


async def test_setup_link_creates_the_first_admin_once(
    client: QuartClient, services: Services
) -> None:
    path = setup_link(services).removeprefix(services.settings.base_url)
    form_page = await client.get(path)
    assert form_page.status_code == 200
    assert "Create the first admin" in await form_page.get_data(as_text=True)
    created = await client.post(path, form={"name": "alice", "password": PASSWORD})
    assert created.status_code == 303
    admin = await user_by_name(services.db.reader, "alice")
    assert admin is not None
    assert admin.is_admin
    assert (await client.get("/")).status_code == 200
    again = await client.get(path)
    assert again.status_code == 410
    assert "can no longer be used" in await again.get_data(as_text=True)
    retry = await client.post(path, form={"name": "mallory", "password": PASSWORD})
    assert retry.status_code == 410
    assert await count_users(services.db.reader) == 1


async def test_setup_form_keeps_the_name_when_the_password_is_too_short(
    client: QuartClient, services: Services
) -> None:
    path = setup_link(services).removeprefix(services.settings.base_url)
    response = await client.post(path, form={"name": "alice", "password": "short"})
    page = await response.get_data(as_text=True)
    assert response.status_code == 422
    assert "at least 10 characters" in page
    assert 'value="alice"' in page
    assert await count_users(services.db.reader) == 0


async def test_setup_link_is_void_once_any_user_exists(
    client: QuartClient, services: Services, user: User
) -> None:
    path = setup_link(services).removeprefix(services.settings.base_url)
    assert (await client.get(path)).status_code == 410


async def test_forged_setup_link_is_refused(client: QuartClient, services: Services) -> None:
    assert (await client.get("/setup/eyJqIjoiYWJjIn0.AAAAAA.forged")).status_code == 410


async def test_setup_submitted_many_times_at_once_creates_one_admin(services: Services) -> None:
    attempts = [
        add_user(services, NewUser(f"admin{n}", PASSWORD), is_admin=True, only_if_first=True)
        for n in range(8)
    ]
    created = [user_id for user_id in await asyncio.gather(*attempts) if user_id is not None]
    assert len(created) == 1
    assert await count_users(services.db.reader) == 1


async def test_login_leads_back_to_the_page_that_asked_for_it(
    client: QuartClient, user: User
) -> None:
    asked = await client.get("/tokens")
    assert asked.headers["Location"] == "/login?next=/tokens"
    page = await (await client.get("/login?next=/tokens")).get_data(as_text=True)
    assert '<input type="hidden" name="next" value="/tokens">' in page
    form = {"name": "user1", "password": PASSWORD, "next": "/tokens"}
    response = await client.post("/login", form=form)
    assert (response.status_code, response.headers["Location"]) == (303, "/tokens")


@pytest.mark.parametrize(
    "elsewhere",
    [
        "//evil.example/",
        "/\\evil.example",
        "https://evil.example/",
        "/%2F%2Fevil.example",
        "/connect/a-link-token",
        "javascript:alert(1)",
        "",
    ],
)
async def test_login_never_leads_to_another_site_or_a_secret_path(
    client: QuartClient, user: User, elsewhere: str
) -> None:
    form = {"name": "user1", "password": PASSWORD, "next": elsewhere}
    response = await client.post("/login", form=form)
    assert (response.status_code, response.headers["Location"]) == (303, "/")


async def test_a_background_request_without_a_session_sends_the_whole_window_to_login(
    client: QuartClient, user: User
) -> None:
    headers = {"HX-Request": "true", "HX-Current-URL": "http://oncelink.test/tokens"}
    response = await client.post("/shares", form={"note": "n"}, headers=headers)
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login?next=/tokens"
    body = await response.get_data(as_text=True)
    assert "<html" not in body
    assert "Your session has ended" in body


async def test_errors_in_background_requests_are_messages_not_pages(
    browser: Browser,
) -> None:
    response = await browser.client.post(
        "/shares", form={"note": "n", "csrf": "stale"}, headers={"HX-Request": "true"}
    )
    body = await response.get_data(as_text=True)
    assert response.status_code == 403
    assert body.startswith('<p class="notice warn" role="alert" data-problem>')
    assert "<html" not in body
    assert "HX-Request" in response.headers["Vary"]


async def test_logging_out_of_an_https_deployment_deletes_the_secure_cookie(
    tmp_path: Path, database: str, clock: FrozenClock
) -> None:
    """Browsers ignore a deletion of a ``__Host-`` cookie that lacks ``Secure``: the dead
    cookie would stay."""
    settings = make_settings(tmp_path, database=database, base_url="https://once.example")
    app = create_app(settings, clock)
    async with app.test_app():
        await make_user(services_of(app))
        client = app.test_client()
        form = {"name": "user1", "password": PASSWORD}
        assert (await client.post("/login", form=form, scheme="https")).status_code == 303
        page = await (await client.get("/", scheme="https")).get_data(as_text=True)
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
        assert csrf is not None
        response = await client.post("/logout", form={"csrf": csrf[1]}, scheme="https")
    assert response.status_code == 303
    deletion = response.headers["Set-Cookie"]
    assert deletion.startswith("__Host-oncelink=;")
    for attribute in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=0"):
        assert attribute in deletion


LOOK_ALIKES = [
    "\u0430lice",  # a Cyrillic a, then Latin letters
    "\u0430\u0441\u0435",  # all Cyrillic, reads "ace"
    "alice\u200b",  # zero-width space
    "al\u200dice",  # zero-width joiner
    "\u202eecila",  # right-to-left override: shows "alice"
    "ali\u0301ce",  # a combining accent
    "al ice",
]


@pytest.mark.parametrize("name", LOOK_ALIKES)
async def test_names_that_look_like_another_are_refused_everywhere_a_name_is_chosen(
    client: QuartClient, services: Services, name: str
) -> None:
    path = setup_link(services).removeprefix(services.settings.base_url)
    response = await client.post(path, form={"name": name, "password": PASSWORD})
    assert response.status_code == 422
    assert "letters a to z" in await response.get_data(as_text=True)
    assert "name" in problems_with(NewUser(name, PASSWORD))  # the CLI's check too
    assert await count_users(services.db.reader) == 0


def full_width(text: str) -> str:
    """The text in full-width forms, as some input methods type Latin letters."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


async def test_full_width_letters_are_the_same_name(
    client: QuartClient, services: Services
) -> None:
    path = setup_link(services).removeprefix(services.settings.base_url)
    created = await client.post(path, form={"name": full_width("alice"), "password": PASSWORD})
    assert created.status_code == 303
    assert [user.name for user in await list_users(services.db.reader)] == ["alice"]
    for spelling in ("alice", "ALICE", full_width("alice"), f" {full_width('A')}lice "):
        login = await client.post("/login", form={"name": spelling, "password": PASSWORD})
        assert login.status_code == 303, spelling


async def test_every_spelling_of_a_name_spends_the_same_wrong_guesses(
    client: QuartClient, user: User
) -> None:
    for spelling in ("user1", "USER1", full_width("user1"), " user1", full_width("USER") + "1"):
        wrong = {"name": spelling, "password": "wrong password!"}
        assert (await client.post("/login", form=wrong)).status_code == 401
    right = {"name": "user1", "password": PASSWORD}
    assert (await client.post("/login", form=right)).status_code == 429
