"""The argument grammar of the practitioner commands: plain parsing, no database.

A practitioner types ``/<command> <client> <rest>``. The client is named by an alias
of one or more words ("Anna M.") or a number, and only the database knows which
first words name a client. So a grammar does not decide: :func:`candidates` returns
every way to cut the words (longest name first), each with what the rest parses to
(a value, or a :class:`Problem`), and the router takes the first cut whose name
names a client. A command whose whole argument is the name has one cut.

    /client Anna M.                -> [Candidate("Anna M.", NOTHING)]
    /note Anna M. Slept well       -> ("Anna M. Slept", NoteText("well")), ("Anna M.", …), …
    /gas Anna 2 +1                 -> … ("Anna", GasReached(2, 1))
    /gas Anna 2 −1 Walks twice     -> … ("Anna", Gas(2, -1, "Walks twice"))
    /measure Kim wellbeing weekly  -> … ("Kim", MeasureSchedule("wellbeing", WEEKLY))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from bot.domain.goal_commands import (
    Change,
    Create,
    Gas,
    Problem,
    StrategyArgs,
    StrategyChange,
    goal_number,
    parse_gas,
    parse_goal,
    parse_level,
    parse_strategy,
)

# The longest alias tried (words). Aliases are short private names.
MAX_NAME_WORDS = 6
NOTE_LENGTH = 2000

A = TypeVar("A")


@dataclass(frozen=True)
class Candidate(Generic[A]):
    """One way to read the words: ``name`` is the client, ``args`` the rest, parsed."""

    name: str
    args: A | Problem


@dataclass(frozen=True)
class Grammar(Generic[A]):
    """How the words after the client parse; ``rest=None``: the whole argument is a name."""

    rest: Callable[[list[str]], A | Problem] | None
    max_name_words: int = MAX_NAME_WORDS


class Nothing(StrEnum):
    """Nothing after the client (/client, /export, /goals …)."""

    NOTHING = "nothing"


NOTHING = Nothing.NOTHING


def candidates(words: Sequence[str], grammar: Grammar[A]) -> list[Candidate[A]]:
    """Every cut of ``words`` into a client name and the rest, longest name first."""
    words = [word for word in words if word]
    if not words:
        return []
    if grammar.rest is None:
        return [Candidate(" ".join(words), NOTHING)]  # type: ignore[arg-type]
    return [
        Candidate(" ".join(words[:size]), grammar.rest(list(words[size:])))
        for size in range(min(len(words), grammar.max_name_words), 0, -1)
    ]


def echo_name(found: Sequence[Candidate[A]]) -> str:
    """The name to echo when no cut names a client: the shortest one whose rest parses
    (``/goal Nobody drop 1`` -> "Nobody"), else the whole text."""
    for candidate in reversed(found):
        if not isinstance(candidate.args, Problem):
            return candidate.name
    return found[0].name if found else ""


# --------------------------------------------------------------------------- the grammars


NAME_ONLY: Grammar[Nothing] = Grammar(None)


class ExportFormat(StrEnum):
    """/export Anna: CSV files and a PDF; /export Anna fhir: an HL7 FHIR R4 Bundle."""

    FILES = "files"
    FHIR = "fhir"


def _export(words: list[str]) -> ExportFormat | Problem:
    if not words:
        return ExportFormat.FILES
    if len(words) == 1 and words[0].casefold() == "fhir":
        return ExportFormat.FHIR
    return Problem.NO_TEXT


EXPORT: Grammar[ExportFormat] = Grammar(_export)


@dataclass(frozen=True)
class NoteText:
    text: str


def _note(words: list[str]) -> NoteText | Problem:
    text = " ".join(words).strip()
    return NoteText(text[:NOTE_LENGTH]) if text else Problem.NO_TEXT


NOTE: Grammar[NoteText] = Grammar(_note)


@dataclass(frozen=True)
class GasReached:
    """/gas <client> <n> <level>: goal n is at this GAS level now (a score)."""

    number: int
    level: int


def _gas(words: list[str]) -> Gas | GasReached | Problem:
    """Both forms of /gas: ``<n> <level>`` (reached now) or ``<n> <level> <description>``."""
    if len(words) == 2:
        number = goal_number(words[0])
        if number is None:
            return Problem.NO_NUMBER
        level = parse_level(words[1])
        return Problem.BAD_LEVEL if level is None else GasReached(number, level)
    return parse_gas(words)


GAS: Grammar[Gas | GasReached] = Grammar(_gas)
GOAL: Grammar[Create | Change] = Grammar(parse_goal)
STRATEGY: Grammar[StrategyArgs | StrategyChange] = Grammar(parse_strategy)


class OfferPrograms(StrEnum):
    """/assign <client>: offer the programs as buttons."""

    OFFER = "offer"


@dataclass(frozen=True)
class ProgramChoice:
    """/assign <client> <program or lesson id>."""

    program_id: str


def _assign(words: list[str]) -> OfferPrograms | ProgramChoice | Problem:
    if not words:
        return OfferPrograms.OFFER
    if len(words) == 1:
        return ProgramChoice(words[0])
    return Problem.NO_TEXT


ASSIGN: Grammar[OfferPrograms | ProgramChoice] = Grammar(_assign)


class MeasureFrequency(StrEnum):
    """How often a questionnaire comes, or ``stop``."""

    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    MONTHLY = "monthly"
    STOP = "stop"


class MeasureOverview(StrEnum):
    """/measure <client>: what is scheduled, and the latest results."""

    OVERVIEW = "overview"


@dataclass(frozen=True)
class MeasureSchedule:
    measure_id: str
    frequency: MeasureFrequency


def _measure(words: list[str]) -> MeasureOverview | MeasureSchedule | Problem:
    if not words:
        return MeasureOverview.OVERVIEW
    if len(words) != 2:
        return Problem.BAD_FREQUENCY
    try:
        frequency = MeasureFrequency(words[1].casefold())
    except ValueError:
        return Problem.BAD_FREQUENCY
    return MeasureSchedule(words[0].casefold(), frequency)


MEASURE: Grammar[MeasureOverview | MeasureSchedule] = Grammar(_measure)


@dataclass(frozen=True)
class MeasureDefaults:
    """/measures phq9,gad7 fortnightly: what every new client gets (``STOP``: nothing)."""

    measure_ids: tuple[str, ...]
    frequency: MeasureFrequency


def parse_measure_defaults(words: list[str]) -> MeasureOverview | MeasureDefaults | Problem:
    """``[]`` shows the defaults; ``none`` (or ``stop``) clears them; otherwise measure ids
    (commas or spaces between them) and a frequency last."""
    if not words:
        return MeasureOverview.OVERVIEW
    if len(words) == 1 and words[0].casefold() in ("none", "stop", "off"):
        return MeasureDefaults((), MeasureFrequency.STOP)
    try:
        frequency = MeasureFrequency(words[-1].casefold())
    except ValueError:
        return Problem.BAD_FREQUENCY
    ids = [part.casefold() for word in words[:-1] for part in word.split(",") if part]
    if not ids or frequency is MeasureFrequency.STOP:
        return Problem.BAD_FREQUENCY
    return MeasureDefaults(tuple(dict.fromkeys(ids)), frequency)
