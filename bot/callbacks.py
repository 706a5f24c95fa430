"""Every button's callback data: one codec per prefix, in the order ``bot/app.py`` registers
their handlers (see ``bot/callback_data.py`` for how a codec packs and parses).

A handler parses with ``Codec.parse(query.data)``; None means forged, truncated or
from an older version, and gets the kind "this button no longer works" answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Annotated

from bot.callback_data import CallbackData, Token

# --------------------------------------------------------------------------- onboarding, /settings


class ConsentAnswer(StrEnum):
    AGREE = "agree"
    LATER = "later"


@dataclass(frozen=True)
class Consent(CallbackData, prefix="ob"):
    """``ob:agree:<invite>`` / ``ob:later:<invite>``: the answer to the consent question."""

    answer: ConsentAnswer
    invite_id: int


class Question(StrEnum):
    """What a question's button answers (the step it belongs to: ``STEP_OF``)."""

    LANGUAGE = "lang"
    REGION = "tzr"
    ZONE = "tzp"
    CITY = "city"
    ZONE_OK = "tzok"
    ZONE_NO = "tzno"
    CHECKIN = "ci"
    QUIET = "qh"


@dataclass(frozen=True)
class OnboardingAnswer(CallbackData, prefix="ob"):
    """``ob:<question>[:<value>]``: a language code, a region, an IANA zone, a city's
    geonameid, ``HHMM``/``skip``, ``HHMM-HHMM``/``none``; ``ob:tzno`` has none."""

    question: Question
    value: str | None = None


@dataclass(frozen=True)
class SettingsAnswer(CallbackData, prefix="st"):
    """``st:<question>[:<value>]``: the same questions, asked by /settings."""

    question: Question
    value: str | None = None


class SettingStep(StrEnum):
    LANGUAGE = "language"
    TIMEZONE = "timezone"
    CHECKIN = "checkin"
    QUIET = "quiet"


@dataclass(frozen=True)
class OpenSetting(CallbackData, prefix="st:open"):
    """``st:open:<step>``: a /settings button, opening that question."""

    step: SettingStep


# --------------------------------------------------------------------------- care team


@dataclass(frozen=True)
class ShowTeam(CallbackData, prefix="ct:c"):
    """``ct:c:<client>``: a practitioner opens a client's care team."""

    client_id: int


@dataclass(frozen=True)
class AddColleague(CallbackData, prefix="ct:a"):
    """``ct:a:<client>``: the lead asks to add a colleague to a client's team."""

    client_id: int


@dataclass(frozen=True)
class ProposeColleague(CallbackData, prefix="ct:p"):
    """``ct:p:<client>:<colleague>``: the lead picked the colleague to propose."""

    client_id: int
    colleague_id: int


class Decision(StrEnum):
    YES = "y"
    NO = "n"


@dataclass(frozen=True)
class DecideMembership(CallbackData, prefix="ct"):
    """``ct:y:<membership>`` / ``ct:n:<membership>``: the client agrees or declines."""

    decision: Decision
    membership_id: int


@dataclass(frozen=True)
class RemoveMembership(CallbackData, prefix="ct:rm"):
    """``ct:rm:<membership>``: someone leaves (or is taken off) a care team."""

    membership_id: int


@dataclass(frozen=True)
class MakeTeamLink(CallbackData, prefix="ct:l"):
    """``ct:l:<client>``: the lead makes a single-use team link for someone elsewhere."""

    client_id: int


class LinkAnswer(StrEnum):
    ACCEPT = "ty"
    DECLINE = "tn"


@dataclass(frozen=True)
class AnswerTeamLink(CallbackData, prefix="ct"):
    """``ct:ty:<invite>`` / ``ct:tn:<invite>``: the invited practitioner accepts or declines."""

    answer: LinkAnswer
    invite_id: int


# --------------------------------------------------------------------------- practitioners


@dataclass(frozen=True)
class AssignProgram(CallbackData, prefix="pa"):
    """``pa:<client>:<program>``: the lead tapped a program for a client."""

    client_id: int
    program_id: Annotated[str, Token(r"[a-z0-9][a-z0-9-]{0,39}")]


@dataclass(frozen=True)
class MeasureTap(CallbackData, prefix="mq"):
    """``mq:<administration>:<item index>:<s | d | t<value> | <value>>`` (see
    ``bot/measures/callbacks.py`` for what the last field means)."""

    administration_id: int
    item_index: int
    tail: Annotated[str, Token(r"s|d|t-?[0-9]{1,6}|-?[0-9]{1,6}")]


@dataclass(frozen=True)
class RevealFlag(CallbackData, prefix="sf"):
    """``sf:<flag>``: "Show message" on a safety alert: send the flagged words now."""

    flag_id: int


# --------------------------------------------------------------------------- clients


@dataclass(frozen=True)
class PauseFor(CallbackData, prefix="pz"):
    """``pz:<days>``: one of the pause lengths."""

    days: int


class YesNo(StrEnum):
    YES = "yes"
    NO = "no"


@dataclass(frozen=True)
class StopAnswer(CallbackData, prefix="stop"):
    """``stop:yes`` / ``stop:no``: the answer to "do you want to stop?"."""

    answer: YesNo


