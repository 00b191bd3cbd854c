"""How the register keeps a resident identity number so that a database dump does not
expose it: a keyed hash (HMAC-SHA256) to find a person by their number, and an encrypted
copy (AES-256-GCM) for the few places that must use the number itself (a department's
answer about the person, the payment file to the person's bank).

Both keys derive from `settings.PERSON_ID_KEY`, or from SECRET_KEY when that is unset (a
development default: production sets its own, kept apart from the database; losing it
makes the stored numbers unreadable and unfindable, see docs/security.md). The number is
never logged: nothing here formats it into a message.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

# The first byte of a sealed number: which key sealed it (a new version when rotated).
SEAL_VERSION = b"\x01"
_NONCE_BYTES = 12


class UnreadableIdentity(ValueError):
    """A sealed number that does not open with the current key (wrong key, or tampered)."""


def _base_key() -> str:
    return getattr(settings, "PERSON_ID_KEY", "") or f"person-id:{settings.SECRET_KEY}"


@lru_cache(maxsize=4)
def _derived(base: str, use: str) -> bytes:
    """A 32-byte key for one use, so the hash key and the encryption key differ."""
    return hmac.new(base.encode(), f"qinqing.persons.{use}".encode(), hashlib.sha256).digest()


def lookup_hash(number: str) -> str:
    """The keyed hash a person is found by (hex); without the key it cannot be computed
    from a candidate number, so the 10^9-odd valid numbers cannot be tried against it."""
    key = _derived(_base_key(), "lookup")
    return hmac.new(key, number.encode(), hashlib.sha256).hexdigest()


def seal(number: str, digest: str) -> bytes:
    """The number encrypted, bound to its row's lookup hash (associated data): a sealed
    number copied onto another person's row does not open there."""
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(_derived(_base_key(), "seal")).encrypt(nonce, number.encode(), digest.encode())
    return SEAL_VERSION + nonce + sealed


def unseal(blob: bytes, digest: str) -> str:
    blob = bytes(blob)
    if blob[:1] != SEAL_VERSION:
        raise UnreadableIdentity("sealed with an unknown key version")
    nonce, sealed = blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :]
    try:
        plain = AESGCM(_derived(_base_key(), "seal")).decrypt(nonce, sealed, digest.encode())
    except InvalidTag as error:
        raise UnreadableIdentity("the sealed number does not open with this key") from error
    return plain.decode()


# --- Many at once (bulk registration, the person extracts) -------------------------------
# The same hash and seal as above, with the keys and the cipher made once for the lot: a
# few microseconds a number, so millions take seconds.


def lookup_hashes(numbers: list[str]) -> list[str]:
    """lookup_hash of each number."""
    key = _derived(_base_key(), "lookup")
    digest = hmac.digest  # one C call a number (hmac.new() builds an object each time)
    return [digest(key, number.encode(), "sha256").hex() for number in numbers]


def seal_many(numbers: list[str], digests: list[str]) -> list[bytes]:
    """seal of each number with its row's lookup hash."""
    cipher = AESGCM(_derived(_base_key(), "seal"))
    nonces = os.urandom(_NONCE_BYTES * len(numbers))
    return [
        SEAL_VERSION + nonce + cipher.encrypt(nonce, number.encode(), digest.encode())
        for nonce, number, digest in zip(
            (nonces[i : i + _NONCE_BYTES] for i in range(0, len(nonces), _NONCE_BYTES)),
            numbers,
            digests,
            strict=True,
        )
    ]


def unseal_many(blobs: list[bytes], digests: list[str]) -> list[str]:
    """unseal of each sealed number (UnreadableIdentity for the first that does not open)."""
    cipher = AESGCM(_derived(_base_key(), "seal"))
    out = []
    for blob, digest in zip(blobs, digests, strict=True):
        blob = bytes(blob)
        if blob[:1] != SEAL_VERSION:
            raise UnreadableIdentity("sealed with an unknown key version")
        try:
            plain = cipher.decrypt(
                blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :], digest.encode()
            )
        except InvalidTag as error:
            raise UnreadableIdentity("the sealed number does not open with this key") from error
        out.append(plain.decode())
    return out
