"""The questions of onboarding and /settings, one small object each.

A step says what to ask (:meth:`Step.ask`: text and buttons as plain values), reads an
answer (:meth:`Step.on_button`, :meth:`Step.on_text`, :meth:`Step.on_location`) into an
outcome, and stores a chosen value on the user (:meth:`Step.save`). It never sends
anything: the flows render its prompts and act on its outcomes.

Onboarding walks :data:`STEPS` in the order of ``bot.enrollment.clients.STEPS``;
/settings opens one of them. The open step's name is what ``conversation_steps``
stores, so these names never change.
"""

from __future__ import annotations

import asyncio
import html
from dataclasses import dataclass
from datetime import time
from typing import Any, ClassVar, Generic, TypeVar

from babel.dates import format_time

from bot.callbacks import Question
from bot.db.models import User
from bot.enrollment import times_of_day, timezones
from bot.i18n import N_, Catalogs, Translator
from bot.preferences.labels import city_label, language_name, place_and_time, quiet_label

CHECKIN_CHOICES = tuple(time(hour) for hour in (7, 8, 9, 12, 18, 19, 20, 21))
QUIET_CHOICES = ((time(22), time(7)), (time(21), time(8)), (time(23), time(9)))
REGION_NAMES = {
    "eu": N_("Europe"),
    "am": N_("Americas"),
    "af": N_("Africa"),
    "as": N_("Asia"),
    "oc": N_("Oceania"),
}
SHARE_LOCATION = N_("📍 Share my location")
CHOOSE_FROM_LIST = N_("🗺 Choose from a list")
SKIP = N_("Skip for now")

V = TypeVar("V")


# --------------------------------------------------------------------------- what a step shows


@dataclass(frozen=True)
class Choice:
    """An inline button: it answers ``question`` with ``value`` (packed by the flow,
    ``ob:`` in onboarding, ``st:`` in /settings)."""

    label: str
    question: Question
    value: str | None = None


@dataclass(frozen=True)
class KeyButton:
    """A button of the keyboard under the text field; ``location`` asks to share it."""

    label: str
    location: bool = False


@dataclass(frozen=True)
class Prompt:
    text: str
    choices: tuple[tuple[Choice, ...], ...] = ()
    keyboard: tuple[tuple[KeyButton, ...], ...] = ()  # instead of inline choices


@dataclass(frozen=True)
class Env:
    """What a step needs to know: the user's language, the others, the default zone."""

    t: Translator
    catalogs: Catalogs
    default_timezone: str

    def is_label(self, text: str, label: str) -> bool:
        """A keyboard button in any of our languages (the user may just have switched)."""
        return any(
            text == self.catalogs.translator(locale)._(label) for locale in self.catalogs.locales
        )


# --------------------------------------------------------------------------- what an answer gives


@dataclass(frozen=True)
class Save(Generic[V]):
    """The answer is ``value``: store it with the step's :meth:`Step.save`, move on.
    ``note`` is said first, taking the location keyboard away."""

    value: V
    note: str | None = None


@dataclass(frozen=True)
class Show:
    """More of the same question (a list to choose from, a confirmation)."""

    prompt: Prompt
    drop: bool = False  # take the buttons off the message that was answered


@dataclass(frozen=True)
class Reask:
    """Ask the step's question again, after ``lead``."""

    lead: str | None = None
    drop: bool = False


@dataclass(frozen=True)
class Refused:
    """A button of this question with a value it never offers (forged or outdated)."""


Outcome = Save[Any] | Show | Reask | Refused


# --------------------------------------------------------------------------- the steps


@dataclass(frozen=True)
class Step(Generic[V]):
    name: ClassVar[str]
    questions: ClassVar[frozenset[Question]]  # the buttons that answer it
    switches_language: ClassVar[bool] = False

    def ask(self, env: Env) -> Prompt:
        raise NotImplementedError

    async def on_button(self, env: Env, question: Question, value: str) -> Outcome:
        return Refused()

    async def on_text(self, env: Env, text: str) -> Outcome:
        return Reask(env.t._("Please choose with one of the buttons."))

    def on_location(self, env: Env, latitude: float, longitude: float) -> Outcome | None:
        """None: this question takes no location (it is answered as a message without text)."""
        return None

    def save(self, user: User, value: V) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class LanguageStep(Step[str]):
    name = "language"
    questions = frozenset({Question.LANGUAGE})
    switches_language = True

    def ask(self, env: Env) -> Prompt:
        _ = env.t._
        return Prompt(
            _("Which language should I use with you?"),
            (
                tuple(
                    Choice(
                        ("✓ " if code == env.t.locale else "") + language_name(code),
                        Question.LANGUAGE,
                        code,
                    )
                    for code in env.catalogs.locales
                ),
            ),
        )

    async def on_button(self, env: Env, question: Question, value: str) -> Outcome:
        return Save(value) if value in env.catalogs.locales else Refused()

    def save(self, user: User, value: str) -> None:
        user.locale = value


