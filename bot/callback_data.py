"""Typed callback data: one small codec per button prefix (no ``telegram`` import).

In the spirit of aiogram's ``CallbackData`` factory: a codec is a frozen dataclass
with a prefix and typed fields. ``pack()`` writes ``<prefix>:<field>:<field>…`` and
asserts Telegram's limit of 1–64 **bytes**; ``parse(data)`` gives the value back, or
None for anything else — forged, truncated, from an older version, or not even a
string. It never raises: a button nobody should have is answered kindly by the flow.

Field types:

* ``int`` — a number from 0 to 2³¹ − 1 in plain ASCII digits (no sign, no spaces, no
  leading zero): it fits every id column (a 32-bit INTEGER on PostgreSQL), so a forged
  huge number is refused here and never reaches SQL;
* a ``StrEnum`` — one of its values;
* ``date`` — ``yyyymmdd``;
* ``str`` — a short ASCII token (letters, digits, ``_ / + - .``), at most 40 characters;
  ``Annotated[str, Token(r"…")]`` narrows it to a regular expression;
* ``X | None = None`` — an optional field, left out of the data when None
  (only at the end).

What a parsed value *means* (whose id it is, whether that question is still open) is
for the handler to check; the codec only guarantees the shape.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable
from dataclasses import MISSING, dataclass, fields
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Self

SEPARATOR = ":"
MAX_BYTES = 64

_INT = re.compile(r"(?:0|[1-9][0-9]{0,9})")
INT_MAX = 2**31 - 1  # PostgreSQL's INTEGER
_TOKEN = re.compile(r"[A-Za-z0-9_/+.\-]{1,40}")
_DATE = re.compile(r"[0-9]{8}")

Parse = Callable[[str], Any]  # raises (anything) when the text is not a value of the field
Pack = Callable[[Any], str]


@dataclass(frozen=True)
class Token:
    """Narrows a ``str`` field to a regular expression (matched in full)."""

    pattern: str


@dataclass(frozen=True)
class _Field:
    name: str
    parse: Parse
    pack: Pack
    optional: bool


def _enum_field(kind: type[StrEnum]) -> tuple[Parse, Pack]:
    def parse(raw: str) -> Any:
        return kind(raw)  # ValueError when not one of the values

    return parse, lambda value: str(kind(value).value)


def _regex_field(pattern: re.Pattern[str]) -> tuple[Parse, Pack]:
    def parse(raw: str) -> str:
        if not pattern.fullmatch(raw):
            raise ValueError(raw)
        return raw

    def pack(value: str) -> str:
        if not pattern.fullmatch(value):
            raise ValueError(f"callback field {value!r} does not match {pattern.pattern}")
        return value

    return parse, pack


def _int_parse(raw: str) -> int:
    if not _INT.fullmatch(raw) or int(raw) > INT_MAX:
        raise ValueError(raw)
    return int(raw)


def _int_pack(value: int) -> str:
    text = str(value)
    if not _INT.fullmatch(text) or value > INT_MAX:
        raise ValueError(f"callback number {value!r} is out of range")
    return text


def _date_parse(raw: str) -> date:
    if not _DATE.fullmatch(raw):
        raise ValueError(raw)
    return datetime.strptime(raw, "%Y%m%d").date()


def _converters(hint: Any) -> tuple[Parse, Pack, bool]:
    """(parse, pack, optional) for one annotated field type."""
    optional = False
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) != 1:
            raise TypeError(f"unsupported callback field type {hint!r}")
        hint, optional = args[0], True
        origin = typing.get_origin(hint)
    if origin is Annotated:
        base, *extras = typing.get_args(hint)
        tokens = [extra for extra in extras if isinstance(extra, Token)]
        if base is not str or len(tokens) != 1:
            raise TypeError(f"unsupported callback field type {hint!r}")
        return (*_regex_field(re.compile(tokens[0].pattern)), optional)
    if hint is int:
        return _int_parse, _int_pack, optional
    if hint is str:
        return (*_regex_field(_TOKEN), optional)
    if hint is date:
        return _date_parse, lambda value: value.strftime("%Y%m%d"), optional
    if isinstance(hint, type) and issubclass(hint, StrEnum):
        return (*_enum_field(hint), optional)
    raise TypeError(f"unsupported callback field type {hint!r}")


class CallbackData:
    """The base of every codec: a frozen dataclass subclass, given its ``prefix``.

    ::

        @dataclass(frozen=True)
        class PauseFor(CallbackData, prefix="pz"):
            days: int

        PauseFor(7).pack() == "pz:7";  PauseFor.parse("pz:x") is None
    """

    PREFIX: ClassVar[str]
    _FIELDS: ClassVar[tuple[_Field, ...] | None] = None

    def __init_subclass__(cls, prefix: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not prefix or prefix.endswith(SEPARATOR) or not prefix.isascii():
            raise ValueError(f"bad callback prefix {prefix!r}")
        cls.PREFIX = prefix
        cls._FIELDS = None  # resolved on first use (the dataclass is made after this runs)

    @classmethod
    def _fields(cls) -> tuple[_Field, ...]:
        if cls._FIELDS is None:
            hints = typing.get_type_hints(cls, include_extras=True)
            made = []
            for spec in fields(cls):  # type: ignore[arg-type]
                parse, pack, optional = _converters(hints[spec.name])
                if optional and spec.default is not None:
                    raise TypeError(f"{cls.__name__}.{spec.name}: optional fields default to None")
                if not optional and spec.default is not MISSING:
                    raise TypeError(f"{cls.__name__}.{spec.name}: only optional fields may default")
                made.append(_Field(spec.name, parse, pack, optional))
            seen_optional = False
            for made_field in made:
                if seen_optional and not made_field.optional:
                    raise TypeError(f"{cls.__name__}: optional fields must come last")
                seen_optional = seen_optional or made_field.optional
            cls._FIELDS = tuple(made)
        return cls._FIELDS

    def pack(self) -> str:
        """The callback data; raises when a field cannot be written or it exceeds 64 bytes."""
        specs = self._fields()
        values = [getattr(self, spec.name) for spec in specs]
        while values and values[-1] is None and specs[len(values) - 1].optional:
            values.pop()  # optional fields left out at the end
        parts = [self.PREFIX]
        for spec, value in zip(specs, values, strict=False):
            if value is None:
                raise ValueError(f"{type(self).__name__}.{spec.name} is missing")
            parts.append(spec.pack(value))
        data = SEPARATOR.join(parts)
        size = len(data.encode())
        if not 1 <= size <= MAX_BYTES:  # not a bare assert: it must hold under python -O too
            raise AssertionError(f"callback data is {size} bytes, more than {MAX_BYTES}: {data!r}")
        return data

    @classmethod
    def parse(cls, data: object) -> Self | None:
        """The value, or None for anything that is not exactly this codec's shape."""
        specs = cls._fields()  # a badly declared codec is a bug: that one does raise
        try:
            return cls._parse(data, specs)
        except Exception:  # whatever was forged, the answer is "not one of ours"
            return None

    @classmethod
    def _parse(cls, data: object, specs: tuple[_Field, ...]) -> Self | None:
        if not isinstance(data, str) or len(data.encode()) > MAX_BYTES:
            return None
        if not specs:
            return cls() if data == cls.PREFIX else None
        head = cls.PREFIX + SEPARATOR
        if not data.startswith(head):
            return None
        raw = data[len(head) :].split(SEPARATOR)
        required = sum(not spec.optional for spec in specs)
        if not required <= len(raw) <= len(specs):
            return None
        values = {spec.name: spec.parse(part) for spec, part in zip(specs, raw, strict=False)}
        return cls(**values)
