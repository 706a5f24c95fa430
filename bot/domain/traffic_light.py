"""Not on track: a traffic light per client, with its reasons as typed values.

Each front door (the digest, /client, the web view) renders the reasons in the reader's
language (bot/review/reasons.py); nothing here is wording. The rules, in order:

- **red**: a goal's reliable worsening; a measure's reliable deterioration or an item
  alert; GAS T ≤ 40 with at least two goals scored; or, from week 4, a goal with no
  reliable change and a flat or falling slope when no goal has improved reliably.
- **yellow**: from week 4 (after week 3), a goal whose change is smaller than half its
  baseline SD, or one moving without a reliable change yet (or stuck while another goal
  improves reliably); 2 or more check-ins missed in a row.
- A measure's total crossing into its clinical range (first total outside it, latest
  inside) is yellow; crossing out of it is said, without deciding the colour.
- **green**: a reliable improvement (a goal or a measure), nothing red or yellow.
- **grey**: not enough data (no goal with 3 ratings), nothing rated lately (goals with a
  baseline but no rating in the latest 7 days), or too early to judge (before
  week 4 with nothing above; a goal's unreliable move of at least half its baseline SD
  is still listed, e.g. a first-week decline).

Separately, **consider stepping down** when GAS T ≥ 50 (enough goals scored) and every
measure with a clinical cut-off is past it, and the light is not red.

Constants: :class:`bot.domain.decision.DecisionRules`; the reasoning and citations:
docs/decision-support.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from bot.domain import gas
from bot.domain.decision import DEFAULT_RULES, DecisionRules
from bot.domain.gas import GasReview, GasSummary
from bot.domain.trends import BaselineKind, Direction, GoalTrend, goal_trend


class Colour(StrEnum):
    RED = "red"
    YELLOW = "yellow"
    GREEN = "green"
    GREY = "grey"


# The caseload line and sorting: most urgent first.
COLOUR_ORDER = (Colour.RED, Colour.YELLOW, Colour.GREEN, Colour.GREY)


# Reasons: one small frozen value per kind, with the numbers a renderer needs.


@dataclass(frozen=True)
class MissedInARow:
    count: int


@dataclass(frozen=True)
class GoalDown:
    goal_number: int
    title: str
    delta: float  # negative: now − baseline, in points
    baseline: BaselineKind
    reliable: bool


@dataclass(frozen=True)
class GoalUp:
    goal_number: int
    title: str
    delta: float  # positive
    baseline: BaselineKind
    reliable: bool


@dataclass(frozen=True)
class GoalStuck:
    """No reliable change by ``week`` and a flat or falling slope."""

    goal_number: int
    title: str
    week: int
    slope_per_week: float


@dataclass(frozen=True)
class GoalSmallChange:
    """A change smaller than the fraction of the baseline's SD, after week 3."""

    goal_number: int
    title: str
    delta: float
    baseline_sd: float  # floored at DecisionRules.min_sd
    baseline: BaselineKind


@dataclass(frozen=True)
class MeasureWorse:
    measure: str  # its short name, e.g. "PHQ-9"
    before: float
    after: float


@dataclass(frozen=True)
class MeasureBetter:
    measure: str
    before: float
    after: float


@dataclass(frozen=True)
class MeasureCrossed:
    """The latest total is on the other side of the clinical cut-off than the first."""

    measure: str
    cutoff: float
    before: float
    after: float
    into_clinical: bool  # True: into the clinical range (worse); False: out of it


@dataclass(frozen=True)
class MeasureItem:
    """An item answer the measure file declares as an alert (e.g. PHQ-9 item 9 ≥ 1)."""

    measure: str
    item: int  # 1-based, as printed on the questionnaire
    answer: int


@dataclass(frozen=True)
class GasLow:
    t: float
    goals: int


@dataclass(frozen=True)
class NotEnoughData:
    ratings: int  # the most answered days of any goal


@dataclass(frozen=True)
class TooEarly:
    week: int


@dataclass(frozen=True)
class NoRecentRatings:
    """Goals with a baseline but no rating in the latest window (e.g. a paused client)."""

    days: int  # since the most recent rating of any goal


Reason = (
    MissedInARow
    | GoalDown
    | GoalUp
    | GoalStuck
    | GoalSmallChange
    | MeasureWorse
    | MeasureBetter
    | MeasureItem
    | MeasureCrossed
    | GasLow
    | NotEnoughData
    | TooEarly
    | NoRecentRatings
)


