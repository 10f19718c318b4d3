"""Sealing a note with a one-off key (AES-256-GCM), so the server can keep a copy it cannot
read without the key that only a recipient's browser holds."""

from __future__ import annotations

import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


@dataclass(frozen=True)
class Sealed:
    key: bytes
    blob: bytes


def seal(note: str, jti: str) -> Sealed:
    """Encrypt ``note`` with a fresh random 256-bit key, bound to the link's jti."""
    key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(NONCE_BYTES)
    return Sealed(key, nonce + AESGCM(key).encrypt(nonce, note.encode(), jti.encode()))


def unseal(blob: bytes, key: bytes, jti: str) -> str | None:
    """The note, or None if the key is wrong, the blob was altered or belongs to another jti."""
    try:
        plain = AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], jti.encode())
    except (InvalidTag, ValueError):
        return None
    return plain.decode()
