"""Requests for secrets: what their owners asked for, and the one answer each may get.

A request's row is its own ledger entry: ``record_answer`` sets ``answered_at`` with a
conditional UPDATE, so of any number of answers racing, in any number of processes, exactly
one finds the row still unanswered.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..base import Connection, Dialect
from .rows import first_row


@dataclass(frozen=True)
class SecretRequest:
    seq: int
    id: str
    owner_id: int
    label: str
    instructions: str
    created_at: float
    expires_at: float
    answered_at: float | None
    read_at: float | None
    revoked_at: float | None
    sealed: bool  # the answer is sealed with a passphrase only the owner knows


@dataclass(frozen=True)
class RequestTarget:
    """What the person asked to answer meets: the request, as its link's page shows it."""

    id: str
    owner_id: int
    owner_name: str
    label: str
    instructions: str
    answered: bool
    revoked: bool
    sealing_key: bytes | None  # the public key to seal the answer to, if it must be sealed


@dataclass(frozen=True)
class StoredAnswer:
    answer: str  # encrypted at rest; within, sealed with the passphrase's key if it has one
    answer_key: str  # its data key, wrapped by a note key
    answered_at: float
    passphrase_kdf: str | None


@dataclass(frozen=True)
class RevealedAnswer:
    """A read answer's copy for the browser that read it: sealed with a key only it has."""

    sealed: bytes
    answered_at: float
    until: float


_TARGET = """SELECT r.id, u.id, u.name, r.label, r.instructions, r.answered_at IS NOT NULL,
    r.revoked_at IS NOT NULL, r.sealing_key FROM requests r JOIN users u ON u.id = r.owner_id
    WHERE r.id = ?"""
_COLUMNS = """seq, id, owner_id, label, instructions, created_at, expires_at, answered_at,
    read_at, revoked_at, passphrase_kdf IS NOT NULL"""


def _request(row: Any) -> SecretRequest:
    return SecretRequest(
        seq=row[0],
        id=row[1],
        owner_id=row[2],
        label=row[3],
        instructions=row[4],
        created_at=row[5],
        expires_at=row[6],
        answered_at=row[7],
        read_at=row[8],
        revoked_at=row[9],
        sealed=bool(row[10]),
    )


def _locking(conn: Connection, lock: bool, clause: str) -> str:
    # SQLite's BEGIN IMMEDIATE holds the whole database against other writers already.
    return f" {clause}" if lock and conn.dialect is Dialect.POSTGRESQL else ""


async def insert_request(
    conn: Connection,
    request_id: str,
    owner_id: int,
    *,
    label: str,
    instructions: str,
    now: float,
    expires_at: float,
    form_nonce: str | None = None,
    passphrase_kdf: str | None = None,
    sealing_key: bytes | None = None,
) -> bool:
    """Add a request; False if the owner already has one made by a form with this nonce."""
    row = await first_row(
        conn,
        """INSERT INTO requests(id, owner_id, label, instructions, created_at, expires_at,
                                form_nonce, passphrase_kdf, sealing_key)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (owner_id, form_nonce) DO NOTHING RETURNING seq""",
        (
            request_id,
            owner_id,
            label,
            instructions,
            now,
            expires_at,
            form_nonce,
            passphrase_kdf,
            sealing_key,
        ),
    )
    return row is not None


async def request_by_form_nonce(
    conn: Connection, owner_id: int, form_nonce: str
) -> SecretRequest | None:
    row = await first_row(
        conn,
        f"SELECT {_COLUMNS} FROM requests WHERE owner_id = ? AND form_nonce = ?",  # noqa: S608
        (owner_id, form_nonce),
    )
    return None if row is None else _request(row)


async def request_of(
    conn: Connection, owner_id: int, request_id: str, *, lock: bool = False
) -> SecretRequest | None:
    """The owner's request; with ``lock``, inside a transaction, held until it ends."""
    row = await first_row(
        conn,
        f"""SELECT {_COLUMNS} FROM requests WHERE id = ? AND owner_id = ?"""  # noqa: S608
        + _locking(conn, lock, "FOR NO KEY UPDATE"),
        (request_id, owner_id),
    )
    return None if row is None else _request(row)


async def requests_page(
    conn: Connection, owner_id: int, *, limit: int, before: int | None = None
) -> list[SecretRequest]:
    """The owner's requests, newest first; ``before`` is the ``seq`` of the last one seen."""
    rows = await conn.execute_fetchall(
        f"""SELECT {_COLUMNS} FROM requests
            WHERE owner_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?""",  # noqa: S608
        (owner_id, before if before is not None else 2**63 - 1, limit),
    )
    return [_request(row) for row in rows]


async def request_target(
    conn: Connection, request_id: str, *, lock: bool = False
) -> RequestTarget | None:
    """The request and its owner's name. With ``lock``, inside a transaction, nobody else can
    answer or revoke it until the transaction ends."""
    locking = _locking(conn, lock, "FOR NO KEY UPDATE OF r")
    row = await first_row(conn, _TARGET + locking, (request_id,))
    if row is None:
        return None
    key = None if row[7] is None else bytes(row[7])
    return RequestTarget(row[0], row[1], row[2], row[3], row[4], bool(row[5]), bool(row[6]), key)