# Inputs other than the goal trends.


class Crossing(StrEnum):
    INTO_CLINICAL = "into_clinical"
    OUT_OF_CLINICAL = "out_of_clinical"


class MeasureDirection(StrEnum):
    IMPROVED = "improved"
    DETERIORATED = "deteriorated"
    NO_RELIABLE_CHANGE = "no_reliable_change"


@dataclass(frozen=True)
class ItemAlert:
    item: int  # 1-based
    answer: int


@dataclass(frozen=True)
class MeasureResult:
    measure: str  # short name, e.g. "PHQ-9"
    latest: float
    first: float | None = None  # None: answered once (no change to judge)
    change: MeasureDirection | None = None  # Jacobson–Truax; None: not computable
    past_cutoff: bool | None = None  # latest on the healthy side of the cut-off; None: none
    item_alerts: tuple[ItemAlert, ...] = ()
    crossing: Crossing | None = None  # first and latest on either side of the cut-off
    cutoff: float | None = None


@dataclass(frozen=True)
class GoalInput:
    number: int
    title: str
    trend: GoalTrend


@dataclass(frozen=True)
class StepDown:
    t: float
    measures: tuple[str, ...]  # the measures past their cut-off


@dataclass(frozen=True)
class Light:
    colour: Colour
    # Red ones first, then yellow (green: the improvements), then early unreliable moves.
    reasons: tuple[Reason, ...]
    step_down: StepDown | None = None


def client_light(
    goals: Sequence[GoalInput],
    *,
    missed_in_a_row: int = 0,
    measures: Sequence[MeasureResult] = (),
    gas_levels: Sequence[int] = (),
    rules: DecisionRules = DEFAULT_RULES,
) -> Light:
    """The client's colour and its reasons (see the module's docstring for the rules)."""
    red: list[Reason] = []
    yellow: list[Reason] = []
    green: list[Reason] = []
    stuck: list[Reason] = []
    early: list[Reason] = []  # unreliable moves before week 4 (and the like): said, not judged

    for measure in measures:
        red.extend(MeasureItem(measure.measure, a.item, a.answer) for a in measure.item_alerts)
        if measure.first is not None and measure.change is MeasureDirection.DETERIORATED:
            red.append(MeasureWorse(measure.measure, measure.first, measure.latest))
        elif measure.first is not None and measure.change is MeasureDirection.IMPROVED:
            green.append(MeasureBetter(measure.measure, measure.first, measure.latest))
        if measure.first is not None and measure.cutoff is not None and measure.crossing:
            into = measure.crossing is Crossing.INTO_CLINICAL
            crossed = MeasureCrossed(
                measure.measure, measure.cutoff, measure.first, measure.latest, into
            )
            # Into the clinical range: worth a look (red already when also reliable);
            # out of it: said, but only a reliable improvement turns the light green.
            (yellow if into else early).append(crossed)

    t_score = _counted_t(gas_levels, rules)
    if t_score is not None and t_score <= rules.gas_red_t:
        red.append(GasLow(round(t_score, 1), len(gas_levels)))

    for goal in goals:
        trend, change, base = goal.trend, goal.trend.change, goal.trend.baseline
        if change is None or base is None:
            continue  # not enough ratings, or none lately (missed check-ins say so)
        if change.direction is Direction.DETERIORATED:
            red.append(GoalDown(goal.number, goal.title, change.difference, base.kind, True))
            continue
        if change.direction is Direction.IMPROVED:
            green.append(GoalUp(goal.number, goal.title, change.difference, base.kind, True))
            continue
        slope = trend.slope_per_week
        flat = slope is not None and slope <= rules.flat_slope_per_week
        if trend.week >= rules.red_week and slope is not None and flat:
            stuck.append(GoalStuck(goal.number, goal.title, trend.week, slope))
            continue
        spread = max(base.sd or 0.0, rules.min_sd)
        small = abs(change.difference) < rules.small_change_sd * spread
        moved = GoalDown if change.difference < 0 else GoalUp
        if trend.week <= rules.yellow_after_week:
            if not small:  # too early to judge, but worth saying (e.g. a first-week decline)
                early.append(moved(goal.number, goal.title, change.difference, base.kind, False))
        elif small:
            yellow.append(
                GoalSmallChange(goal.number, goal.title, change.difference, spread, base.kind)
            )
        else:
            yellow.append(moved(goal.number, goal.title, change.difference, base.kind, False))

    # Stuck goals are red unless another goal improves reliably (then worth a look: yellow).
    goal_improved = any(isinstance(reason, GoalUp) for reason in green)
    (yellow if goal_improved else red).extend(stuck)

    if missed_in_a_row >= rules.missed_in_a_row:
        yellow.insert(0, MissedInARow(missed_in_a_row))

    if red:
        return Light(Colour.RED, (*red, *yellow, *early))
    step_down = _step_down(t_score, measures, rules)
    if yellow:
        return Light(Colour.YELLOW, (*yellow, *early), step_down)
    if green:
        return Light(Colour.GREEN, (*green, *early), step_down)
    judged = [goal.trend for goal in goals if goal.trend.change is not None]
    if judged:
        return Light(Colour.GREY, (TooEarly(max(t.week for t in judged)), *early), step_down)
    silent = [
        goal.trend.days_since_rated
        for goal in goals
        if goal.trend.enough and goal.trend.days_since_rated is not None
    ]
    if silent:
        return Light(Colour.GREY, (NoRecentRatings(min(silent)), *early), step_down)
    most = max((goal.trend.ratings for goal in goals), default=0)
    return Light(Colour.GREY, (NotEnoughData(most), *early), step_down)


