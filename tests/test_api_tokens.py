"""API tokens: created shown once, stored hashed, listed and revoked, from the CLI too."""

from __future__ import annotations

import functools
import hashlib
import re
from pathlib import Path

from quart.testing import QuartClient

from quart_app import api_tokens
from quart_app.services import Services
from quart_app.storage.queries.users import User

from .conftest import Browser, make_user
from .test_cli import oncelink


async def test_a_token_names_its_user_and_only_its_hash_is_stored(
    services: Services, user: User
) -> None:
    token = await api_tokens.create_api_token(services, user.id, "deploy bot")
    assert re.fullmatch(r"olk_[A-Za-z0-9_-]{43}", token)
    found = await api_tokens.api_token_user(services, token)
    assert found is not None
    assert found.name == "user1"
    rows = await services.db.reader.execute_fetchall("SELECT name, token_hash FROM api_tokens")
    assert [tuple(row) for row in rows] == [("deploy bot", hashlib.sha256(token.encode()).digest())]


async def test_unknown_malformed_and_revoked_tokens_name_nobody(
    services: Services, user: User
) -> None:
    token = await api_tokens.create_api_token(services, user.id, "")
    (listed,) = await api_tokens.tokens_of(services, user.id)
    for guess in ("", "olk_", token[:-1], token + "A", token[:-1] + "!", "Bearer " + token):
        assert await api_tokens.api_token_user(services, guess) is None
    assert await api_tokens.revoke_api_token(services, user.id, listed.id)
    assert await api_tokens.api_token_user(services, token) is None
    assert not await api_tokens.revoke_api_token(services, user.id, listed.id)


async def test_users_cannot_revoke_each_others_tokens(services: Services, user: User) -> None:
    other = await make_user(services, "user2")
    token = await api_tokens.create_api_token(services, other.id, "theirs")
    (theirs,) = await api_tokens.tokens_of(services, other.id)
    assert not await api_tokens.revoke_api_token(services, user.id, theirs.id)
    assert await api_tokens.api_token_user(services, token) is not None
    assert await api_tokens.tokens_of(services, user.id) == []


def tokens_in(page: str) -> list[str]:
    return re.findall(r'value="(olk_[^"]+)"', page)


async def test_token_page_shows_a_new_token_once_and_lists_it_by_name(browser: Browser) -> None:
    created = await browser.post("/tokens", {"name": "deploy bot"})
    page = await created.get_data(as_text=True)
    assert created.status_code == 201
    (token,) = tokens_in(page)
    assert "shown only this once" in page
    again = await (await browser.get("/tokens")).get_data(as_text=True)
    assert tokens_in(again) == []
    assert '<td data-label="Name" class="chosen">deploy bot</td>' in again
    listed = await browser.get("/api/v1/shares", headers={"Authorization": f"Bearer {token}"})
    assert listed.status_code == 200


async def test_revoking_a_token_on_the_page_locks_its_scripts_out(
    browser: Browser, services: Services, user: User
) -> None:
    token = await api_tokens.create_api_token(services, user.id, "old script")
    (listed,) = await api_tokens.tokens_of(services, user.id)
    asked = await browser.post(f"/tokens/{listed.id}/revoke")
    assert "Revoke the API token “old script”?" in await asked.get_data(as_text=True)
    assert await api_tokens.api_token_user(services, token) is not None  # only asked
    revoked = await browser.post(f"/tokens/{listed.id}/revoke", {"confirm": "yes"})
    assert revoked.status_code == 303
    page = await (await browser.get("/tokens")).get_data(as_text=True)
    assert "old script" not in page
    assert "No API tokens yet." in page
    call = await browser.get("/api/v1/shares", headers={"Authorization": f"Bearer {token}"})
    assert call.status_code == 401


async def test_token_page_refuses_other_users_tokens_and_long_names(
    browser: Browser, services: Services
) -> None:
    other = await make_user(services, "user2")
    await api_tokens.create_api_token(services, other.id, "theirs")
    (theirs,) = await api_tokens.tokens_of(services, other.id)
    assert (await browser.post(f"/tokens/{theirs.id}/revoke")).status_code == 404
    assert len(await api_tokens.tokens_of(services, other.id)) == 1
    too_long = await browser.post("/tokens", {"name": "n" * 101})
    assert too_long.status_code == 422
    assert "at most 100 characters" in await too_long.get_data(as_text=True)


async def test_token_page_needs_a_login_and_its_forms_the_csrf_token(
    client: QuartClient, browser: Browser, services: Services, user: User
) -> None:
    assert (await client.post("/tokens", form={"name": "x"})).status_code == 403
    assert await api_tokens.tokens_of(services, user.id) == []
    await client.post("/logout", form={"csrf": browser.csrf})
    response = await client.get("/tokens")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login?next=/tokens")


def test_cli_prints_the_token_and_nothing_else(tmp_path: Path, database: str) -> None:
    cli = functools.partial(oncelink, tmp_path, database=database)
    cli("user", "add", "ada", "--password-stdin", stdin="a long enough password\n")
    created = cli("token", "create", "ada", "--name", "ci")
    assert created.returncode == 0, created.stderr
    assert re.fullmatch(r"olk_[A-Za-z0-9_-]{43}\n", created.stdout)
    unnamed = cli("token", "create", "ada")
    assert unnamed.returncode == 0, unnamed.stderr
    assert cli("token", "create", "ada", "--name", " ").returncode == 2
    unknown = cli("token", "create", "bob")
    assert unknown.returncode == 1
    assert unknown.stdout == ""
    assert "no user named 'bob'" in unknown.stderr


async def test_a_token_needs_a_name(browser: Browser, services: Services, user: User) -> None:
    blank = await browser.post("/tokens", {"name": "   "})
    assert blank.status_code == 422
    assert "Give the token a name" in await blank.get_data(as_text=True)
    assert await api_tokens.tokens_of(services, user.id) == []


async def test_revoking_a_token_in_the_background_removes_just_its_row(
    browser: Browser, services: Services, user: User
) -> None:
    await api_tokens.create_api_token(services, user.id, "old script")
    (listed,) = await api_tokens.tokens_of(services, user.id)
    page = await (await browser.get("/tokens")).get_data(as_text=True)
    assert 'hx-confirm="Revoke the API token “old script”? Scripts that use it' in page
    revoked = await browser.post(
        f"/tokens/{listed.id}/revoke", {"confirm": "yes"}, headers={"HX-Request": "true"}
    )
    assert (revoked.status_code, await revoked.get_data(as_text=True)) == (200, "")
    assert await api_tokens.tokens_of(services, user.id) == []


async def test_the_token_form_sent_again_makes_no_second_token(
    browser: Browser, services: Services, user: User
) -> None:
    page = await (await browser.get("/tokens")).get_data(as_text=True)
    nonce = re.search(r'name="nonce" value="([^"]+)"', page)
    assert nonce is not None
    form = {"name": "deploy bot", "nonce": nonce.group(1)}
    assert (await browser.post("/tokens", form)).status_code == 201
    again = await browser.post("/tokens", form)
    shown = await again.get_data(as_text=True)
    assert again.status_code == 200
    assert "This form was sent already" in shown
    assert tokens_in(shown) == []
    assert len(await api_tokens.tokens_of(services, user.id)) == 1
