"""Notes (and answers to requests) encrypted at rest: a copy of the database reveals none,
and the note keys can be rotated without losing a note."""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
import subprocess
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from quart_app.audit import Visitor
from quart_app.clock import FrozenClock
from quart_app.config import ConfigError, Settings, load_settings
from quart_app.links.redemption import redeem_link
from quart_app.links.states import LinkState, LinkView
from quart_app.note_keys import NoteKeyError
from quart_app.note_rotation import Rotation, rotate_note_keys
from quart_app.secret_requests.answering import answer_request
from quart_app.secret_requests.reading import read_answer
from quart_app.services import Services, build_services, start, stop
from quart_app.storage.queries.users import User

from .conftest import ask_for, is_postgres, query_directly, share_for, token_of
from .live import ONCELINK

NOTE = "the wifi password is hunter2"
OLD_KEY = "old-note-key-0123456789abcdefghijklmnopq"
NEW_KEY = "new-note-key-0123456789abcdefghijklmnopq"


@contextlib.asynccontextmanager
async def services_with(
    settings: Settings, clock: FrozenClock, *note_keys: str
) -> AsyncIterator[Services]:
    """Another process's services on the same database, with these note keys."""
    services = build_services(replace(settings, note_keys=note_keys), clock)
    await start(services)
    try:
        yield services
    finally:
        await stop(services)


async def stored(settings: Settings) -> list[tuple[str | None, str | None]]:
    rows = await query_directly(settings.database, "SELECT note, note_key FROM shares ORDER BY seq")
    return [(note, key) for note, key in rows]


async def test_the_database_holds_no_note_in_the_clear(
    services: Services, user: User, settings: Settings
) -> None:
    created = await share_for(services, user, note=NOTE, links=2)
    [(note, key)] = await stored(settings)
    assert note is not None
    assert NOTE not in note
    assert key is not None
    if not is_postgres(settings.database):
        # Every byte of the files, as a backup or a stolen disk would have them.
        files = Path(settings.database).parent.glob(Path(settings.database).name + "*")
        assert not any(NOTE.encode() in path.read_bytes() for path in files)
    granted = await redeem_link(services, token_of(created.links[0].url))
    assert granted.state is LinkState.GRANTED
    assert granted.note == NOTE


async def test_two_shares_of_one_note_are_stored_differently(
    services: Services, user: User, settings: Settings
) -> None:
    await share_for(services, user, note=NOTE)
    await share_for(services, user, note=NOTE)
    [first, second] = await stored(settings)
    assert first[0] != second[0]
    assert first[1] != second[1]


async def test_after_rotating_only_the_new_key_is_needed(
    user: User, settings: Settings, clock: FrozenClock
) -> None:
    async with services_with(settings, clock, OLD_KEY) as old:
        plain = await share_for(old, user, note=NOTE)
        sealed = await share_for(old, user, note=NOTE, passphrase="correct staple 42")
    before = await stored(settings)
    async with services_with(settings, clock, OLD_KEY, NEW_KEY) as both:
        assert await rotate_note_keys(both) == Rotation(rewrapped=2, encrypted=0)
        assert await rotate_note_keys(both) == Rotation(rewrapped=0, encrypted=0)  # nothing left
    after = await stored(settings)
    assert [note for note, _ in after] == [note for note, _ in before]
    assert all(new != old for (_, new), (_, old) in zip(after, before, strict=True))
    async with services_with(settings, clock, NEW_KEY) as new:
        opened = await redeem_link(new, token_of(plain.links[0].url))
        assert opened.note == NOTE
        opened = await redeem_link(
            new, token_of(sealed.links[0].url), passphrase="correct staple 42"
        )
        assert opened.note == NOTE


async def test_a_note_whose_key_was_dropped_is_not_given_out_as_anything_else(
    user: User, settings: Settings, clock: FrozenClock
) -> None:
    async with services_with(settings, clock, OLD_KEY) as old:
        created = await share_for(old, user, note=NOTE)
    async with services_with(settings, clock, NEW_KEY) as new:
        with pytest.raises(NoteKeyError, match="not in ONCELINK_NOTE_KEYS"):
            await redeem_link(new, token_of(created.links[0].url))
    async with services_with(settings, clock, OLD_KEY, NEW_KEY) as both:
        # The failed claim was rolled back: the link still works with the right keys.
        assert (await redeem_link(both, token_of(created.links[0].url))).note == NOTE


