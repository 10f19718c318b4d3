"""``oncelink rotate-note-keys``: every live note's data key wrapped by the newest note key.

Run it after adding a key at the end of ``ONCELINK_NOTE_KEYS``; once it is done, the older
keys can be removed from the list. It also encrypts the notes stored before notes were
encrypted at rest. Shares are taken in batches, each in a short write transaction, so
redemptions go on meanwhile; running it twice, or on two machines at once, does no harm.
"""

from __future__ import annotations

from dataclasses import dataclass

from .note_keys import StoredNote
from .services import Services
from .storage.queries import notes

BATCH = 200


@dataclass(frozen=True)
class Rotation:
    rewrapped: int  # data keys wrapped again by the newest note key
    encrypted: int  # notes stored in the clear before notes were encrypted at rest


async def rotate_note_keys(services: Services) -> Rotation:
    rewrapped = encrypted = 0
    after = ""
    while True:
        async with services.db.transaction() as conn:
            rows = await notes.notes_after(conn, after, limit=BATCH)
            for row in rows:
                stored = StoredNote(row.note, row.note_key)
                new = services.note_keys.rewrapped(stored, row.share_id)
                if new is None:
                    continue
                assert new.wrapped_key is not None
                await notes.replace_note(conn, row.share_id, new.text, new.wrapped_key)
                rewrapped += row.note_key is not None
                encrypted += row.note_key is None
        if len(rows) < BATCH:
            return Rotation(rewrapped, encrypted)
        after = rows[-1].share_id
