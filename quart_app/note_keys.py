"""Notes encrypted at rest.

Each share's note is encrypted (AES-256-GCM, bound to the share's id) under a data key of
its own, and the data key is stored beside it wrapped by the newest of the instance's note
keys (``ONCELINK_NOTE_KEYS``, oldest first). A copy of the database, a backup or a disk
image therefore reveals no note without the keys, which live outside the database; and a
key that may have leaked is retired by adding a new one and rewrapping the data keys
(``oncelink rotate-note-keys``), without touching any note.

A wrapped key names the note key that wrapped it, by a short id derived from the key, so
that every key of the list can open what it wrapped while the newest wraps what is new.
Shares stored before notes were encrypted have no wrapped key; their notes are read as they
are until the rotation encrypts them.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_BYTES = 12
_SEPARATOR = ":"


class NoteKeyError(RuntimeError):
    """A note cannot be opened with ONCELINK_NOTE_KEYS: its key is not (or no longer) listed."""


@dataclass(frozen=True)
class StoredNote:
    """A note as the database keeps it: its ciphertext, and its data key wrapped by a note
    key (None for a note stored before notes were encrypted: then ``text`` is the note)."""

    text: str
    wrapped_key: str | None


@dataclass(frozen=True)
class SealedNote:
    """A note as these keys seal it: its ciphertext, and its data key wrapped."""

    text: str
    wrapped_key: str


class NoteKeys:
    """The instance's note keys: the newest wraps, each opens what it wrapped."""

    def __init__(self, secrets: tuple[str, ...]) -> None:
        if not secrets:
            raise ValueError("at least one note key is needed")
        derived = [_derive(secret) for secret in secrets]
        self._by_id = {_key_id(key): AESGCM(key) for key in derived}
        self.newest_id = _key_id(derived[-1])

    def seal(self, note: str, share_id: str) -> SealedNote:
        """The note encrypted under a fresh data key, wrapped by the newest note key."""
        data_key = AESGCM.generate_key(bit_length=256)
        text = _encrypt(AESGCM(data_key), note.encode(), share_id)
        return SealedNote(text, self._wrap(data_key, share_id))

    def open(self, stored: StoredNote, share_id: str) -> str:
        """The note; raises ``NoteKeyError`` if its key is not among the note keys."""
        if stored.wrapped_key is None:
            return stored.text
        data_key = self._unwrap(stored.wrapped_key, share_id)
        return _decrypt(AESGCM(data_key), stored.text, share_id).decode()

    def rewrapped(self, stored: StoredNote, share_id: str) -> SealedNote | None:
        """The note with its data key wrapped by the newest note key (and encrypted, if it
        was stored before notes were); None if it is so already."""
        if stored.wrapped_key is None:
            return self.seal(stored.text, share_id)
        if stored.wrapped_key.startswith(self.newest_id + _SEPARATOR):
            return None
        data_key = self._unwrap(stored.wrapped_key, share_id)
        return SealedNote(stored.text, self._wrap(data_key, share_id))

    def _wrap(self, data_key: bytes, share_id: str) -> str:
        wrapping = self._by_id[self.newest_id]
        return self.newest_id + _SEPARATOR + _encrypt(wrapping, data_key, share_id)

    def _unwrap(self, wrapped_key: str, share_id: str) -> bytes:
        key_id, _, wrapped = wrapped_key.partition(_SEPARATOR)
        wrapping = self._by_id.get(key_id)
        if wrapping is None:
            raise NoteKeyError(
                f"a note's key was wrapped by note key {key_id}, which is not in "
                "ONCELINK_NOTE_KEYS: keep the old keys listed until the rotation has run"
            )
        return _decrypt(wrapping, wrapped, share_id)


def _derive(secret: str) -> bytes:
    # The configured keys are text of any length; each gives a 256-bit AES key.
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"oncelink note key")
    return hkdf.derive(secret.encode())


def _key_id(key: bytes) -> str:
    return hashlib.sha256(b"oncelink note key id\0" + key).hexdigest()[:8]


def _encrypt(aead: AESGCM, plain: bytes, share_id: str) -> str:
    nonce = os.urandom(NONCE_BYTES)
    sealed = nonce + aead.encrypt(nonce, plain, share_id.encode())
    return base64.b64encode(sealed).decode()


def _decrypt(aead: AESGCM, text: str, share_id: str) -> bytes:
    blob = base64.b64decode(text)
    try:
        return aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], share_id.encode())
    except InvalidTag:
        # Not a wrong passphrase: the database and the keys disagree, which is a fault.
        raise NoteKeyError("a note did not open with its note key") from None
