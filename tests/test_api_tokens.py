"""API tokens: created shown once, stored hashed, listed and revoked, from the CLI too."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from quart_app import accounts
from quart_app.services import Services
from quart_app.store import User

from .conftest import make_user
from .test_cli import oncelink


async def test_a_token_names_its_user_and_only_its_hash_is_stored(
    services: Services, user: User
) -> None:
    token = await accounts.create_api_token(services, user.id, "deploy bot")
    assert re.fullmatch(r"olk_[A-Za-z0-9_-]{43}", token)
    found = await accounts.api_token_user(services, token)
    assert found is not None
    assert found.name == "user1"
    rows = await services.db.reader.execute_fetchall("SELECT name, token_hash FROM api_tokens")
    assert [tuple(row) for row in rows] == [("deploy bot", hashlib.sha256(token.encode()).digest())]


async def test_unknown_malformed_and_revoked_tokens_name_nobody(
    services: Services, user: User
) -> None:
    token = await accounts.create_api_token(services, user.id, "")
    (listed,) = await accounts.api_tokens(services, user.id)
    for guess in ("", "olk_", token[:-1], token + "A", token[:-1] + "!", "Bearer " + token):
        assert await accounts.api_token_user(services, guess) is None
    assert await accounts.revoke_api_token(services, user.id, listed.id)
    assert await accounts.api_token_user(services, token) is None
    assert not await accounts.revoke_api_token(services, user.id, listed.id)


async def test_users_cannot_revoke_each_others_tokens(services: Services, user: User) -> None:
    other = await make_user(services, "user2")
    token = await accounts.create_api_token(services, other.id, "theirs")
    (theirs,) = await accounts.api_tokens(services, other.id)
    assert not await accounts.revoke_api_token(services, user.id, theirs.id)
    assert await accounts.api_token_user(services, token) is not None
    assert await accounts.api_tokens(services, user.id) == []


def test_cli_prints_the_token_and_nothing_else(tmp_path: Path) -> None:
    oncelink(tmp_path, "user", "add", "ada", "--password-stdin", stdin="a long enough password\n")
    created = oncelink(tmp_path, "token", "create", "ada", "--name", "ci")
    assert created.returncode == 0, created.stderr
    assert re.fullmatch(r"olk_[A-Za-z0-9_-]{43}\n", created.stdout)
    unknown = oncelink(tmp_path, "token", "create", "bob")
    assert unknown.returncode == 1
    assert unknown.stdout == ""
    assert "no user named 'bob'" in unknown.stderr