@dataclass(frozen=True)
class DeleteAnswer(CallbackData, prefix="del"):
    """``del:yes`` / ``del:no``: the answer to "delete everything?"."""

    answer: YesNo


@dataclass(frozen=True)
class NewGoal(CallbackData, prefix="gl:new"):
    """``gl:new``: start a new goal."""


class GoalAction(StrEnum):
    SKIP = "s"
    CANCEL = "x"
    CONFIDENCE = "c"
    KEEP = "k"
    SMALLER = "m"


@dataclass(frozen=True)
class GoalPress(CallbackData, prefix="gl"):
    """``gl:<action>:<goal>[:<value>]``: a button of the goal conversation."""

    action: GoalAction
    goal_id: int
    value: Annotated[str, Token(r"[a-z0-9]{1,5}")] | None = None


class CheckinOp(StrEnum):
    GOAL = "g"
    STRATEGY = "s"
    NOTE = "n"
    SKIP = "x"
    NOW = "q"


@dataclass(frozen=True)
class CheckinPress(CallbackData, prefix="ck"):
    """``ck:<yyyymmdd>:<op>[:<id>[:<value>]]``: a check-in button of that local day."""

    day: date
    op: CheckinOp
    ident: int | None = None
    value: int | None = None


class BackFrom(StrEnum):
    """The kind of check-in question a Back button was shown on."""

    GOAL = "g"
    STRATEGY = "s"
    NOTE = "n"


@dataclass(frozen=True)
class CheckinBack(CallbackData, prefix="cb"):
    """``cb:<yyyymmdd>:<g|s|n>[:<id>]``: "Back" on a check-in question of that local day.

    It names the question it was shown on, so a double tap goes back once: the second
    press finds that question no longer open and changes nothing."""

    day: date
    kind: BackFrom
    ident: int | None = None


# --------------------------------------------------------------------------- lessons


@dataclass(frozen=True)
class LessonPage(CallbackData, prefix="lp"):
    """``lp:<delivery>:<page>``: show a page (Next, Back)."""

    delivery_id: int
    page: int


@dataclass(frozen=True)
class LessonOpen(CallbackData, prefix="lo"):
    """``lo:<delivery>``: open a lesson again from /learn."""

    delivery_id: int


@dataclass(frozen=True)
class LessonDone(CallbackData, prefix="ld"):
    """``ld:<delivery>``: done reading."""

    delivery_id: int


@dataclass(frozen=True)
class LessonSkipReflection(CallbackData, prefix="ls"):
    """``ls:<delivery>``: skip the reflection."""

    delivery_id: int


@dataclass(frozen=True)
class LessonQuiz(CallbackData, prefix="lq"):
    """``lq:<delivery>:<question>:<answer>``: answer a quiz question."""

    delivery_id: int
    question: int
    answer: int


@dataclass(frozen=True)
class LessonSkipQuestion(CallbackData, prefix="lk"):
    """``lk:<delivery>:<question>``: skip a program's question asked after the lesson."""

    delivery_id: int
    question: int


class More(StrEnum):
    EXTRA = "x"  # "Another lesson now" under /lessons (one a day)
    RESUME = "r"  # the button of the one line sent when unopened lessons hold the stream


@dataclass(frozen=True)
class LessonMore(CallbackData, prefix="lm"):
    """``lm:<x|r>:<user>``: the client's next program lesson now; refused unless ``user``
    is the sender (a forwarded or forged button acts on nobody's stream)."""

    why: More
    user_id: int


@dataclass(frozen=True)
class ReviewAnswer(CallbackData, prefix="rv"):
    """``rv:<review>:<answer>``: answer a spaced-review question."""

    review_id: int
    answer: int


@dataclass(frozen=True)
class ReviewSkip(CallbackData, prefix="rk"):
    """``rk:<review>``: skip a spaced-review question (or, without answers, "thought it over")."""

    review_id: int


# --------------------------------------------------------------------------- reminders


@dataclass(frozen=True)
class SkipReminder(CallbackData, prefix="cr:skip"):
    """``cr:skip:<outbox>``: "Skip today" on a check-in reminder sent before check-ins."""

    outbox_id: int


# --------------------------------------------------------------------------- answers

# The buttons that answer a question the bot asked the person pressing them: consent
# and the onboarding and /settings questions, a check-in, a questionnaire, the goal
# conversation, a lesson's pages, quiz and questions, and the pause, stop and delete
# questions. Pressing through them is normal use, however fast: the flood guard does
# not count them (``bot/middleware.py``). A press whose data is none of these does count.
ANSWERS: tuple[type[CallbackData], ...] = (
    Consent,
    OnboardingAnswer,
    SettingsAnswer,
    MeasureTap,
    CheckinPress,
    GoalPress,
    LessonPage,
    LessonDone,
    LessonSkipReflection,
    LessonQuiz,
    LessonSkipQuestion,
    PauseFor,
    StopAnswer,
    DeleteAnswer,
    SkipReminder,
)


def answers_a_question(data: object) -> bool:
    """Whether callback ``data`` is the well-formed answer of one of :data:`ANSWERS`."""
    return any(codec.parse(data) is not None for codec in ANSWERS)
