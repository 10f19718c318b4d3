"""Answers sealed with a passphrase that only the request's owner knows.

The passphrase must seal an answer that arrives later, without the server ever holding it: so
it derives (argon2id, ``passphrases.derive_key``) an X25519 private key, and the request keeps
only the public key. An answer is sealed to that public key when it arrives (ECIES: a fresh
key pair for each answer, the shared secret through HKDF-SHA256, then AES-256-GCM bound to the
request's id). Only the passphrase derives the private key again, so only it opens the answer,
and the database alone reveals nothing.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_BYTES = 32
NONCE_BYTES = 12
_CONTEXT = b"oncelink.request answer"


def at_rest_context(request_id: str) -> str:
    """What an answer's encryption at rest (``note_keys``) is bound to: its request, and never
    a share's note, whose context is the share's id alone."""
    return f"request:{request_id}"


def public_key_of(private_key: bytes) -> bytes:
    """The public key for the private key a passphrase derived."""
    return X25519PrivateKey.from_private_bytes(private_key).public_key().public_bytes_raw()


def _aead(shared: bytes, ephemeral: bytes, recipient: bytes) -> AESGCM:
    info = _CONTEXT + ephemeral + recipient
    return AESGCM(HKDF(SHA256(), KEY_BYTES, salt=None, info=info).derive(shared))


def seal(answer: str, public_key: bytes, request_id: str) -> str:
    """The answer, readable only with the private key of ``public_key``, as text to store."""
    ephemeral = X25519PrivateKey.generate()
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(public_key))
    sent_key = ephemeral.public_key().public_bytes_raw()
    nonce = os.urandom(NONCE_BYTES)
    sealed = _aead(shared, sent_key, public_key).encrypt(
        nonce, answer.encode(), request_id.encode()
    )
    return base64.b64encode(sent_key + nonce + sealed).decode()


def unseal(stored: str, private_key: bytes, request_id: str) -> str | None:
    """The answer, or None if the key is not the one it was sealed for."""
    blob = base64.b64decode(stored)
    sent_key, nonce, sealed = (
        blob[:KEY_BYTES],
        blob[KEY_BYTES : KEY_BYTES + NONCE_BYTES],
        blob[KEY_BYTES + NONCE_BYTES :],
    )
    private = X25519PrivateKey.from_private_bytes(private_key)
    shared = private.exchange(X25519PublicKey.from_public_bytes(sent_key))
    recipient = private.public_key().public_bytes_raw()
    try:
        plain = _aead(shared, sent_key, recipient).decrypt(nonce, sealed, request_id.encode())
    except InvalidTag:
        return None
    return plain.decode()
