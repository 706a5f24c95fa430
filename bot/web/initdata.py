"""Telegram Mini App ``initData``: validated exactly as Telegram documents it.

Telegram hands the page a query string (``query_id=…&user=…&auth_date=…&hash=…``).
It is genuine when ``hash`` equals, in hex,
HMAC-SHA256(key=HMAC-SHA256(key="WebAppData", msg=bot_token), msg=data_check_string),
where the data-check string is every other field as ``key=value``, sorted by key,
joined by ``\\n``. The comparison is constant-time; an ``auth_date`` older than
``max_age`` seconds is refused (a leaked string must not work forever).

Pure: no ``telegram``, no web framework. :func:`sign` makes initData the same way
(the demo and the tests play Telegram with the fake bot's token).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import parse_qsl, urlencode


class Problem(StrEnum):
    MALFORMED = "malformed"  # not a query string, or no user
    NO_HASH = "no_hash"
    BAD_HASH = "bad_hash"  # tampered, or signed for another bot
    EXPIRED = "expired"  # auth_date too old (or from the future)


class InvalidInitData(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.value)
        self.problem = problem


@dataclass(frozen=True)
class WebAppUser:
    """Who opened the Mini App, as Telegram vouches for it."""

    telegram_id: int
    language_code: str | None
    auth_date: int


def _secret(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def data_check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")


def _hash(fields: dict[str, str], bot_token: str) -> str:
    return hmac.new(
        _secret(bot_token), data_check_string(fields).encode(), hashlib.sha256
    ).hexdigest()


def validate(raw: str, bot_token: str, *, max_age: int, now: float) -> WebAppUser:
    """The user ``raw`` vouches for, or :class:`InvalidInitData` saying why not."""
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InvalidInitData(Problem.MALFORMED) from None
    fields = dict(pairs)
    if len(fields) != len(pairs):  # a repeated key: which one was signed?
        raise InvalidInitData(Problem.MALFORMED)
    given = fields.get("hash")
    if not given:
        raise InvalidInitData(Problem.NO_HASH)
    if not hmac.compare_digest(_hash(fields, bot_token), given.lower()):
        raise InvalidInitData(Problem.BAD_HASH)
    try:
        auth_date = int(fields["auth_date"])
    except (KeyError, ValueError):
        raise InvalidInitData(Problem.MALFORMED) from None
    # A little slack for clocks running ahead; anything older than max_age is refused.
    if not -60 <= now - auth_date <= max_age:
        raise InvalidInitData(Problem.EXPIRED)
    return WebAppUser(*_user(fields.get("user")), auth_date=auth_date)


def _user(raw: str | None) -> tuple[int, str | None]:
    try:
        user = json.loads(raw or "")
        telegram_id = user["id"]
    except (ValueError, TypeError, KeyError):
        raise InvalidInitData(Problem.MALFORMED) from None
    if not isinstance(telegram_id, int) or isinstance(telegram_id, bool):
        raise InvalidInitData(Problem.MALFORMED)
    language = user.get("language_code")
    return telegram_id, language if isinstance(language, str) else None


def unverified_language(raw: str) -> str | None:
    """The language the (possibly forged) data claims: only to word a refusal."""
    try:
        user = json.loads(dict(parse_qsl(raw)).get("user", ""))
        language = user.get("language_code") if isinstance(user, dict) else None
    except ValueError:
        return None
    return language if isinstance(language, str) else None


def sign(
    bot_token: str,
    *,
    telegram_id: int,
    auth_date: int,
    language_code: str | None = None,
    first_name: str = "",
    query_id: str = "AAEdemo",
) -> str:
    """initData as Telegram would hand it to the page (the demo and the tests)."""
    user: dict[str, object] = {"id": telegram_id, "first_name": first_name}
    if language_code:
        user["language_code"] = language_code
    fields = {
        "query_id": query_id,
        "user": json.dumps(user, separators=(",", ":"), ensure_ascii=False),
        "auth_date": str(auth_date),
    }
    fields["hash"] = _hash(fields, bot_token)
    return urlencode(fields)
