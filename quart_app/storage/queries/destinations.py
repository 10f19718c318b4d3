"""Where a user's notifications go: webhooks, and one mail address once it is confirmed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..base import Connection, Dialect
from .rows import first_row

WEBHOOK = "webhook"
MAIL = "mail"


@dataclass(frozen=True)
class Destination:
    id: str
    owner_id: int
    kind: str  # WEBHOOK or MAIL
    target: str  # the webhook's URL, or the mail address
    events: int  # a bit mask of event types
    secret: str | None
    confirmed_at: float | None
    created_at: float


_COLUMNS = "id, owner_id, kind, target, events, secret, confirmed_at, created_at"


def _destination(row: Any) -> Destination:
    return Destination(*row[:8])


@dataclass(frozen=True)
class NewWebhook:
    id: str
    url: str
    events: int
    secret: str


async def insert_webhook(
    conn: Connection,
    owner_id: int,
    webhook: NewWebhook,
    *,
    now: float,
    most: int,
    form_nonce: str | None = None,
) -> bool | None:
    """Add a webhook unless the owner has ``most`` already (False), or a form with this
    nonce made one already (None)."""
    # Dialect: the owner's row, locked, makes concurrent adds count one after another on
    # PostgreSQL; SQLite's BEGIN IMMEDIATE already does.
    if conn.dialect is Dialect.POSTGRESQL:
        await conn.execute("SELECT id FROM users WHERE id = ? FOR UPDATE", (owner_id,))
    count = await first_row(
        conn,
        "SELECT count(*) FROM destinations WHERE owner_id = ? AND kind = ?",
        (owner_id, WEBHOOK),
    )
    if count[0] >= most:
        return False
    row = await first_row(
        conn,
        """INSERT INTO destinations(id, owner_id, kind, target, events, secret, confirmed_at,
                                    created_at, form_nonce)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (owner_id, form_nonce) DO NOTHING RETURNING id""",
        (*_webhook_row(owner_id, webhook), now, now, form_nonce),
    )
    return True if row is not None else None


def _webhook_row(owner_id: int, webhook: NewWebhook) -> tuple[Any, ...]:
    return (webhook.id, owner_id, WEBHOOK, webhook.url, webhook.events, webhook.secret)


async def destinations_of(conn: Connection, owner_id: int, kind: str) -> list[Destination]:
    """The owner's destinations of this kind, the oldest first."""
    rows = await conn.execute_fetchall(
        f"""SELECT {_COLUMNS} FROM destinations WHERE owner_id = ? AND kind = ?
            ORDER BY created_at, id""",  # noqa: S608
        (owner_id, kind),
    )
    return [_destination(row) for row in rows]


async def destination_of(
    conn: Connection, owner_id: int, destination_id: str, kind: str
) -> Destination | None:
    row = await first_row(
        conn,
        f"""SELECT {_COLUMNS} FROM destinations
            WHERE id = ? AND owner_id = ? AND kind = ?""",  # noqa: S608
        (destination_id, owner_id, kind),
    )
    return None if row is None else _destination(row)


async def destination_by_form_nonce(
    conn: Connection, owner_id: int, form_nonce: str
) -> Destination | None:
    row = await first_row(
        conn,
        f"SELECT {_COLUMNS} FROM destinations WHERE owner_id = ? AND form_nonce = ?",  # noqa: S608
        (owner_id, form_nonce),
    )
    return None if row is None else _destination(row)


async def delete_destination(conn: Connection, owner_id: int, destination_id: str) -> bool:
    cursor = await conn.execute(
        "DELETE FROM destinations WHERE id = ? AND owner_id = ?", (destination_id, owner_id)
    )
    return cursor.rowcount == 1


async def set_mail_address(
    conn: Connection, owner_id: int, new_id: str, address: str, *, jti: str, events: int, now: float
) -> None:
    """The owner's mail address, waiting for the confirmation link that names ``jti``; any
    earlier address goes (its choice of events is kept, else ``events``)."""
    kept = await first_row(
        conn, "SELECT events FROM destinations WHERE owner_id = ? AND kind = ?", (owner_id, MAIL)
    )
    await conn.execute("DELETE FROM destinations WHERE owner_id = ? AND kind = ?", (owner_id, MAIL))
    await conn.execute(
        """INSERT INTO destinations(id, owner_id, kind, target, events, confirm_jti, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)""",
        (new_id, owner_id, MAIL, address, events if kept is None else kept[0], jti, now),
    )


async def confirm_mail_address(conn: Connection, jti: str, *, now: float) -> str | None:
    """Confirm the address the link with ``jti`` was sent to: the address, for exactly one
    caller; None if no address waits for that link (used, or replaced since)."""
    row = await first_row(
        conn,
        """UPDATE destinations SET confirmed_at = ?, confirm_jti = NULL
           WHERE confirm_jti = ? AND kind = ? RETURNING target""",
        (now, jti, MAIL),
    )
    return None if row is None else str(row[0])


async def pending_mail_address(conn: Connection, jti: str) -> Destination | None:
    """The address waiting for the confirmation link with this ``jti``."""
    row = await first_row(
        conn,
        f"SELECT {_COLUMNS} FROM destinations WHERE confirm_jti = ? AND kind = ?",  # noqa: S608
        (jti, MAIL),
    )
    return None if row is None else _destination(row)


async def set_events(conn: Connection, owner_id: int, destination_id: str, events: int) -> None:
    await conn.execute(
        "UPDATE destinations SET events = ? WHERE id = ? AND owner_id = ?",
        (events, destination_id, owner_id),
    )