@dataclass(frozen=True)
class TimezoneStep(Step[str | None]):
    """By location, by a typed city, or region → zone; each choice confirmed with the
    time there now. "Skip" keeps the default zone (None is saved: nothing changes)."""

    name = "timezone"
    questions = frozenset(
        {Question.REGION, Question.ZONE, Question.CITY, Question.ZONE_OK, Question.ZONE_NO}
    )

    def ask(self, env: Env) -> Prompt:
        _ = env.t._
        return Prompt(
            _(
                "Which time zone are you in? Then I write at the right time of your day.\n"
                "Share your location, type the name of your city, or choose from a list."
            ),
            keyboard=(
                (KeyButton(_(SHARE_LOCATION), location=True),),
                (KeyButton(_(CHOOSE_FROM_LIST)), KeyButton(_(SKIP))),
            ),
        )

    async def on_button(self, env: Env, question: Question, value: str) -> Outcome:
        _ = env.t._
        locale = env.t.locale
        if question == Question.REGION and value in timezones.REGIONS:
            return Show(self.zones(env, value), drop=True)
        if question == Question.ZONE and timezones.is_known_zone(value):
            return Show(self.confirm(env, value, timezones.zone_label(value, locale)))
        if question == Question.ZONE_OK and timezones.is_known_zone(value):
            place = html.escape(timezones.zone_label(value, locale))
            return Save(value, note=_("Time zone: {place} ✓", place=place))
        if question == Question.CITY and value.isdigit():
            index = await asyncio.to_thread(timezones.city_index)
            city = index.get(int(value))
            if city is None:
                return Reask()
            return Show(self.confirm(env, city.timezone, city_label(locale, city)))
        if question == Question.ZONE_NO:
            return Reask(drop=True)
        return Refused()

    async def on_text(self, env: Env, text: str) -> Outcome:
        _ = env.t._
        if env.is_label(text, CHOOSE_FROM_LIST):
            return Show(self.regions(env))
        if env.is_label(text, SKIP):
            zone = env.default_timezone
            return Save(None, note=_("No problem: I'll use {zone} until you choose.", zone=zone))
        index = await asyncio.to_thread(timezones.city_index)
        found = index.search(text)
        if not found:
            return Reask(
                _(
                    "I couldn't find a city called “{city}”. Try a larger city nearby.",
                    city=html.escape(text[:64]),
                )
            )
        if len(found) == 1:
            return Show(self.confirm(env, found[0].timezone, city_label(env.t.locale, found[0])))
        return Show(self.cities(env, found))

    def on_location(self, env: Env, latitude: float, longitude: float) -> Outcome | None:
        zone = timezones.zone_at(latitude, longitude)
        if zone is None:
            return Reask(env.t._("I couldn't find a time zone for that place."))
        return Show(self.confirm(env, zone, timezones.zone_label(zone, env.t.locale)))

    def save(self, user: User, value: str | None) -> None:
        if value is not None:
            user.timezone = value

    # The question's further pages.

    def regions(self, env: Env) -> Prompt:
        _ = env.t._
        choices = [Choice(_(name), Question.REGION, code) for code, name in REGION_NAMES.items()]
        return Prompt(_("Where in the world are you?"), _rows(choices, 3))

    def zones(self, env: Env, region: str) -> Prompt:
        _ = env.t._
        locale = env.t.locale
        choices = [
            Choice(
                place_and_time(locale, timezones.zone_label(zone, locale), zone),
                Question.ZONE,
                zone,
            )
            for zone in timezones.REGIONS[region]
        ]
        return Prompt(
            _("Which of these is your time zone? (with the time there now)"), _rows(choices, 2)
        )

    def cities(self, env: Env, found: list[timezones.City]) -> Prompt:
        _ = env.t._
        locale = env.t.locale
        choices = [
            Choice(
                place_and_time(locale, city_label(locale, city), city.timezone),
                Question.CITY,
                str(city.geonameid),
            )
            for city in found
        ]
        return Prompt(
            _("Which one is yours? (with the time there now)"),
            (*_rows(choices, 1), (Choice(_("None of these"), Question.ZONE_NO),)),
        )

    def confirm(self, env: Env, zone: str, place: str) -> Prompt:
        """The choice with its current local time, to be confirmed."""
        _ = env.t._
        return Prompt(
            _(
                "{place}: it's {time} there now. Is that right?",
                place=html.escape(place),
                time=timezones.local_time(zone, env.t.locale),
            ),
            (
                (Choice(_("Yes, that's right"), Question.ZONE_OK, zone),),
                (Choice(_("No, choose again"), Question.ZONE_NO),),
            ),
        )


