"""Compact callback data for questionnaire buttons (Telegram allows 1–64 bytes).

    mq:<administration>:<item index>:<value>    a scale answer (the option's value)
    mq:<administration>:<item index>:s          skip the item
    mq:<administration>:<item index>:t<value>   pick / unpick an option of a choice item
    mq:<administration>:<item index>:d          done with a choice item

The handler checks the administration against the sender before reading anything
else. The item index makes an old or repeated tap recognisable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

PATTERN = r"^mq:"
_DATA = re.compile(r"^mq:(\d{1,12}):(\d{1,3}):(s|d|t-?\d{1,6}|-?\d{1,6})$")


class Action(StrEnum):
    ANSWER = "answer"
    SKIP = "skip"
    TOGGLE = "toggle"
    DONE = "done"


@dataclass(frozen=True)
class MeasureCallback:
    administration_id: int
    item_index: int
    action: Action
    value: int | None = None


def answer(administration_id: int, index: int, value: int) -> str:
    return f"mq:{administration_id}:{index}:{value}"


def skip(administration_id: int, index: int) -> str:
    return f"mq:{administration_id}:{index}:s"


def toggle(administration_id: int, index: int, value: int) -> str:
    return f"mq:{administration_id}:{index}:t{value}"


def done(administration_id: int, index: int) -> str:
    return f"mq:{administration_id}:{index}:d"


def decode(data: str | None) -> MeasureCallback | None:
    """The callback, or None for anything malformed (forged, or from an older version)."""
    match = _DATA.match(data or "")
    if match is None:
        return None
    administration_id, index, tail = int(match[1]), int(match[2]), match[3]
    if tail == "s":
        return MeasureCallback(administration_id, index, Action.SKIP)
    if tail == "d":
        return MeasureCallback(administration_id, index, Action.DONE)
    if tail.startswith("t"):
        return MeasureCallback(administration_id, index, Action.TOGGLE, int(tail[1:]))
    return MeasureCallback(administration_id, index, Action.ANSWER, int(tail))
