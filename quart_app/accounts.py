"""Main users: password hashing (argon2id), server-side sessions, and the first-admin setup."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from . import shares
from .links.tokens import LinkError
from .paths import SETUP_PATH
from .services import Services
from .storage.base import Connection
from .storage.queries import api_tokens, requests, sessions, users
from .storage.queries import shares as share_queries
from .storage.queries.users import User

SESSION_LIFETIME = 14 * 24 * 3600
SETUP_LINK_LIFETIME = 7 * 24 * 3600
MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 1024
MAX_NAME_CHARS = 64
# Recipients read the name ("alice has shared something with you"), so it must be what it
# looks like: no Cyrillic letter in a Latin-looking name, no invisible or right-to-left
# marks. Plain ASCII letters, digits and three marks look like nothing else.
_NAME = re.compile(r"[A-Za-z0-9._-]+")

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


@functools.cache
def _dummy_hash() -> str:
    """Unknown users are checked against this, so a login takes as long either way."""
    return _hasher.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class NewUser:
    name: str
    password: str


def normal_name(name: str) -> str:
    """A user name as it is stored and looked up, whoever typed it how: NFKC folds the
    compatibility forms (full-width letters are the plain ones), and spaces around go."""
    return unicodedata.normalize("NFKC", name).strip()


def problems_with(user: NewUser) -> dict[str, str]:
    problems: dict[str, str] = {}
    name = normal_name(user.name)
    if not name:
        problems["name"] = "Choose a user name."
    elif len(name) > MAX_NAME_CHARS or not _NAME.fullmatch(name):
        problems["name"] = (
            "Use up to 64 letters a to z (without accents), digits, dots, dashes or underscores."
        )
    password = password_problem(user.password)
    if password:
        problems["password"] = password
    return problems


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD_CHARS:
        return f"Use a password of at least {MIN_PASSWORD_CHARS} characters."
    if len(password) > MAX_PASSWORD_CHARS:
        return "That password is too long."
    return None


async def hash_password(password: str) -> str:
    # Argon2 is deliberately slow; keep it off the event loop.
    return await asyncio.to_thread(_hasher.hash, password)


async def _password_matches(password_hash: str, password: str) -> bool:
    try:
        return await asyncio.to_thread(_hasher.verify, password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def add_user(
    services: Services, user: NewUser, *, is_admin: bool, only_if_first: bool = False
) -> int | None:
    """Create a user; None if the name is taken (or, with only_if_first, users exist)."""
    password_hash = await hash_password(user.password)
    async with services.db.transaction() as conn:
        return await add_user_in(
            conn, services, user.name, password_hash, is_admin=is_admin, only_if_first=only_if_first
        )


async def add_user_in(
    conn: Connection,
    services: Services,
    name: str,
    password_hash: str,
    *,
    is_admin: bool,
    only_if_first: bool = False,
) -> int | None:
    """As ``add_user``, inside the caller's transaction, with the password hashed already."""
    return await users.insert_user(
        conn,
        normal_name(name),
        password_hash,
        is_admin=is_admin,
        now=services.clock(),
        only_if_first=only_if_first,
    )


async def name_is_taken(services: Services, name: str) -> bool:
    return await user_named(services, name) is not None


async def user_named(services: Services, name: str) -> User | None:
    """The user of this name, however it is spelt (case, compatibility forms, spaces)."""
    name = normal_name(name)
    # A name no database could hold is nobody's. Names added before the rule of ``_NAME``
    # may be outside it; they are still found.
    if not 0 < len(name) <= MAX_NAME_CHARS or not name.isprintable():
        return None
    return await users.user_by_name(services.db.reader, name)


async def authenticate(services: Services, name: str, password: str) -> User | None:
    user = await user_named(services, name)
    matches = await _password_matches(user.password_hash if user else _dummy_hash(), password)
    if user is None or not matches or user.disabled_at is not None:
        return None
    return user


def _session_hash(session_id: str) -> bytes:
    return hashlib.sha256(session_id.encode()).digest()


async def start_session(services: Services, user_id: int) -> str:
    """A new random session id for the cookie; only its hash is stored."""
    session_id = secrets.token_urlsafe(32)
    now = services.clock()
    async with services.db.transaction() as conn:
        await sessions.insert_session(
            conn, _session_hash(session_id), user_id, now=now, expires_at=now + SESSION_LIFETIME
        )
    return session_id


async def session_user(services: Services, session_id: str) -> User | None:
    return await sessions.session_user(
        services.db.reader, _session_hash(session_id), now=services.clock()
    )


async def end_session(services: Services, session_id: str) -> None:
    async with services.db.transaction() as conn:
        await sessions.delete_session(conn, _session_hash(session_id))


async def change_password(
    services: Services, user: User, current: str, new: str, *, revoke_api_tokens: bool
) -> tuple[str | None, dict[str, str]]:
    """Set a new password and end every session of the user, this one included; with
    ``revoke_api_tokens``, revoke their API tokens too (otherwise they keep working).

    Returns a fresh session id for the browser that made the change, or the problems; a
    problem with ``current`` means the current password was wrong."""
    if not await _password_matches(user.password_hash, current):
        return None, {"current": "That is not your current password."}
    problem = password_problem(new)
    if problem:
        return None, {"new": problem}
    password_hash = await hash_password(new)
    async with services.db.transaction() as conn:
        await users.set_password_hash(conn, user.id, password_hash)
        await sessions.delete_user_sessions(conn, user.id)
        if revoke_api_tokens:
            await api_tokens.delete_user_api_tokens(conn, user.id)
    return await start_session(services, user.id), {}


async def set_disabled(services: Services, user_id: int, *, disabled: bool) -> None:
    """Disabling ends the user's sessions, revokes their API tokens and every link they
    issued (as "revoke all" does), marks each share with links left as revoked and erases
    every note and every answer to their requests, so that enabling them again brings back no
    old share, note, answer or link."""
    now = services.clock()
    async with services.db.changing(user_id) as conn:
        await users.set_disabled(conn, user_id, disabled_at=now if disabled else None)
        if disabled:
            await sessions.delete_user_sessions(conn, user_id)
            await api_tokens.delete_user_api_tokens(conn, user_id)
            await users.bump_link_generation(conn, user_id)
            await shares.record_revocations(conn, user_id, now=now)
            await share_queries.revoke_every_share(conn, user_id, now=now)
            await requests.revoke_waiting_requests(conn, user_id, now=now)
            await requests.erase_every_answer(conn, user_id)


async def list_users(services: Services) -> list[User]:
    return await users.list_users(services.db.reader)


async def user_with_id(services: Services, user_id: int) -> User | None:
    return await users.user_by_id(services.db.reader, user_id)


def setup_link(services: Services) -> str:
    return f"{services.settings.base_url}{SETUP_PATH}{services.signer.issue_setup()}"


async def setup_is_open(services: Services, token: str) -> bool:
    """The setup link works while it is authentic, fresh, and no user exists yet."""
    try:
        services.signer.verify_setup(token, max_age=SETUP_LINK_LIFETIME)
    except LinkError:
        return False
    return await users.count_users(services.db.reader) == 0