@dataclass(frozen=True)
class CheckinStep(Step[time | None]):
    """The daily check-in's time; "skip" leaves it unset (or as it was)."""

    name = "checkin"
    questions = frozenset({Question.CHECKIN})

    def ask(self, env: Env) -> Prompt:
        _ = env.t._
        choices = [
            Choice(
                format_time(choice, "short", locale=env.t.locale),
                Question.CHECKIN,
                times_of_day.encode(choice),
            )
            for choice in CHECKIN_CHOICES
        ]
        return Prompt(
            _(
                "When would you like your daily check-in? It takes less than a minute.\n"
                "Tap a time, or type one, like 8:30."
            ),
            (*_rows(choices, 4), (Choice(_(SKIP), Question.CHECKIN, "skip"),)),
        )

    async def on_button(self, env: Env, question: Question, value: str) -> Outcome:
        if value == "skip":
            return Save(None)
        chosen = times_of_day.decode(value)
        return Save(chosen) if chosen is not None else Refused()

    async def on_text(self, env: Env, text: str) -> Outcome:
        chosen = times_of_day.parse_time(text)
        if chosen is None:
            return Reask(env.t._("I didn't catch a time there."))
        return Save(chosen)

    def save(self, user: User, value: time | None) -> None:
        if value is not None:
            user.checkin_time = value


@dataclass(frozen=True)
class QuietStep(Step[tuple[time, time] | None]):
    """Quiet hours, from start to end (over midnight or not); "none" clears them."""

    name = "quiet"
    questions = frozenset({Question.QUIET})

    def ask(self, env: Env) -> Prompt:
        _ = env.t._
        choices = [
            Choice(
                quiet_label(env.t.locale, start, end),
                Question.QUIET,
                f"{times_of_day.encode(start)}-{times_of_day.encode(end)}",
            )
            for start, end in QUIET_CHOICES
        ]
        return Prompt(
            _(
                "And quiet hours: when should I never write to you?\n"
                "Tap a choice, or type one, like 22-7."
            ),
            (*_rows(choices, 1), (Choice(_("No quiet hours"), Question.QUIET, "none"),)),
        )

    async def on_button(self, env: Env, question: Question, value: str) -> Outcome:
        if value == "none":
            return Save(None)
        hours = quiet_value(value)
        return Save(hours) if hours is not None else Refused()

    async def on_text(self, env: Env, text: str) -> Outcome:
        hours = times_of_day.parse_range(text)
        if hours is None:
            return Reask(env.t._("I didn't catch a time there."))
        return Save(hours)

    def save(self, user: User, value: tuple[time, time] | None) -> None:
        user.quiet_start, user.quiet_end = value or (None, None)


def quiet_value(value: str) -> tuple[time, time] | None:
    """``HHMM-HHMM`` from a button: two different times, else None."""
    start, _sep, end = value.partition("-")
    first, second = times_of_day.decode(start), times_of_day.decode(end)
    return (first, second) if first and second and first != second else None


def _rows(choices: list[Choice], per_row: int) -> tuple[tuple[Choice, ...], ...]:
    return tuple(tuple(choices[i : i + per_row]) for i in range(0, len(choices), per_row))


# --------------------------------------------------------------------------- the one table

STEPS: dict[str, Step[Any]] = {
    step.name: step for step in (LanguageStep(), TimezoneStep(), CheckinStep(), QuietStep())
}
# Which step a button answers (a button of another step is from an earlier question).
STEP_OF: dict[Question, str] = {
    question: step.name for step in STEPS.values() for question in step.questions
}