def _counted_t(levels: Sequence[int], rules: DecisionRules) -> float | None:
    """The GAS T-score when enough goals are scored for it to count, else None."""
    if len(levels) < rules.gas_min_goals:
        return None
    return gas.t_score(levels)


def _step_down(
    t_score: float | None, measures: Sequence[MeasureResult], rules: DecisionRules
) -> StepDown | None:
    if t_score is None or t_score < rules.gas_step_down_t:
        return None
    with_cutoff = [m for m in measures if m.past_cutoff is not None]
    if not with_cutoff or not all(m.past_cutoff for m in with_cutoff):
        return None
    return StepDown(round(t_score, 1), tuple(m.measure for m in with_cutoff))


def caseload(lights: Sequence[Light]) -> dict[Colour, int]:
    """How many clients have each colour, every colour present (in COLOUR_ORDER)."""
    counts = dict.fromkeys(COLOUR_ORDER, 0)
    for light in lights:
        counts[light.colour] += 1
    return counts


# One call for every front door: from each goal's history to the light, the trends,
# the GAS summary and the GAS review prompts.


@dataclass(frozen=True)
class GoalHistory:
    number: int
    title: str
    ratings: tuple[tuple[date, int], ...]  # (local date, 0–10), any order
    intake: float | None = None
    gas_level: int | None = None  # the newest recorded level, −2 … +2
    gas_recorded_on: date | None = None  # local date the newest level was recorded


@dataclass(frozen=True)
class Assessment:
    light: Light
    trends: dict[int, GoalTrend]  # goal number → its trend
    gas: GasSummary
    gas_reviews: tuple[GasReview, ...]


def assess(
    goals: Sequence[GoalHistory],
    as_of: date,
    *,
    missed_in_a_row: int = 0,
    measures: Sequence[MeasureResult] = (),
    started: date | None = None,
    rules: DecisionRules = DEFAULT_RULES,
) -> Assessment:
    """Everything decision support says about one client at the end of ``as_of``."""
    trends = {
        goal.number: goal_trend(
            goal.ratings, as_of, intake=goal.intake, started=started, rules=rules
        )
        for goal in goals
    }
    levels = [goal.gas_level for goal in goals if goal.gas_level is not None]
    light = client_light(
        [GoalInput(goal.number, goal.title, trends[goal.number]) for goal in goals],
        missed_in_a_row=missed_in_a_row,
        measures=measures,
        gas_levels=levels,
        rules=rules,
    )
    reviews = tuple(
        review
        for goal in goals
        if goal.gas_level is not None and goal.gas_recorded_on is not None
        for review in [
            gas.review_due(
                goal.number,
                goal.title,
                goal.gas_level,
                goal.gas_recorded_on,
                goal.ratings,
                as_of,
                points=rules.gas_review_points,
                window_days=rules.window_days,
            )
        ]
        if review is not None
    )
    return Assessment(light, trends, gas.summary(levels, min_goals=rules.gas_min_goals), reviews)
