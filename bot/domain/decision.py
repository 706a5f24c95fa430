"""The thresholds of decision support, in one place: trends against baseline
(:mod:`bot.domain.trends`), the traffic light (:mod:`bot.domain.traffic_light`) and the
GAS review prompt (:mod:`bot.domain.gas`).

The defaults are the documented ones (docs/decision-support.md); an operator changes
them through the settings (``DECISION_*`` in bot/settings.py), which build a
:class:`DecisionRules` with :meth:`bot.settings.Settings.decision_rules`.
"""

from __future__ import annotations

from dataclasses import dataclass

# Defaults, each explained in docs/decision-support.md.
BASELINE_DAYS = 7
WINDOW_DAYS = 7
SLOPE_DAYS = 21
MIN_RATINGS = 3
MIN_PHASE_RATINGS = 3
RELIABLE_Z = 1.96
MIN_SD = 1.0
MAX_AUTOCORRELATION = 0.9
RED_WEEK = 4
YELLOW_AFTER_WEEK = 3
FLAT_SLOPE_PER_WEEK = 0.25
SMALL_CHANGE_SD = 0.5
MISSED_IN_A_ROW = 2
GAS_RED_T = 40.0
GAS_STEP_DOWN_T = 50.0
GAS_MIN_GOALS = 2
GAS_REVIEW_POINTS = 2.0


@dataclass(frozen=True)
class DecisionRules:
    """Every threshold the decision-support rules read (defaults: the documented ones)."""

    # Trends (per goal)
    baseline_days: int = BASELINE_DAYS  # the first N answered days are the baseline
    window_days: int = WINDOW_DAYS  # the latest N days are "now" (and the weekly mean)
    slope_days: int = SLOPE_DAYS  # the Theil–Sen slope is fitted over the latest N days
    min_ratings: int = MIN_RATINGS  # fewer ratings (intake included): nothing to compare
    # Fewer days than this on either side (an intake aside): the change is said, never
    # called reliable (two days against two is no evidence, whatever z says).
    min_phase_ratings: int = MIN_PHASE_RATINGS
    reliable_z: float = RELIABLE_Z  # |z| above this is a reliable change (95 %, two-sided)
    min_sd: float = MIN_SD  # floor of the daily ratings' SD, in points
    max_autocorrelation: float = MAX_AUTOCORRELATION  # the lag-1 estimate is clamped here
    # Traffic light (per client)
    red_week: int = RED_WEEK  # no reliable improvement by this week, slope flat: red
    yellow_after_week: int = YELLOW_AFTER_WEEK  # after this week, a small change is yellow
    flat_slope_per_week: float = FLAT_SLOPE_PER_WEEK  # a slope up to this is flat
    small_change_sd: float = SMALL_CHANGE_SD  # "small": under this fraction of baseline SD
    missed_in_a_row: int = MISSED_IN_A_ROW  # this many missed check-ins in a row: yellow
    gas_red_t: float = GAS_RED_T  # GAS T at or below this (enough goals scored): red
    gas_step_down_t: float = GAS_STEP_DOWN_T  # GAS T at or above this: consider stepping down
    gas_min_goals: int = GAS_MIN_GOALS  # scored goals needed before the T-score counts
    gas_review_points: float = GAS_REVIEW_POINTS  # ratings moved this much: review GAS level

    def __post_init__(self) -> None:
        problems = []
        if min(self.baseline_days, self.window_days) < 1:
            problems.append("baseline and window need at least one day")
        if self.slope_days < 2:
            problems.append("a slope needs at least two days")
        if self.min_ratings < 2 or self.min_phase_ratings < 1:
            problems.append("a comparison needs at least two ratings")
        if self.reliable_z <= 0 or self.min_sd <= 0 or self.small_change_sd <= 0:
            problems.append("z, the SD floor and the small-change fraction must be positive")
        if not 0 <= self.max_autocorrelation < 1:
            problems.append("the autocorrelation clamp must be in [0, 1)")
        if self.missed_in_a_row < 1 or self.gas_min_goals < 1 or self.red_week < 1:
            problems.append("counts must be at least 1")
        if self.gas_step_down_t <= self.gas_red_t:
            problems.append("the step-down T-score must be above the red one")
        if problems:
            raise ValueError("; ".join(problems))


DEFAULT_RULES = DecisionRules()
