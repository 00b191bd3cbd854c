"""Signing secrets sealed at rest (Fernet: AES-128-CBC with an HMAC-SHA256 tag).

An HMAC needs the secret itself, so it cannot be hashed like a password; it is kept
encrypted with a key from settings (`WEBHOOK_SECRET_KEY`; by default derived from
SECRET_KEY) and opened only to sign a delivery. A copy of the database alone does not
give anyone the power to forge a webhook.

`WEBHOOK_SECRET_KEY` is any long random text; several, separated by commas, rotate it:
the first seals, every one opens (MultiFernet), and `manage.py reseal_webhook_secrets`
seals every secret again with the first.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class SecretUnreadable(RuntimeError):
    """A sealed secret none of the configured keys opens (the key changed or was lost)."""


def _key(text: str) -> Fernet:
    # Any text makes a key: its SHA-256, in the URL-safe base64 form Fernet expects.
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()))


def keys(setting: str | None = None) -> MultiFernet:
    value = settings.WEBHOOK_SECRET_KEY if setting is None else setting
    texts = [text.strip() for text in str(value).split(",") if text.strip()]
    if not texts:
        raise SecretUnreadable("WEBHOOK_SECRET_KEY is empty")
    return MultiFernet([_key(text) for text in texts])


def seal(secret: str, *, setting: str | None = None) -> str:
    return keys(setting).encrypt(secret.encode()).decode("ascii")


def unseal(sealed: str, *, setting: str | None = None) -> str:
    try:
        return keys(setting).decrypt(sealed.encode("ascii")).decode()
    except (InvalidToken, ValueError, UnicodeError) as problem:
        raise SecretUnreadable(
            "the signing secret cannot be opened with WEBHOOK_SECRET_KEY"
        ) from problem


def reseal(sealed: str) -> str:
    """Sealed again with the first key (after a rotation)."""
    try:
        return keys().rotate(sealed.encode("ascii")).decode("ascii")
    except (InvalidToken, ValueError) as problem:
        raise SecretUnreadable("the signing secret cannot be opened") from problem
