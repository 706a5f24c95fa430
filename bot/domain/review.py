"""The arithmetic of the practitioner's review: weeks, means, trends, adherence,
reliable change, who needs attention first, and splitting text under Telegram's limit.

Pure functions of plain values (no database, no Telegram), tested against numbers
computed by hand in tests/test_review_domain.py.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

# A week's mean this far (or further) from the previous four weeks' mean is a trend.
TREND_POINTS = 1.0
# Weeks of history the trend compares against, and weeks the chart shows.
BASELINE_WEEKS = 4
CHART_WEEKS = 8
# Missed check-ins in the digest's week that put a client among those needing attention.
ATTENTION_MISSED = 2
# Telegram's limit for one text message (characters after entity parsing; we count the HTML).
MESSAGE_LIMIT = 4096
# The 95 % criterion of Jacobson & Truax (1991).
RCI_CRITERION = 1.96


@dataclass(frozen=True)
class Week:
    """The digest's week: the seven local days before ``today`` (today is not over yet)."""

    start: date  # first day, inclusive
    end: date  # last day, inclusive

    @classmethod
    def before(cls, today: date) -> Week:
        return cls(today - timedelta(days=7), today - timedelta(days=1))

    @property
    def baseline_start(self) -> date:
        """First day of the previous four weeks."""
        return self.start - timedelta(days=7 * BASELINE_WEEKS)

    @property
    def chart_start(self) -> date:
        return self.end - timedelta(days=7 * CHART_WEEKS - 1)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def in_baseline(self, day: date) -> bool:
        return self.baseline_start <= day < self.start


def mean(values: Iterable[float]) -> float | None:
    """The arithmetic mean, or None for no values."""
    values = list(values)
    return sum(values) / len(values) if values else None


class Trend(StrEnum):
    UP = "up"
    DOWN = "down"
    STEADY = "steady"
    NEW = "new"  # nothing to compare with


def trend(week_mean: float | None, baseline_mean: float | None) -> Trend | None:
    """The week against the previous four weeks (None: nothing rated this week)."""
    if week_mean is None:
        return None
    if baseline_mean is None:
        return Trend.NEW
    delta = week_mean - baseline_mean
    if delta >= TREND_POINTS:
        return Trend.UP
    if delta <= -TREND_POINTS:
        return Trend.DOWN
    return Trend.STEADY


@dataclass(frozen=True)
class Adherence:
    answered: int
    scheduled: int

    @property
    def ratio(self) -> float | None:
        return self.answered / self.scheduled if self.scheduled else None


def adherence(statuses: Iterable[str]) -> Adherence:
    """Answered check-ins over asked ones (a row exists only for a day the client was asked;
    an open one — still answerable — is not counted yet)."""
    statuses = [s for s in statuses if s != "open"]
    return Adherence(sum(1 for s in statuses if s == "answered"), len(statuses))


def missed_run(statuses_by_day: Sequence[tuple[date, str]]) -> tuple[int, date | None]:
    """How many check-ins in a row were missed at the end of the history, and the day the
    run began. Skipped days (the client said so) and open ones neither break nor count."""
    run, began = 0, None
    for day, status in sorted(statuses_by_day, reverse=True):
        if status in ("skipped", "open"):
            continue
        if status != "missed":
            break
        run, began = run + 1, day
    return run, began


@dataclass(frozen=True)
class ReliableChange:
    """Jacobson–Truax: RCI = (current − baseline) / S_diff, S_diff = √2 · SD · √(1 − r)."""

    difference: float
    s_diff: float
    rci: float

    @property
    def reliable(self) -> bool:
        return abs(self.rci) > RCI_CRITERION


def reliable_change(
    baseline: float, current: float, *, reliability: float, sd: float
) -> ReliableChange:
    """The reliable change index of a measure total (higher total = more of the measure).

    Whether a reliable change is improvement or deterioration depends on the measure's
    direction, which the caller knows; this returns the signed index only.
    """
    if not 0 <= reliability < 1:
        raise ValueError("reliability must be in [0, 1)")
    if sd <= 0:
        raise ValueError("the standard deviation must be positive")
    s_diff = math.sqrt(2) * sd * math.sqrt(1 - reliability)
    difference = current - baseline
    return ReliableChange(difference, s_diff, difference / s_diff)


@dataclass(frozen=True)
class AttentionSignals:
    """What puts a client first in the digest."""

    flags: int = 0
    declines: int = 0  # goals whose week trend is down
    missed: int = 0  # missed check-ins in the week
    unreachable: bool = False

    @property
    def needs_attention(self) -> bool:
        return bool(
            self.flags or self.declines or self.missed >= ATTENTION_MISSED or self.unreachable
        )

    def sort_key(self) -> tuple[int, int, int, int, int]:
        """Ascending order puts the most urgent first: attention, flags, reachability,
        declines, missed."""
        return (
            0 if self.needs_attention else 1,
            -self.flags,
            0 if self.unreachable else 1,
            -self.declines,
            -self.missed,
        )


def split_messages(header: str, blocks: Sequence[str], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Join ``header`` and the client blocks into as few messages as fit under ``limit``,
    breaking only between blocks (a block longer than a message alone is cut at lines)."""
    pieces: list[str] = []
    for block in (header, *blocks):
        pieces.extend(_fit(block, limit))
    messages: list[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current}\n\n{piece}" if current else piece
        if len(candidate) <= limit:
            current = candidate
        else:
            messages.append(current)
            current = piece
    if current:
        messages.append(current)
    return messages


def _fit(block: str, limit: int) -> list[str]:
    if len(block) <= limit:
        return [block]
    parts: list[str] = []
    current = ""
    for line in block.split("\n"):
        while len(line) > limit:  # one line longer than a message: cut it
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= limit:
            current = candidate
        else:
            parts.append(current)
            current = line
    if current:
        parts.append(current)
    return parts
