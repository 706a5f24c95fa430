"""The traffic light's reasons in words, in the reader's language: one line per client
("2 check-ins missed in a row · goal 1 “Sleep” down 2.1 vs first week"), the caseload
line ("3 red · 2 yellow · 10 green · 4 not enough data"), the GAS T-score as it may be
shown, and the stepping-down suggestion.

The reasons themselves are typed values from :mod:`bot.domain.traffic_light`; every
front door (digest, /client, alerts, the web view) renders them through this module.
Output is Telegram HTML: whatever a client or practitioner typed (goal titles) is
escaped here, and nothing else needs escaping.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import assert_never

from babel.lists import format_list
from babel.numbers import format_decimal

from bot.domain.gas import GasReview, GasShown, GasSummary
from bot.domain.traffic_light import (
    COLOUR_ORDER,
    Colour,
    GasLow,
    GoalDown,
    GoalSmallChange,
    GoalStuck,
    GoalUp,
    MeasureBetter,
    MeasureCrossed,
    MeasureItem,
    MeasureWorse,
    MissedInARow,
    NoRecentRatings,
    NotEnoughData,
    Reason,
    StepDown,
    TooEarly,
)
from bot.domain.trends import BaselineKind
from bot.i18n import Translator

SEPARATOR = " · "
# A goal's title in a reason is cut here (the line must fit a phone screen).
TITLE_LENGTH = 30
MARKS = {Colour.RED: "🔴", Colour.YELLOW: "🟡", Colour.GREEN: "🟢", Colour.GREY: "⚪"}


def _number(t: Translator, value: float) -> str:
    return format_decimal(value, "0.0", locale=t.locale)


def _signed(t: Translator, value: float) -> str:
    return format_decimal(value, "+0.0;-0.0", locale=t.locale)


def _score(t: Translator, value: float) -> str:
    return format_decimal(value, "0.#", locale=t.locale)


def _goal(t: Translator, number: int, title: str) -> str:
    short = title if len(title) <= TITLE_LENGTH else title[: TITLE_LENGTH - 1].rstrip() + "…"
    if not short.strip():
        return t._("goal {number}", number=number)
    return t._("goal {number} “{title}”", number=number, title=html.escape(short))


def against(t: Translator, kind: BaselineKind) -> str:
    """What a goal is compared with: "vs first week", "vs first days", "vs intake"."""
    if kind is BaselineKind.FIRST_WEEK:
        return t._("vs first week")
    if kind is BaselineKind.FIRST_DAYS:
        return t._("vs first days")
    return t._("vs intake")


def reason_text(
    t: Translator, reason: Reason | GasReview, names: Mapping[str, str] | None = None
) -> str:
    """One reason as a short phrase; ``names`` gives a measure's name in the reader's
    language by its id (default: the id)."""

    def measure(name: str) -> str:
        return html.escape((names or {}).get(name, name))

    match reason:
        case MissedInARow(count=count):
            return t.ngettext(
                "{count} check-in missed in a row", "{count} check-ins missed in a row", count
            )
        case GoalDown() | GoalUp():
            goal = _goal(t, reason.goal_number, reason.title)
            delta = _number(t, abs(reason.delta))
            compared = against(t, reason.baseline)
            if isinstance(reason, GoalDown):
                if reason.reliable:
                    return t._(
                        "{goal} down {delta} {against}, a reliable change",
                        goal=goal,
                        delta=delta,
                        against=compared,
                    )
                return t._(
                    "{goal} down {delta} {against}", goal=goal, delta=delta, against=compared
                )
            if reason.reliable:
                return t._(
                    "{goal} up {delta} {against}, a reliable change",
                    goal=goal,
                    delta=delta,
                    against=compared,
                )
            return t._("{goal} up {delta} {against}", goal=goal, delta=delta, against=compared)
        case GoalStuck():
            return t._(
                "{goal}: no reliable change by week {week}, trend {slope} a week",
                goal=_goal(t, reason.goal_number, reason.title),
                week=reason.week,
                slope=_signed(t, reason.slope_per_week),
            )
        case GoalSmallChange():
            return t._(
                "{goal}: little change ({delta}) {against}",
                goal=_goal(t, reason.goal_number, reason.title),
                delta=_signed(t, reason.delta),
                against=against(t, reason.baseline),
            )
        case MeasureWorse():
            return t._(
                "{measure} worse: {before} → {after}",
                measure=measure(reason.measure),
                before=_score(t, reason.before),
                after=_score(t, reason.after),
            )
        case MeasureBetter():
            return t._(
                "{measure} better: {before} → {after}",
                measure=measure(reason.measure),
                before=_score(t, reason.before),
                after=_score(t, reason.after),
            )
        case MeasureItem():
            return t._(
                "{measure} item {item} answered {answer}",
                measure=measure(reason.measure),
                item=reason.item,
                answer=reason.answer,
            )
        case MeasureCrossed():
            if reason.into_clinical:
                return t._(
                    "{measure} {before} → {after}, into the clinical range (cut-off {cutoff})",
                    measure=measure(reason.measure),
                    before=_score(t, reason.before),
                    after=_score(t, reason.after),
                    cutoff=_score(t, reason.cutoff),
                )
            return t._(
                "{measure} {before} → {after}, out of the clinical range (cut-off {cutoff})",
                measure=measure(reason.measure),
                before=_score(t, reason.before),
                after=_score(t, reason.after),
                cutoff=_score(t, reason.cutoff),
            )
        case GasLow():
            return t.ngettext(
                "GAS T-score {t} across {count} goal",
                "GAS T-score {t} across {count} goals",
                reason.goals,
                t=_score(t, reason.t),
            )
        case NotEnoughData(ratings=ratings):
            if ratings == 0:
                return t._("no ratings yet")
            return t.ngettext("only {count} rating so far", "only {count} ratings so far", ratings)
        case NoRecentRatings(days=days):
            return t.ngettext("no rating for {count} day", "no ratings for {count} days", days)
        case TooEarly(week=week):
            return t._("too early to judge (week {week})", week=week)
        case GasReview():
            return t._(
                "{goal}: ratings {delta} since its GAS level was set, worth reviewing the level",
                goal=_goal(t, reason.goal_number, reason.title),
                delta=_signed(t, reason.delta),
            )
        case _:
            assert_never(reason)


def reasons_line(
    t: Translator,
    reasons: Iterable[Reason | GasReview],
    names: Mapping[str, str] | None = None,
    *,
    limit: int | None = None,
) -> str:
    """The reasons, in order (most urgent first), on one line; with ``limit``, the first
    ``limit`` and how many more."""
    every = list(reasons)
    shown = every if limit is None else every[:limit]
    parts = [reason_text(t, reason, names) for reason in shown]
    if len(every) > len(shown):
        parts.append(t.ngettext("+{count} more", "+{count} more", len(every) - len(shown)))
    return SEPARATOR.join(parts)


def caseload_line(t: Translator, counts: Mapping[Colour, int]) -> str:
    """How many clients have each colour, most urgent first."""
    red, yellow, green, grey = (counts.get(colour, 0) for colour in COLOUR_ORDER)
    return t._(
        "{red} red · {yellow} yellow · {green} green · {grey} not enough data",
        red=red,
        yellow=yellow,
        green=green,
        grey=grey,
    )


def step_down_text(t: Translator, step: StepDown, names: Mapping[str, str] | None = None) -> str:
    shown = [html.escape((names or {}).get(m, m)) for m in step.measures]
    return t._(
        "consider stepping down: GAS T-score {t}, {measures} past the clinical cut-off",
        t=_score(t, step.t),
        measures=format_list(shown, locale=t.locale),
    )


def gas_text(t: Translator, summary: GasSummary) -> str | None:
    """The T-score as it may be shown: with enough goals scored, or labelled as one goal's;
    None when no goal is scored."""
    if summary.t is None or summary.shown is GasShown.HIDDEN:
        return None
    score = _score(t, summary.t)
    if summary.shown is GasShown.ONE_GOAL:
        return t.ngettext(
            "GAS T-score: {score} (from {count} goal only)",
            "GAS T-score: {score} (from {count} goals only)",
            summary.goals,
            score=score,
        )
    return t._("GAS T-score: {score}", score=score)
