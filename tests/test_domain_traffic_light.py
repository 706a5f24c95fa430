"""The traffic light (bot/domain/traffic_light.py) and the GAS rules of item 7
(bot/domain/gas.py): property tests over synthetic trajectories — improving, flat,
deteriorating, noisy, sparse, with gaps — for each colour and its reasons."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.domain import gas
from bot.domain.decision import DecisionRules
from bot.domain.traffic_light import (
    Colour,
    GasLow,
    GoalDown,
    GoalInput,
    GoalSmallChange,
    GoalStuck,
    GoalUp,
    ItemAlert,
    MeasureBetter,
    MeasureDirection,
    MeasureItem,
    MeasureResult,
    MeasureWorse,
    MissedInARow,
    NoRecentRatings,
    NotEnoughData,
    StepDown,
    TooEarly,
    caseload,
    client_light,
)
from bot.domain.trends import BaselineKind, goal_trend

DAY0 = date(2026, 9, 7)
RED_KINDS = (GoalStuck, MeasureWorse, MeasureItem, GasLow)


def clamp(value: float) -> int:
    return max(0, min(10, round(value)))


@st.composite
def trajectories(draw, *, slope, base, days=None, noise=1, gaps=True):
    """A goal's daily ratings: base + slope·day + noise, rounded into 0–10, with some days
    unanswered (at most two of each seven days, never the last day)."""
    n = draw(st.integers(28, 49) if days is None else days)
    start_level = draw(base)
    per_day = draw(slope)
    values = []
    for day in range(n):
        jitter = draw(st.integers(-noise, noise))
        values.append((DAY0 + timedelta(days=day), clamp(start_level + per_day * day + jitter)))
    if gaps:
        dropped = {
            block + offset
            for block in range(0, n, 7)
            for offset in draw(st.sets(st.integers(0, 6), max_size=2))
        } - {n - 1}
        values = [v for i, v in enumerate(values) if i not in dropped]
    return values


def light_of(*series, **kwargs):
    goals = []
    for number, ratings in enumerate(series, start=1):
        as_of = kwargs.pop("as_of", None) or max(d for d, _ in ratings)
        goals.append(GoalInput(number, f"goal {number}", goal_trend(ratings, as_of)))
    return client_light(goals, **kwargs)


improving = trajectories(slope=st.floats(0.2, 0.25), base=st.integers(1, 3))
deteriorating = trajectories(slope=st.floats(-0.25, -0.2), base=st.integers(8, 9))


@settings(max_examples=150, deadline=None)
@given(improving)
def test_a_clearly_improving_client_is_green_with_the_goal_up_reliably(ratings):
    light = light_of(ratings)
    assert light.colour is Colour.GREEN
    (reason,) = light.reasons
    assert isinstance(reason, GoalUp) and reason.reliable and reason.delta > 0
    assert reason.goal_number == 1 and reason.baseline is BaselineKind.FIRST_WEEK


@settings(max_examples=150, deadline=None)
@given(deteriorating, st.integers(0, 1))
def test_a_clearly_deteriorating_client_is_red_with_the_goal_down_reliably(ratings, missed):
    light = light_of(ratings, missed_in_a_row=missed)
    assert light.colour is Colour.RED
    (reason,) = light.reasons
    assert isinstance(reason, GoalDown) and reason.reliable and reason.delta < 0


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.integers(-1, 1), min_size=7, max_size=7),
    st.integers(3, 7),
    st.integers(28, 49),
)
def test_a_flat_client_is_red_from_week_four_stuck(pattern, level, n):
    # Noisy but flat: the same weekly pattern repeated, so every week has the same mean.
    ratings = [(DAY0 + timedelta(days=i), level + pattern[i % 7]) for i in range(n)]
    light = light_of(ratings)
    assert light.colour is Colour.RED
    (reason,) = light.reasons
    assert isinstance(reason, GoalStuck) and reason.week == n // 7 + (n % 7 > 0)
    assert reason.week >= 4 and abs(reason.slope_per_week) <= 0.25


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(-1, 1), min_size=7, max_size=7), improving)
def test_a_flat_goal_beside_a_reliably_improving_one_is_yellow(pattern, other):
    n = (max(d for d, _ in other) - DAY0).days + 1
    assume(n >= 28)
    flat = [(DAY0 + timedelta(days=i), 5 + pattern[i % 7]) for i in range(n)]
    light = light_of(flat, other)
    assert light.colour is Colour.YELLOW
    assert [type(r) for r in light.reasons] == [GoalStuck]


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 9), st.integers(4, 21))
def test_too_early_is_grey_not_green_or_red(level, n):
    # Flat, alternating between two neighbouring ratings.
    ratings = [(DAY0 + timedelta(days=i), level + i % 2) for i in range(n)]
    light = light_of(ratings)
    assert light.colour is Colour.GREY
    assert light.reasons[0] == TooEarly(week=(n - 1) // 7 + 1)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.integers(0, 10), max_size=2),
    st.integers(0, 60),
    st.integers(0, 1),
)
def test_sparse_ratings_are_grey_not_enough_data(values, spread, missed):
    ratings = [(DAY0 + timedelta(days=i * spread), v) for i, v in enumerate(values)]
    goals = [GoalInput(1, "sleep", goal_trend(ratings, DAY0 + timedelta(days=90)))]
    light = client_light(goals, missed_in_a_row=missed)
    assert light.colour is Colour.GREY
    assert light.reasons == (NotEnoughData(ratings=len(set(d for d, _ in ratings))),)
    assert client_light([]).reasons == (NotEnoughData(ratings=0),)


@settings(max_examples=100, deadline=None)
@given(st.one_of(improving, deteriorating), st.integers(2, 10))
def test_missed_check_ins_in_a_row_are_a_reason_and_at_least_yellow(ratings, missed):
    light = light_of(ratings, missed_in_a_row=missed)
    assert MissedInARow(missed) in light.reasons
    assert light.colour in (Colour.RED, Colour.YELLOW)
    assert client_light([], missed_in_a_row=missed).colour is Colour.YELLOW
    assert client_light([], missed_in_a_row=1).colour is Colour.GREY


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        trajectories(
            slope=st.floats(-0.3, 0.3),
            base=st.integers(0, 10),
            days=st.integers(1, 60),
            noise=3,
        ),
        min_size=1,
        max_size=3,
    ),
    st.integers(0, 5),
    st.lists(st.sampled_from(gas.GAS_LEVELS), max_size=3),
)
def test_any_trajectory_gets_a_colour_explained_by_its_reasons(series, missed, levels):
    """Noisy, sparse, gappy, any direction: the colour follows from the reasons given."""
    light = light_of(*series, missed_in_a_row=missed, gas_levels=levels)
    assert light.reasons, "a colour always comes with a reason"
    kinds = {type(r) for r in light.reasons}
    reliable_down = any(isinstance(r, GoalDown) and r.reliable for r in light.reasons)
    red = (
        reliable_down
        or bool(kinds & set(RED_KINDS) - {GoalStuck})
        or (GoalStuck in kinds and light.colour is Colour.RED)
    )
    assert (light.colour is Colour.RED) == red
    if light.colour is Colour.GREEN:
        assert any(isinstance(r, GoalUp) and r.reliable for r in light.reasons)
    if light.colour is Colour.GREY:
        assert type(light.reasons[0]) in (NotEnoughData, TooEarly, NoRecentRatings)
    assert (MissedInARow in kinds) == (missed >= 2)
    for reason in light.reasons:
        if isinstance(reason, GoalDown | GoalUp | GoalSmallChange):
            trend = goal_trend(
                series[reason.goal_number - 1], max(series[reason.goal_number - 1])[0]
            )
            assert reason.delta == trend.delta
        if isinstance(reason, GoalDown):
            assert reason.delta < 0
        if isinstance(reason, GoalUp):
            assert reason.delta >= 0


# Direct cases


def test_a_first_week_decline_is_said_against_the_first_days():
    ratings = [(DAY0 + timedelta(days=i), v) for i, v in enumerate([6, 5, 5, 4])]
    light = light_of(ratings)
    assert light.colour is Colour.GREY
    assert light.reasons == (
        TooEarly(week=1),
        GoalDown(1, "goal 1", -1.0, BaselineKind.FIRST_DAYS, reliable=False),
    )


def test_goals_not_rated_lately_are_grey_and_say_since_when():
    ratings = [(DAY0 + timedelta(days=i), 5 + i % 2) for i in range(10)]
    as_of = DAY0 + timedelta(days=20)  # last rating on day 9: 11 days before
    goals = [GoalInput(1, "sleep", goal_trend(ratings, as_of))]
    assert client_light(goals) == client_light(goals, missed_in_a_row=1)
    assert client_light(goals).reasons == (NoRecentRatings(days=11),)
    assert client_light(goals, missed_in_a_row=5).colour is Colour.YELLOW


def test_a_small_change_after_week_three_is_yellow():
    # Red only from week 6 here, so a flat goal in week 5 is "little change".
    ratings = [(DAY0 + timedelta(days=i), 5 + (i % 2)) for i in range(30)]
    goals = [GoalInput(2, "sleep", goal_trend(ratings, DAY0 + timedelta(days=29)))]
    light = client_light(goals, rules=DecisionRules(red_week=6))
    assert light.colour is Colour.YELLOW
    (reason,) = light.reasons
    assert isinstance(reason, GoalSmallChange) and reason.goal_number == 2
    assert reason.baseline_sd == 1.0  # the baseline's SD (0.53) floored at 1 point


def test_measures_items_and_gas():
    phq = MeasureResult(
        "PHQ-9",
        latest=14,
        first=8,
        change=MeasureDirection.DETERIORATED,
        item_alerts=(ItemAlert(item=9, answer=2),),
    )
    light = client_light([], measures=[phq], missed_in_a_row=2)
    assert light.colour is Colour.RED
    assert light.reasons == (
        MeasureItem("PHQ-9", 9, 2),
        MeasureWorse("PHQ-9", 8, 14),
        MissedInARow(2),
    )
    better = MeasureResult("GAD-7", latest=4, first=12, change=MeasureDirection.IMPROVED)
    assert client_light([], measures=[better]).reasons == (MeasureBetter("GAD-7", 12, 4),)
    # GAS T <= 40 is red only with two goals scored
    low = client_light([], gas_levels=[-1, -1])
    assert low.colour is Colour.RED
    assert low.reasons == (GasLow(t=round(gas.t_score([-1, -1]), 1), goals=2),)
    assert client_light([], gas_levels=[-2]).colour is Colour.GREY


def test_consider_stepping_down():
    past = MeasureResult(
        "PHQ-9", latest=3, first=15, change=MeasureDirection.IMPROVED, past_cutoff=True
    )
    light = client_light([], measures=[past], gas_levels=[1, 0])
    assert light.colour is Colour.GREEN
    assert light.step_down == StepDown(t=round(gas.t_score([1, 0]), 1), measures=("PHQ-9",))
    still = MeasureResult("GAD-7", latest=12, past_cutoff=False)
    assert client_light([], measures=[past, still], gas_levels=[1, 0]).step_down is None
    assert client_light([], measures=[past], gas_levels=[2]).step_down is None  # one goal
    assert client_light([], gas_levels=[1, 1]).step_down is None  # no measure to say so
    alert = MeasureResult("PHQ-9", latest=3, past_cutoff=True, item_alerts=(ItemAlert(9, 1),))
    assert client_light([], measures=[alert], gas_levels=[1, 1]).step_down is None  # red


def test_caseload_counts_every_colour():
    lights = [client_light([], missed_in_a_row=3), client_light([]), client_light([])]
    assert caseload(lights) == {Colour.RED: 0, Colour.YELLOW: 1, Colour.GREEN: 0, Colour.GREY: 2}


def test_rules_are_validated():
    with pytest.raises(ValueError, match="step-down"):
        DecisionRules(gas_red_t=50, gas_step_down_t=45)
    with pytest.raises(ValueError, match="autocorrelation"):
        DecisionRules(max_autocorrelation=1)


# GAS (item 7)


def test_the_t_score_needs_two_scored_goals_or_is_labelled_as_one():
    assert gas.summary([]) == gas.GasSummary(gas.GasShown.HIDDEN, None, 0)
    one = gas.summary([1])
    assert one.shown is gas.GasShown.ONE_GOAL and one.goals == 1
    assert one.t == pytest.approx(60)  # 50 + 10 * 1 / sqrt(0.7 + 0.3)
    two = gas.summary([1, -1])
    assert two.shown is gas.GasShown.SHOWN and two.t == pytest.approx(50)
    assert gas.summary([1, -1], min_goals=3).shown is gas.GasShown.ONE_GOAL


def test_reviewing_the_gas_level_when_ratings_moved():
    recorded = DAY0 + timedelta(days=6)
    before = [(DAY0 + timedelta(days=i), 4) for i in range(7)]
    after = [(DAY0 + timedelta(days=7 + i), 6 + (i >= 10)) for i in range(14)]
    as_of = DAY0 + timedelta(days=20)
    due = gas.review_due(2, "sleep", 0, recorded, before + after, as_of)
    # before: mean 4; the latest 7 days: 6, 6, 6, 7, 7, 7, 7 -> 46/7; delta 18/7 = 2.57
    assert due is not None and due.goal_number == 2 and due.level == 0
    assert due.before == 4 and due.now == pytest.approx(46 / 7)
    assert due.delta == pytest.approx(18 / 7)
    assert gas.review_due(2, "sleep", 0, recorded, before + after, as_of, points=3) is None
    # no rating around the recording, or none since: nothing to compare
    assert gas.review_due(2, "sleep", 0, recorded, after, as_of) is None
    assert gas.review_due(2, "sleep", 0, as_of, before + after, as_of) is None


def test_rules_come_from_the_settings(monkeypatch: pytest.MonkeyPatch):
    from bot.settings import SettingsError, load_settings

    monkeypatch.setenv("DECISION_MISSED_IN_A_ROW", "4")
    rules = load_settings(decision_red_week=6).decision_rules()
    assert rules.missed_in_a_row == 4 and rules.red_week == 6
    assert rules.reliable_z == 1.96 and rules.gas_min_goals == 2  # documented defaults
    assert client_light([], missed_in_a_row=3, rules=rules).colour is Colour.GREY
    with pytest.raises(SettingsError, match="DECISION_GAS_STEP_DOWN_T"):
        load_settings(decision_gas_step_down_t=40, decision_gas_red_t=40)
    with pytest.raises(SettingsError, match="DECISION_MISSED_IN_A_ROW"):
        load_settings(decision_missed_in_a_row=0)


def test_assess_one_client_from_its_goals_histories():
    """The one call a front door makes: trends, light, GAS summary and review prompts."""
    from bot.domain.traffic_light import GoalHistory, assess

    as_of = DAY0 + timedelta(days=27)
    sleep = tuple((DAY0 + timedelta(days=i), 3 if i < 7 else 8) for i in range(28))
    walk = tuple((DAY0 + timedelta(days=i), 6 + i % 2) for i in range(28))
    result = assess(
        [
            # level recorded on day 6, ratings 3 then; 8 in the latest week: review it
            GoalHistory(1, "Sleep", sleep, gas_level=-1, gas_recorded_on=DAY0 + timedelta(days=6)),
            GoalHistory(2, "Walk", walk, gas_level=0, gas_recorded_on=DAY0 + timedelta(days=6)),
        ],
        as_of,
        missed_in_a_row=0,
    )
    assert result.trends[1].delta == 5 and result.trends[2].week == 4
    assert result.light.colour is Colour.YELLOW  # walk is stuck, sleep improved reliably
    assert [type(r) for r in result.light.reasons] == [GoalStuck]
    assert result.gas.shown is gas.GasShown.SHOWN and result.gas.goals == 2
    (review,) = result.gas_reviews
    assert review.goal_number == 1 and review.delta == 5
