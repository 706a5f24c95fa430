"""Invite tokens: random, URL-safe, stored only as a hash.

A deep-link payload is ``<kind letter>-<token>``: Telegram allows 64 characters
of ``[A-Za-z0-9_-]`` after ``/start``; 24 random bytes give 32 characters
(192 bits), so the payload is 34. Only the SHA-256 of the token is stored, so
a copy of the database cannot be used to enroll.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

TOKEN_BYTES = 24
_PAYLOAD = re.compile(r"([pct])-([A-Za-z0-9_-]{16,60})")


@dataclass(frozen=True)
class Payload:
    kind_letter: str  # "p" practitioner, "c" client, "t" a team invite
    token: str


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def make_payload(kind_letter: str, token: str) -> str:
    return f"{kind_letter}-{token}"


def parse_payload(text: str) -> Payload | None:
    """The payload of a deep link, or None when it cannot be one of ours."""
    match = _PAYLOAD.fullmatch(text.strip())
    return Payload(match.group(1), match.group(2)) if match else None


def deep_link(bot_username: str, payload: str) -> str:
    return f"https://t.me/{bot_username}?start={payload}"
