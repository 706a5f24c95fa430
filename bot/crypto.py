"""Encryption at rest for free text (check-in notes, reflections, team notes).

Fernet (AES-128-CBC with HMAC-SHA256, from the ``cryptography`` package) under a
MultiFernet, so keys can rotate: ``ENCRYPTION_KEYS`` lists keys newest first;
new text is encrypted with the first, old text still decrypts with any, and
``python -m bot keys rotate`` re-encrypts everything with the first.

The active cipher is process-wide (set once by the composition root) because
SQLAlchemy column types cannot see the session that uses them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bot.settings import Environment, Settings, SettingsError

logger = logging.getLogger(__name__)

# Where a development install keeps its key when ENCRYPTION_KEYS is not set.
DEVELOPMENT_KEY_FILE = Path("between.key")


class KeyError_(ValueError):
    """A key is missing or malformed; the message names the setting."""


class Cipher:
    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise KeyError_("ENCRYPTION_KEYS is empty")
        try:
            self._fernet = MultiFernet([Fernet(key.strip().encode("ascii")) for key in keys])
        except (ValueError, UnicodeEncodeError):
            raise KeyError_(
                "ENCRYPTION_KEYS must be Fernet keys (32 url-safe base64-encoded bytes), "
                "comma-separated, newest first; make one with `python -m bot keys generate`"
            ) from None

    def encrypt(self, text: str) -> str:
        return self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken:
            # Never log the token or any text: only that a key is missing.
            raise KeyError_(
                "stored text cannot be decrypted with ENCRYPTION_KEYS (a key was removed "
                "before `python -m bot keys rotate` ran?)"
            ) from None

    def rotate(self, token: str) -> str:
        """The same text, encrypted with the newest key."""
        return self._fernet.rotate(token.encode("ascii")).decode("ascii")


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")


def parse_keys(value: str) -> list[str]:
    return [key.strip() for key in value.split(",") if key.strip()]


def development_keys(key_file: Path = DEVELOPMENT_KEY_FILE) -> list[str]:
    """A development install's key, kept in a file so that data survives restarts."""
    if not key_file.exists():
        key_file.write_text(generate_key() + "\n", encoding="ascii")
        os.chmod(key_file, 0o600)
        logger.warning("event=crypto.development_key_created path=%s", key_file)
    return parse_keys(key_file.read_text(encoding="ascii"))


def cipher_from_settings(settings: Settings, key_file: Path = DEVELOPMENT_KEY_FILE) -> Cipher:
    """The cipher for ``ENCRYPTION_KEYS``; production refuses to run without them."""
    keys = (
        parse_keys(settings.encryption_keys.get_secret_value()) if settings.encryption_keys else []
    )
    if not keys:
        if settings.environment is Environment.PRODUCTION:
            raise SettingsError(
                "ENCRYPTION_KEYS is not set: in production free text is encrypted at rest. "
                "Make a key with `python -m bot keys generate`, and keep a copy safe."
            )
        keys = development_keys(key_file)
    try:
        return Cipher(keys)
    except KeyError_ as error:
        raise SettingsError(str(error)) from None


_active: Cipher | None = None


def configure(cipher: Cipher) -> None:
    global _active
    _active = cipher


def active() -> Cipher:
    if _active is None:
        raise RuntimeError("no cipher configured: build the app (bot.app) first")
    return _active
