"""``oncelink rotate-note-keys``: every live note's data key, and every unread answer's to a
request, wrapped by the newest note key.

Run it after adding a key at the end of ``ONCELINK_NOTE_KEYS``; once it is done, the older
keys can be removed from the list. It also encrypts the notes stored before notes were
encrypted at rest (answers always were). Shares and requests are taken in batches, each in a
short write transaction, so redemptions go on meanwhile; running it twice, or on two machines
at once, does no harm.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from .note_keys import StoredNote
from .secret_requests.sealing import at_rest_context
from .services import Services
from .storage.base import Connection
from .storage.queries import notes

BATCH = 200
Row = TypeVar("Row")
# A batch of rows: those after the given id, in id order, held until the transaction ends.
RowsAfter = Callable[[Connection, str], Awaitable[list[Row]]]


@dataclass(frozen=True)
class Rotation:
    rewrapped: int  # data keys (of notes and answers) wrapped again by the newest note key
    encrypted: int  # notes stored in the clear before notes were encrypted at rest


async def rotate_note_keys(services: Services) -> Rotation:
    notes_done = await _rotate_notes(services)
    answers = await _rotate_answers(services)
    return Rotation(notes_done.rewrapped + answers, notes_done.encrypted)


async def _rotate_notes(services: Services) -> Rotation:
    rewrapped = encrypted = 0
    batches = _batches(
        services,
        lambda conn, after: notes.notes_after(conn, after, limit=BATCH),
        lambda row: row.share_id,
    )
    async for conn, rows in batches:
        for row in rows:
            new = services.note_keys.rewrapped(StoredNote(row.note, row.note_key), row.share_id)
            if new is None:
                continue
            await notes.replace_note(conn, row.share_id, new.text, new.wrapped_key)
            rewrapped += row.note_key is not None
            encrypted += row.note_key is None
    return Rotation(rewrapped, encrypted)


async def _rotate_answers(services: Services) -> int:
    """The answers' data keys wrapped by the newest note key: how many were not yet."""
    rewrapped = 0
    batches = _batches(
        services,
        lambda conn, after: notes.answers_after(conn, after, limit=BATCH),
        lambda row: row.request_id,
    )
    async for conn, rows in batches:
        for row in rows:
            stored = StoredNote(row.answer, row.answer_key)
            new = services.note_keys.rewrapped(stored, at_rest_context(row.request_id))
            if new is None:
                continue
            await notes.replace_answer_key(conn, row.request_id, new.wrapped_key)
            rewrapped += 1
    return rewrapped


async def _batches(
    services: Services, rows_after: RowsAfter[Row], key_of: Callable[[Row], str]
) -> AsyncIterator[tuple[Connection, list[Row]]]:
    """The rows in batches, each in a write transaction of its own that holds them while the
    caller rewrites them."""
    after = ""
    while True:
        async with services.db.transaction() as conn:
            rows = await rows_after(conn, after)
            yield conn, rows
        if len(rows) < BATCH:
            return
        after = key_of(rows[-1])
