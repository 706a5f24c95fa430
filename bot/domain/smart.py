"""The checks behind the guided SMART goal conversation.

They judge the shape of an answer, never its content: the client's goal is
theirs. Each check returns what the conversation should do next.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum

import dateparser

# Below this confidence (0–10) the bot suggests a smaller first step (DESIGN.md).
CONFIDENCE_THRESHOLD = 7
MIN_GOAL_WORDS = 2
MAX_TEXT_LENGTH = 300
MAX_HORIZON_DAYS = 366

_DATE_ORDER = {"en": "MDY", "de": "DMY", "es": "DMY"}
# Words people put before a date ("by Friday", "bis zum 31.1.", "para el 15 de febrero")
# that dateparser does not expect: tried without them when the whole answer fails.
_LEADING_WORDS = {
    "en": ("by the", "by", "on the", "on", "until", "till", "before", "around"),
    "de": ("bis zum", "bis spätestens", "spätestens am", "spätestens", "bis", "am", "zum"),
    "es": ("para el", "antes del", "hasta el", "como tarde el", "para", "antes de", "el"),
}


class TextProblem(StrEnum):
    EMPTY = "empty"
    TOO_SHORT = "too_short"  # one word: ask for a little more detail
    TOO_LONG = "too_long"


def check_text(answer: str) -> TextProblem | None:
    """Whether a free-text answer (what, how measured, why) can be stored as it is."""
    words = answer.split()
    if not words:
        return TextProblem.EMPTY
    if len(answer) > MAX_TEXT_LENGTH:
        return TextProblem.TOO_LONG
    if len(words) < MIN_GOAL_WORDS:
        return TextProblem.TOO_SHORT
    return None


def suggests_smaller_step(confidence: int) -> bool:
    """Achievable: a confidence below 7 out of 10 gets a gentle offer to scale down."""
    if not 0 <= confidence <= 10:
        raise ValueError("confidence is 0–10")
    return confidence < CONFIDENCE_THRESHOLD


class DeadlineProblem(StrEnum):
    UNREADABLE = "unreadable"
    PAST = "past"  # today or earlier
    TOO_FAR = "too_far"  # more than a year ahead: suggest a nearer milestone


@dataclass(frozen=True)
class Deadline:
    day: date | None
    problem: DeadlineProblem | None


def parse_deadline(answer: str, locale: str, today: date) -> Deadline:
    """Read a date typed in the client's language ("31.12.", "in 3 weeks", "mañana")."""
    text = answer.strip()[:MAX_TEXT_LENGTH]
    parsed = _parse(text, locale, today)
    if parsed is None:
        folded = text.casefold()
        for words in _LEADING_WORDS.get(locale, ()):
            if folded.startswith(words + " "):
                parsed = _parse(text[len(words) + 1 :], locale, today)
                break
    if parsed is None:
        return Deadline(None, DeadlineProblem.UNREADABLE)
    day = parsed.date()
    if day <= today:
        return Deadline(day, DeadlineProblem.PAST)
    if (day - today).days > MAX_HORIZON_DAYS:
        return Deadline(day, DeadlineProblem.TOO_FAR)
    return Deadline(day, None)


def _parse(text: str, locale: str, today: date) -> datetime | None:
    return dateparser.parse(
        text,
        languages=[locale],
        settings={
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": datetime.combine(today, time(12)),
            "DATE_ORDER": _DATE_ORDER.get(locale, "DMY"),
            "RETURN_AS_TIMEZONE_AWARE": False,
        },
    )
