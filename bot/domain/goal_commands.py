"""Reading what a practitioner typed after /goal, /gas and /strategy.

Plain parsing, no database: the flow finds the client from the first words
(:func:`alias_splits`), then hands the rest to one of the parsers here. Each
returns a value or a :class:`Problem` saying what was missing, so the flow can
answer kindly.

    /goal Anna M. Walk 20 minutes after lunch  -> Create("Walk 20 minutes after lunch")
    /goal Anna M. edit 2 Walk 15 minutes       -> Change(EDIT, 2, "Walk 15 minutes")
    /goal Anna M. pause 2                      -> Change(PAUSE, 2)
    /gas Anna M. 2 +1 Walks 4 days a week      -> Gas(2, 1, "Walks 4 days a week")
    /strategy Anna M. 2 mon,wed,fri A walk     -> StrategyArgs(2, Frequency(WEEKDAYS, …), …)
    /strategy Anna M. 2 edit 1 daily A walk    -> StrategyChange(EDIT, 2, 1, Frequency(DAILY), …)
    /strategy Anna M. 2 edit 1 A short walk    -> StrategyChange(EDIT, 2, 1, None, "A short walk")
    /strategy Anna M. 2 stop 1                 -> StrategyChange(DROP, 2, 1)
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.domain.gas import GAS_LEVELS

# An alias is a short private name ("Anna M."); longer prefixes are not tried.
MAX_ALIAS_WORDS = 4
MAX_TEXT_LENGTH = 300


class Problem(StrEnum):
    NO_TEXT = "no_text"  # nothing after the client / the goal number
    NO_NUMBER = "no_number"  # the goal number is missing or not a number
    BAD_LEVEL = "bad_level"  # a GAS level that is not -2 … +2
    BAD_FREQUENCY = "bad_frequency"
    TOO_LONG = "too_long"


class Verb(StrEnum):
    EDIT = "edit"
    PAUSE = "pause"
    RESUME = "resume"
    ACHIEVE = "achieve"
    DROP = "drop"


# What a practitioner may type for each verb (English, German, Spanish).
VERBS: dict[str, Verb] = {
    "edit": Verb.EDIT,
    "change": Verb.EDIT,
    "ändern": Verb.EDIT,
    "bearbeiten": Verb.EDIT,
    "editar": Verb.EDIT,
    "cambiar": Verb.EDIT,
    "pause": Verb.PAUSE,
    "pausieren": Verb.PAUSE,
    "pausar": Verb.PAUSE,
    "resume": Verb.RESUME,
    "fortsetzen": Verb.RESUME,
    "reanudar": Verb.RESUME,
    "achieve": Verb.ACHIEVE,
    "achieved": Verb.ACHIEVE,
    "erreicht": Verb.ACHIEVE,
    "logrado": Verb.ACHIEVE,
    "lograda": Verb.ACHIEVE,
    "drop": Verb.DROP,
    "streichen": Verb.DROP,
    "abandonar": Verb.DROP,
    "descartar": Verb.DROP,
}


@dataclass(frozen=True)
class Create:
    text: str


@dataclass(frozen=True)
class Change:
    verb: Verb
    number: int
    text: str | None = None  # the new wording, for EDIT


@dataclass(frozen=True)
class Gas:
    number: int
    level: int
    description: str


class FrequencyKind(StrEnum):
    DAILY = "daily"
    TIMES_PER_WEEK = "times_per_week"
    WEEKDAYS = "weekdays"


@dataclass(frozen=True)
class Frequency:
    kind: FrequencyKind
    times_per_week: int | None = None
    weekdays: int | None = None  # Monday = bit 0 … Sunday = bit 6

    @property
    def days(self) -> tuple[int, ...]:
        """The weekdays (0 = Monday) of a WEEKDAYS frequency, in order."""
        return tuple(day for day in range(7) if (self.weekdays or 0) >> day & 1)


@dataclass(frozen=True)
class StrategyArgs:
    number: int
    frequency: Frequency
    text: str


@dataclass(frozen=True)
class StrategyChange:
    """Strategy ``strategy`` of goal ``number`` (both as /goals numbers them): reworded,
    practised at another frequency, or stopped (``Verb.DROP``)."""

    verb: Verb
    number: int
    strategy: int
    frequency: Frequency | None = None  # EDIT: None keeps how often it is
    text: str | None = None  # EDIT: None keeps the wording


# What a practitioner may type to change a strategy: the goal verbs for a new wording, and
# for stopping one the goal's "drop" words and the plain "stop" ones.
STRATEGY_VERBS: dict[str, Verb] = {
    **{word: verb for word, verb in VERBS.items() if verb in (Verb.EDIT, Verb.DROP)},
    "stop": Verb.DROP,
    "end": Verb.DROP,
    "beenden": Verb.DROP,
    "stoppen": Verb.DROP,
    "quitar": Verb.DROP,
    "terminar": Verb.DROP,
}


def alias_splits(words: Sequence[str]) -> Iterator[tuple[str, list[str]]]:
    """(client, the rest) for each way to cut the words, longest client name first."""
    for size in range(min(len(words), MAX_ALIAS_WORDS), 0, -1):
        yield " ".join(words[:size]), list(words[size:])


def _text(words: Sequence[str]) -> str | Problem:
    text = " ".join(words).strip()
    if not text:
        return Problem.NO_TEXT
    if len(text) > MAX_TEXT_LENGTH:
        return Problem.TOO_LONG
    return text


def goal_number(word: str) -> int | None:
    """A goal's (or a strategy's) number as /goals shows it: 1 … 999 (``#2`` too)."""
    word = word.removeprefix("#")
    # isascii: "²".isdigit() is True, and int() refuses it
    return int(word) if word.isascii() and word.isdigit() and 0 < int(word) < 1000 else None


def parse_goal(words: Sequence[str]) -> Create | Change | Problem:
    """What follows the client in /goal: a new goal's text, or a verb and a goal number."""
    if not words:
        return Problem.NO_TEXT
    verb = VERBS.get(words[0].casefold())
    if verb is None:
        text = _text(words)
        return text if isinstance(text, Problem) else Create(text)
    number = goal_number(words[1]) if len(words) > 1 else None
    if number is None:
        if len(words) > 2 and verb == Verb.EDIT:  # "edit her CV weekly": a new goal's text
            text = _text(words)
            return text if isinstance(text, Problem) else Create(text)
        return Problem.NO_NUMBER
    if verb != Verb.EDIT:
        return Change(verb, number)
    text = _text(words[2:])
    return text if isinstance(text, Problem) else Change(verb, number, text)


_MINUS = str.maketrans({"−": "-", "–": "-", "＋": "+"})


def parse_level(word: str) -> int | None:
    """A GAS level: -2, -1, 0, +1, 1, +2, 2 (a typographic minus too)."""
    word = word.translate(_MINUS)
    if not re.fullmatch(r"[+-]?\d", word):
        return None
    level = int(word)
    return level if level in GAS_LEVELS else None


def parse_gas(words: Sequence[str]) -> Gas | Problem:
    """What follows the client in /gas: goal number, level, description."""
    number = goal_number(words[0]) if words else None
    if number is None:
        return Problem.NO_NUMBER
    level = parse_level(words[1]) if len(words) > 1 else None
    if level is None:
        return Problem.BAD_LEVEL
    text = _text(words[2:])
    return text if isinstance(text, Problem) else Gas(number, level, text)


def _fold(word: str) -> str:
    """Lower case without accents: "Mié." -> "mie"."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip(".")


# Day names and abbreviations, Monday = 0. German two-letter "do" is Thursday; Spanish
# abbreviations have three letters ("dom" is Sunday), so the tables never disagree.
_DAYS: dict[str, int] = {}
for _day, _names in enumerate(
    (
        "mon monday mo montag lun lunes",
        "tue tues tuesday di dienstag mar martes",
        "wed wednesday mi mittwoch mie miercoles",
        "thu thur thurs thursday do donnerstag jue jueves",
        "fri friday fr freitag vie viernes",
        "sat saturday sa samstag sab sabado",
        "sun sunday so sonntag dom domingo",
    )
):
    for _name in _names.split():
        _DAYS[_name] = _day

_DAILY = {"daily", "everyday", "täglich", "taglich", "diario", "diaria", "cada-dia"}
_PER_WEEK = re.compile(r"(\d)\s*(?:x|×)?\s*(?:/|per|a|pro|por)?\s*(?:week|w|woche|wk|semana|sem)?")


def parse_frequency(typed: str) -> Frequency | None:
    """``daily``, ``3/week`` (also ``3x``, ``3/woche``, ``3/semana``) or weekdays such as
    ``mon,wed,fri``, ``mo,mi,fr``, ``lun,mié,vie`` or a range ``mon-fri``."""
    word = _fold(typed.strip())
    if not word:
        return None
    if word in _DAILY:
        return Frequency(FrequencyKind.DAILY)
    per_week = _PER_WEEK.fullmatch(word)
    if per_week and (word[1:] or "").strip():  # a bare digit is not a frequency
        times = int(per_week[1])
        if times == 7:
            return Frequency(FrequencyKind.DAILY)
        if 1 <= times <= 6:
            return Frequency(FrequencyKind.TIMES_PER_WEEK, times_per_week=times)
        return None
    mask = 0
    for part in re.split(r"[,;/]", word):
        part = _fold(part)
        if "-" in part:
            first, _, last = part.partition("-")
            if _fold(first) not in _DAYS or _fold(last) not in _DAYS:
                return None
            start, end = _DAYS[_fold(first)], _DAYS[_fold(last)]
            day = start
            while True:
                mask |= 1 << day
                if day == end:
                    break
                day = (day + 1) % 7
        elif part in _DAYS:
            mask |= 1 << _DAYS[part]
        else:
            return None
    if mask == 0:
        return None
    if mask == 0b1111111:
        return Frequency(FrequencyKind.DAILY)
    return Frequency(FrequencyKind.WEEKDAYS, weekdays=mask)


def parse_strategy(words: Sequence[str]) -> StrategyArgs | StrategyChange | Problem:
    """What follows the client in /strategy: goal number, frequency, the strategy; or goal
    number, a verb and the strategy's number (then, to edit, how often and/or the wording)."""
    number = goal_number(words[0]) if words else None
    if number is None:
        return Problem.NO_NUMBER
    verb = STRATEGY_VERBS.get(words[1].casefold()) if len(words) > 1 else None
    if verb is not None:
        return _strategy_change(verb, number, words[2:])
    frequency = parse_frequency(words[1]) if len(words) > 1 else None
    if frequency is None:
        return Problem.BAD_FREQUENCY
    text = _text(words[2:])
    return text if isinstance(text, Problem) else StrategyArgs(number, frequency, text)


def _strategy_change(verb: Verb, number: int, words: Sequence[str]) -> StrategyChange | Problem:
    strategy = goal_number(words[0]) if words else None
    if strategy is None:
        return Problem.NO_NUMBER
    if verb == Verb.DROP:
        return StrategyChange(verb, number, strategy)
    rest = words[1:]
    # A frequency first is how often; everything else is the new wording.
    frequency = parse_frequency(rest[0]) if rest else None
    if frequency is not None:
        rest = rest[1:]
    if not rest:
        if frequency is None:
            return Problem.NO_TEXT
        return StrategyChange(verb, number, strategy, frequency)
    text = _text(rest)
    if isinstance(text, Problem):
        return text
    return StrategyChange(verb, number, strategy, frequency, text)
