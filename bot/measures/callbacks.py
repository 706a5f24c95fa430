"""Compact callback data for questionnaire buttons (Telegram allows 1–64 bytes).

    mq:<administration>:<item index>:<value>    a scale answer (the option's value)
    mq:<administration>:<item index>:s          skip the item
    mq:<administration>:<item index>:t<value>   pick / unpick an option of a choice item
    mq:<administration>:<item index>:d          done with a choice item

The handler checks the administration against the sender before reading anything
else. The item index makes an old or repeated tap recognisable.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.callbacks import MeasureTap

PATTERN = rf"^{MeasureTap.PREFIX}:"


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
    return MeasureTap(administration_id, index, str(value)).pack()


def skip(administration_id: int, index: int) -> str:
    return MeasureTap(administration_id, index, "s").pack()


def toggle(administration_id: int, index: int, value: int) -> str:
    return MeasureTap(administration_id, index, f"t{value}").pack()


def done(administration_id: int, index: int) -> str:
    return MeasureTap(administration_id, index, "d").pack()


def decode(data: str | None) -> MeasureCallback | None:
    """The callback, or None for anything malformed (forged, or from an older version)."""
    tap = MeasureTap.parse(data)
    if tap is None:
        return None
    administration_id, index, tail = tap.administration_id, tap.item_index, tap.tail
    if tail == "s":
        return MeasureCallback(administration_id, index, Action.SKIP)
    if tail == "d":
        return MeasureCallback(administration_id, index, Action.DONE)
    if tail.startswith("t"):
        return MeasureCallback(administration_id, index, Action.TOGGLE, int(tail[1:]))
    return MeasureCallback(administration_id, index, Action.ANSWER, int(tail))