async def test_an_answer_nobody_read_yet_is_kept_through_a_rotation(
    user: User, settings: Settings, clock: FrozenClock
) -> None:
    async with services_with(settings, clock, OLD_KEY) as old:
        made = await ask_for(old, user)
        view = await answer_request(old, made.url.rsplit("/", 1)[1], NOTE, Visitor())
        assert view.state is LinkState.SENT
    [(answer,)] = await query_directly(settings.database, "SELECT answer FROM requests")
    assert NOTE not in answer
    async with services_with(settings, clock, OLD_KEY, NEW_KEY) as both:
        assert await rotate_note_keys(both) == Rotation(rewrapped=1, encrypted=0)
    async with services_with(settings, clock, NEW_KEY) as new:
        read = await read_answer(new, user, made.request.id)
    assert read is not None
    assert read.answer == NOTE


async def test_a_note_that_cannot_be_opened_fails_its_own_claim_and_no_other(
    user: User, settings: Settings, clock: FrozenClock
) -> None:
    async with services_with(settings, clock, OLD_KEY) as old:
        lost = await share_for(old, user, note="under a dropped key")
    async with services_with(settings, clock, NEW_KEY) as new:
        kept = await share_for(new, user, note=NOTE)
        # Claimed at once: on SQLite both go into one group commit.
        failed, granted = await asyncio.gather(
            redeem_link(new, token_of(lost.links[0].url)),
            redeem_link(new, token_of(kept.links[0].url)),
            return_exceptions=True,
        )
        assert isinstance(failed, NoteKeyError)
        assert isinstance(granted, LinkView)
        assert granted.note == NOTE
    async with services_with(settings, clock, OLD_KEY, NEW_KEY) as both:
        assert (await redeem_link(both, token_of(lost.links[0].url))).note == "under a dropped key"


async def test_notes_stored_before_encryption_are_read_and_then_encrypted_by_the_rotation(
    services: Services, user: User, settings: Settings
) -> None:
    created = await share_for(services, user, note="placeholder")
    async with services.db.transaction() as conn:  # as an older version stored it
        await conn.execute("UPDATE shares SET note = ?, note_key = NULL", (NOTE,))
    assert await rotate_note_keys(services) == Rotation(rewrapped=0, encrypted=1)
    [(note, key)] = await stored(settings)
    assert note is not None
    assert NOTE not in note
    assert key is not None
    assert (await redeem_link(services, token_of(created.links[0].url))).note == NOTE


def test_the_note_key_is_made_once_in_the_instance_folder(tmp_path: Path) -> None:
    environ = {"ONCELINK_INSTANCE": str(tmp_path)}
    first, again = load_settings(environ), load_settings(environ)
    assert first.note_keys == again.note_keys
    assert len(first.note_keys[0]) >= 32
    assert stat.S_IMODE((tmp_path / "note.key").stat().st_mode) == 0o600
    listed = load_settings({**environ, "ONCELINK_NOTE_KEYS": f"{OLD_KEY}, {NEW_KEY}"})
    assert listed.note_keys == (OLD_KEY, NEW_KEY)
    with pytest.raises(ConfigError, match="ONCELINK_NOTE_KEYS needs 32"):
        load_settings({**environ, "ONCELINK_NOTE_KEYS": "short"})


async def test_the_command_rotates_the_keys(
    user: User, settings: Settings, clock: FrozenClock, tmp_path: Path
) -> None:
    async with services_with(settings, clock, OLD_KEY) as old:
        await share_for(old, user, note=NOTE)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONCELINK_")}
    env |= {
        "ONCELINK_INSTANCE": str(tmp_path),
        "ONCELINK_DATABASE": settings.database,
        "ONCELINK_NOTE_KEYS": f"{OLD_KEY},{NEW_KEY}",
    }
    done = await asyncio.to_thread(
        subprocess.run,
        [str(ONCELINK), "rotate-note-keys"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "1 note keys rewrapped, 0 notes encrypted\n"