async def record_answer(
    conn: Connection, request_id: str, answer: str, answer_key: str, *, now: float
) -> bool:
    """Store the answer, encrypted, and its wrapped data key. True for exactly one caller per
    request, ever."""
    cursor = await conn.execute(
        """UPDATE requests SET answer = ?, answer_key = ?, answered_at = ?
           WHERE id = ? AND answered_at IS NULL AND revoked_at IS NULL""",
        (answer, answer_key, now, request_id),
    )
    return cursor.rowcount == 1


async def stored_answer(conn: Connection, owner_id: int, request_id: str) -> StoredAnswer | None:
    """The answer waiting to be read, if there is one."""
    row = await first_row(
        conn,
        """SELECT answer, answer_key, answered_at, passphrase_kdf FROM requests
           WHERE id = ? AND owner_id = ? AND answer IS NOT NULL""",
        (request_id, owner_id),
    )
    return None if row is None else StoredAnswer(row[0], row[1], row[2], row[3])


async def take_answer(
    conn: Connection, request_id: str, *, now: float, copy: bytes | None, until: float | None
) -> bool:
    """Erase the answer as read, keeping the browser's sealed ``copy`` until ``until``. True
    for exactly one caller: whoever reads it first."""
    cursor = await conn.execute(
        """UPDATE requests SET answer = NULL, answer_key = NULL, read_at = ?, reveal_copy = ?,
               reveal_until = ?
           WHERE id = ? AND answer IS NOT NULL""",
        (now, copy, until, request_id),
    )
    return cursor.rowcount == 1


async def revealed_answer(
    conn: Connection, owner_id: int, request_id: str, *, now: float
) -> RevealedAnswer | None:
    row = await first_row(
        conn,
        """SELECT reveal_copy, answered_at, reveal_until FROM requests
           WHERE id = ? AND owner_id = ? AND reveal_until > ?""",
        (request_id, owner_id, now),
    )
    return None if row is None else RevealedAnswer(bytes(row[0]), row[1], row[2])


async def revoke_request(
    conn: Connection, owner_id: int, request_id: str, *, now: float, revoke: bool
) -> None:
    """Erase the answer and every copy of it; with ``revoke``, the request is revoked too."""
    await conn.execute(
        """UPDATE requests SET answer = NULL, answer_key = NULL, reveal_copy = NULL,
               reveal_until = NULL,
               revoked_at = CASE WHEN ? = 1 THEN coalesce(revoked_at, ?) ELSE revoked_at END
           WHERE id = ? AND owner_id = ?""",
        (int(revoke), now, request_id, owner_id),
    )


async def waiting_request_ids(conn: Connection, owner_id: int, *, now: float) -> list[str]:
    """The owner's requests whose link may still be answered."""
    rows = await conn.execute_fetchall(
        """SELECT id FROM requests WHERE owner_id = ? AND answered_at IS NULL
             AND revoked_at IS NULL AND expires_at > ?""",
        (owner_id, now),
    )
    return [str(row[0]) for row in rows]


async def revoke_waiting_requests(conn: Connection, owner_id: int, *, now: float) -> None:
    await conn.execute(
        """UPDATE requests SET revoked_at = ? WHERE owner_id = ? AND answered_at IS NULL
             AND revoked_at IS NULL AND expires_at > ?""",
        (now, owner_id, now),
    )


async def erase_every_answer(conn: Connection, owner_id: int) -> None:
    """Erase the owner's unread answers and the copies kept for re-reading them."""
    await conn.execute(
        """UPDATE requests SET answer = NULL, answer_key = NULL, reveal_copy = NULL,
               reveal_until = NULL
           WHERE owner_id = ? AND (answer IS NOT NULL OR reveal_copy IS NOT NULL)""",
        (owner_id,),
    )


async def delete_expired_reveals(conn: Connection, *, now: float) -> int:
    cursor = await conn.execute(
        """UPDATE requests SET reveal_copy = NULL, reveal_until = NULL
           WHERE reveal_until <= ?""",
        (now,),
    )
    return cursor.rowcount


async def owner_and_label(conn: Connection, request_id: str) -> tuple[int, str] | None:
    """Whose request it is, and what it asks for."""
    row = await first_row(conn, "SELECT owner_id, label FROM requests WHERE id = ?", (request_id,))
    return None if row is None else (int(row[0]), str(row[1]))


async def owners_of(conn: Connection, request_ids: Iterable[str]) -> set[int]:
    ids = list(request_ids)
    if not ids:
        return set()
    rows = await conn.execute_fetchall(
        f"SELECT DISTINCT owner_id FROM requests WHERE id IN ({','.join('?' * len(ids))})",  # noqa: S608
        ids,
    )
    return {int(row[0]) for row in rows}
