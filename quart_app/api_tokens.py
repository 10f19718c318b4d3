"""API tokens of main users: a random 256-bit secret shown once; only its SHA-256 is stored.

SHA-256, not argon2: the secret is 256 random bits, so there is nothing to guess, and a hash
lookup costs nothing per request."""

from __future__ import annotations

import hashlib
import re
import secrets

from .services import Services
from .storage.queries import api_tokens as queries
from .storage.queries.api_tokens import ApiToken
from .storage.queries.users import User

MAX_API_TOKEN_NAME_CHARS = 100
# A prefix lets secret scanners and people recognise a leaked token; the rest is 256 bits.
API_TOKEN_PREFIX = "olk_"  # noqa: S105 - a prefix, not a secret
_API_TOKEN_SHAPE = re.compile(r"olk_[A-Za-z0-9_-]{43}")


def _api_token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def api_token_name_problem(name: str) -> str | None:
    if not name.strip():
        return "Give the token a name, such as what will use it."
    if len(name.strip()) > MAX_API_TOKEN_NAME_CHARS:
        return f"Use a name of at most {MAX_API_TOKEN_NAME_CHARS} characters."
    if "\x00" in name:  # PostgreSQL's text cannot hold it
        return "Remove the NUL character (\\0) from the name."
    return None


async def create_api_token(services: Services, user_id: int, name: str) -> str:
    """A new API token for the user, to be shown once: only its hash is stored."""
    token = await create_api_token_once(services, user_id, name, form_nonce=None)
    assert token is not None
    return token


async def create_api_token_once(
    services: Services, user_id: int, name: str, *, form_nonce: str | None
) -> str | None:
    """As ``create_api_token``, for a form with a one-time nonce: None if that form made a
    token already (a reload of the page that showed it sends it again)."""
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    async with services.db.transaction() as conn:
        made = await queries.insert_api_token(
            conn,
            user_id,
            name.strip(),
            _api_token_hash(token),
            now=services.clock(),
            form_nonce=form_nonce,
        )
    return token if made else None


async def tokens_of(services: Services, user_id: int) -> list[ApiToken]:
    return await queries.api_tokens_of(services.db.reader, user_id)


async def token_of(services: Services, user_id: int, token_id: int) -> ApiToken | None:
    """The user's API token with this id; None if they have no such token."""
    return await queries.api_token_of(services.db.reader, user_id, token_id)


async def revoke_api_token(services: Services, user_id: int, token_id: int) -> bool:
    """False if the user has no such token."""
    async with services.db.transaction() as conn:
        return await queries.delete_api_token(conn, user_id, token_id)


async def api_token_user(services: Services, token: str) -> User | None:
    """Whose token this is; None for a revoked, unknown or malformed one."""
    if not _API_TOKEN_SHAPE.fullmatch(token):
        return None
    return await queries.api_token_user(services.db.reader, _api_token_hash(token))
