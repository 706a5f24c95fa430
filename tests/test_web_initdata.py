"""initData validation against Telegram's documented algorithm (bot/web/initdata.py)."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qsl, urlencode

import pytest

from bot.web.initdata import InvalidInitData, Problem, sign, unverified_language, validate

TOKEN = "123456:ABC-our-bot"
NOW = 1_800_000_000


def _signed(**kwargs: object) -> str:
    values: dict = {"telegram_id": 42, "auth_date": NOW - 10, "language_code": "de"}
    values.update(kwargs)
    return sign(TOKEN, **values)


def _problem(raw: str, *, token: str = TOKEN, max_age: int = 3600) -> Problem:
    with pytest.raises(InvalidInitData) as caught:
        validate(raw, token, max_age=max_age, now=NOW)
    return caught.value.problem


def test_valid_init_data_names_the_user():
    user = validate(_signed(), TOKEN, max_age=3600, now=NOW)
    assert (user.telegram_id, user.language_code, user.auth_date) == (42, "de", NOW - 10)


def test_the_hash_is_telegrams_documented_one():
    """Recomputed here by the letter of Telegram's documentation, not by our helper."""
    fields = dict(parse_qsl(_signed()))
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()) if k != "hash")
    secret = hmac.new(b"WebAppData", TOKEN.encode(), hashlib.sha256).digest()
    assert fields["hash"] == hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()


def test_a_wrong_hash_is_refused():
    fields = dict(parse_qsl(_signed()))
    fields["hash"] = "0" * 64
    assert _problem(urlencode(fields)) is Problem.BAD_HASH


def test_a_changed_field_is_refused():
    fields = dict(parse_qsl(_signed()))
    fields["user"] = fields["user"].replace("42", "43")
    assert _problem(urlencode(fields)) is Problem.BAD_HASH


def test_a_missing_hash_is_refused():
    fields = dict(parse_qsl(_signed()))
    del fields["hash"]
    assert _problem(urlencode(fields)) is Problem.NO_HASH


def test_reordered_fields_still_validate():
    pairs = list(parse_qsl(_signed()))
    reordered = urlencode(list(reversed(pairs)))
    assert validate(reordered, TOKEN, max_age=3600, now=NOW).telegram_id == 42


def test_expired_init_data_is_refused():
    assert _problem(_signed(auth_date=NOW - 3601)) is Problem.EXPIRED
    assert validate(_signed(auth_date=NOW - 3599), TOKEN, max_age=3600, now=NOW)


def test_init_data_from_the_future_is_refused():
    assert _problem(_signed(auth_date=NOW + 3600)) is Problem.EXPIRED


def test_another_bots_init_data_is_refused():
    assert _problem(_signed(), token="654321:another-bot") is Problem.BAD_HASH


@pytest.mark.parametrize("raw", ["", "garbage", "hash=abc&hash=abc", "a=1&&&"])
def test_malformed_strings_are_refused_not_raised(raw: str):
    with pytest.raises(InvalidInitData):
        validate(raw, TOKEN, max_age=3600, now=NOW)


def test_a_signed_string_without_a_user_is_malformed():
    fields = {"auth_date": str(NOW), "query_id": "x"}
    secret = hmac.new(b"WebAppData", TOKEN.encode(), hashlib.sha256).digest()
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    assert _problem(urlencode(fields)) is Problem.MALFORMED


def test_the_claimed_language_is_read_only_to_word_a_refusal():
    assert unverified_language(_signed(language_code="es")) == "es"
    assert unverified_language("nonsense") is None
