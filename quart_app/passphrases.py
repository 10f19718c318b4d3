"""Notes sealed with a passphrase.

The note is stored encrypted (AES-256-GCM, bound to its share's id) under a key derived from
the passphrase by argon2id with a salt of the share's own. The share keeps the derivation's
parameters and salt; never the passphrase, never the key. So the database alone cannot
reveal such a note, and a wrong passphrase simply fails to open it.

Deriving a key is costly on purpose (tens of milliseconds of CPU and 19 MiB), which makes
it something an attacker could make the server do over and over: it runs on a few threads
of its own, never on the event loop, at a lower priority than the rest of the process, so
that requests are answered first and derivations take the CPU that is left; a few attempts
at a time take their turn, a bounded number wait, and more are refused at once
(``DerivationsBusy``). Each link allows
``MAX_ATTEMPTS`` of them, ever (``links.locks``), and each client address a few a minute
(``web.limits``).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import re
import threading
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MIN_CHARS = 8
MAX_CHARS = 128
MAX_ATTEMPTS = 5  # wrong passphrases on one link before it is locked
SALT_BYTES = 16
NONCE_BYTES = 12
KEY_BYTES = 32
DERIVING_THREADS = 2
DERIVING_NICENESS = 10  # added to the derivation threads' nice value (Linux: per thread)
# Attempts under way at once (each counts, derives and claims) are twice the threads; these
# many more may wait for their turn, this long.
WAITING_ATTEMPTS = 256
WAIT_SECONDS = 10.0


@dataclass(frozen=True)
class KdfParams:
    """argon2id's costs (OWASP's recommendation by default)."""

    time_cost: int = 2
    memory_kib: int = 19 * 1024
    parallelism: int = 1


KDF = KdfParams()
_KDF_TEXT = re.compile(r"argon2id\$m=(\d{1,9}),t=(\d{1,3}),p=(\d{1,2})\$([A-Za-z0-9_-]{1,64}=*)")


def new_kdf(params: KdfParams | None = None) -> str:
    """A fresh salt with the costs to derive under, as the share keeps them."""
    costs = params or KDF
    salt = base64.urlsafe_b64encode(os.urandom(SALT_BYTES)).decode()
    return f"argon2id$m={costs.memory_kib},t={costs.time_cost},p={costs.parallelism}${salt}"


def derive_key(passphrase: str, kdf: str) -> bytes:
    """The 256-bit key ``passphrase`` gives under ``kdf``. Slow by design: not on the loop."""
    found = _KDF_TEXT.fullmatch(kdf)
    if found is None:
        raise ValueError("not a key derivation this version knows")
    memory, time_cost, parallelism = (int(part) for part in found.groups()[:3])
    return hash_secret_raw(
        passphrase.encode("utf-8", "surrogatepass"),
        base64.urlsafe_b64decode(found.group(4)),
        time_cost=time_cost,
        memory_cost=memory,
        parallelism=parallelism,
        hash_len=KEY_BYTES,
        type=Type.ID,
    )


def seal(note: str, key: bytes, share_id: str) -> str:
    """The note encrypted under ``key``, as text for the note's column."""
    nonce = os.urandom(NONCE_BYTES)
    sealed = nonce + AESGCM(key).encrypt(nonce, note.encode(), share_id.encode())
    return base64.b64encode(sealed).decode()


def unseal(sealed: str, key: bytes, share_id: str) -> str | None:
    """The note, or None if the key is not the one it was sealed under."""
    blob = base64.b64decode(sealed)
    try:
        plain = AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], share_id.encode())
    except InvalidTag:
        return None
    return plain.decode()


def _yield_to_requests() -> None:
    """Lower this thread's priority, where the system allows one thread its own (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        current = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), current + DERIVING_NICENESS)


class DerivationsBusy(Exception):
    """Too many passphrases are being tried: try again in a moment."""


class KeyDerivations:
    """The process's key derivations: a few threads, a few attempts at a time, a bounded
    number waiting."""

    def __init__(self, threads: int = DERIVING_THREADS, waiting: int = WAITING_ATTEMPTS) -> None:
        self._pool = ThreadPoolExecutor(
            threads, thread_name_prefix="oncelink-kdf", initializer=_yield_to_requests
        )
        self._turns = asyncio.Semaphore(2 * threads)
        self._max_waiting = waiting
        self._waiting = 0

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Wait for a turn to try a passphrase, or raise DerivationsBusy if too many wait."""
        if self._waiting >= self._max_waiting:
            raise DerivationsBusy
        self._waiting += 1
        try:
            async with asyncio.timeout(WAIT_SECONDS):
                await self._turns.acquire()
        except TimeoutError:
            raise DerivationsBusy from None
        finally:
            self._waiting -= 1
        try:
            yield
        finally:
            self._turns.release()

    async def derive(self, passphrase: str, kdf: str) -> bytes:
        """``derive_key`` on the derivation threads; take a ``turn`` around it."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, derive_key, passphrase, kdf)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
