"""The review's arithmetic against numbers computed by hand."""

from __future__ import annotations

import math
from datetime import date

import pytest

from bot.domain import gas
from bot.domain.review import (
    Adherence,
    AttentionSignals,
    Trend,
    Week,
    adherence,
    mean,
    missed_run,
    reliable_change,
    split_messages,
    trend,
)
from bot.review.alerts import drops
from bot.review.digest import weekly_means


def test_the_week_is_the_seven_days_before_today_and_the_baseline_the_four_before():
    week = Week.before(date(2026, 11, 30))  # a Monday
    assert (week.start, week.end) == (date(2026, 11, 23), date(2026, 11, 29))
    assert week.baseline_start == date(2026, 10, 26)
    assert week.chart_start == date(2026, 10, 5)  # 56 days ending on the 29th
    assert week.contains(date(2026, 11, 29)) and not week.contains(date(2026, 11, 30))
    assert week.in_baseline(date(2026, 11, 22)) and not week.in_baseline(date(2026, 11, 23))
    assert not week.in_baseline(date(2026, 10, 25))


def test_means_and_trends():
    assert mean([4, 5, 6, 7]) == 5.5
    assert mean([]) is None
    # week 3, 4, 2 → 3.0; before 5, 6, 5, 4 → 5.0: down by 2
    assert trend(mean([3, 4, 2]), mean([5, 6, 5, 4])) is Trend.DOWN
    assert trend(6.0, 5.0) is Trend.UP  # exactly one point is a trend
    assert trend(5.5, 5.0) is Trend.STEADY
    assert trend(5.0, None) is Trend.NEW
    assert trend(None, 5.0) is None


def test_adherence_counts_answered_over_asked_and_leaves_open_days_out():
    done = adherence(["answered", "missed", "answered", "skipped", "answered", "open"])
    assert done == Adherence(3, 5)
    assert done.ratio == pytest.approx(0.6)
    assert adherence([]).ratio is None


def test_a_run_of_missed_check_ins_ignores_skipped_days():
    days = [
        (date(2026, 11, 1), "answered"),
        (date(2026, 11, 2), "missed"),
        (date(2026, 11, 3), "skipped"),
        (date(2026, 11, 4), "missed"),
        (date(2026, 11, 5), "missed"),
    ]
    assert missed_run(days) == (3, date(2026, 11, 2))
    assert missed_run([*days, (date(2026, 11, 6), "answered")]) == (0, None)
    assert missed_run([]) == (0, None)


def test_reliable_change_jacobson_truax_by_hand():
    # PHQ-9-like: baseline 18, now 9, r = 0.84, SD = 4.0
    # S_diff = √2 · 4 · √0.16 = √2 · 1.6 = 2.26274…; RCI = −9 / 2.26274 = −3.97748
    change = reliable_change(18, 9, reliability=0.84, sd=4.0)
    assert change.s_diff == pytest.approx(2.262742, abs=1e-6)
    assert change.rci == pytest.approx(-3.977476, abs=1e-6)
    assert change.reliable
    # a 3-point drop is within measurement error: RCI = −3 / 2.26274 = −1.32583
    small = reliable_change(18, 15, reliability=0.84, sd=4.0)
    assert small.rci == pytest.approx(-1.325825, abs=1e-6)
    assert not small.reliable
    with pytest.raises(ValueError):
        reliable_change(1, 2, reliability=1.0, sd=1)
    with pytest.raises(ValueError):
        reliable_change(1, 2, reliability=0.8, sd=0)


def test_gas_t_score_by_hand():
    # levels +1, 0, −1 → Σx = 0 → T = 50
    assert gas.t_score([1, 0, -1]) == pytest.approx(50)
    # levels +1, +1, 0: T = 50 + 10·2 / √(0.7·3 + 0.3·9) = 50 + 20 / √4.8 = 59.1287…
    assert gas.t_score([1, 1, 0]) == pytest.approx(50 + 20 / math.sqrt(4.8))
    assert gas.t_score([1, 1, 0]) == pytest.approx(59.1287, abs=1e-4)


def test_attention_ordering_flags_first_then_unreachable_then_declines_then_missed():
    calm = AttentionSignals(missed=1)
    missed = AttentionSignals(missed=3)
    declining = AttentionSignals(declines=1)
    unreachable = AttentionSignals(unreachable=True)
    flagged = AttentionSignals(flags=1)
    assert not calm.needs_attention
    assert all(s.needs_attention for s in (missed, declining, unreachable, flagged))
    order = sorted([calm, missed, declining, unreachable, flagged], key=lambda s: s.sort_key())
    assert order == [flagged, unreachable, declining, missed, calm]


def test_split_messages_breaks_only_between_clients():
    blocks = ["A" * 1500, "B" * 1500, "C" * 1500, "D" * 10]
    parts = split_messages("Header", blocks, limit=4096)
    assert parts == [
        "Header\n\n" + "A" * 1500 + "\n\n" + "B" * 1500,
        "C" * 1500 + "\n\n" + "D" * 10,
    ]
    assert all(len(p) <= 4096 for p in parts)
    # a block bigger than a message is cut at lines, never lost
    huge = "\n".join(f"line {i:04d} " + "x" * 90 for i in range(100))
    parts = split_messages("H", [huge], limit=1000)
    assert all(len(p) <= 1000 for p in parts)
    assert "\n".join(parts).replace("\n\n", "\n") == "H\n" + huge


def test_weekly_means_group_by_calendar_week():
    series = [(date(2026, 11, 2), 4), (date(2026, 11, 8), 6), (date(2026, 11, 9), 7)]
    assert weekly_means(series) == [(date(2026, 11, 2), 5.0), (date(2026, 11, 9), 7.0)]


def test_a_drop_is_measured_against_the_14_days_before():
    history = {7: [(date(2026, 11, d), v) for d, v in ((1, 5), (5, 7), (10, 6), (14, 6))]}
    # on the 15th: the 14 days before are 1st … 14th: mean (5+7+6+6)/4 = 6.0
    assert drops([(1, 7, date(2026, 11, 15), 3)], history, 3) == [(1, 7, 3, 6.0)]
    assert drops([(1, 7, date(2026, 11, 15), 4)], history, 3) == []
    # on the 16th the 1st is out of reach: mean (7+6+6)/3 = 6.33; 3 is a drop of 3.33
    assert drops([(2, 7, date(2026, 11, 16), 3)], history, 3)[0][3] == pytest.approx(19 / 3)
    # fewer than three earlier ratings: no alert
    assert drops([(3, 7, date(2026, 11, 6), 0)], history, 3) == []


def test_charts_and_reports_show_any_text_as_typed():
    from bot import charts as chart
    from bot.review import export

    line = chart.Line("Save $50 by $DATE", ((date(2026, 11, 2), 3), (date(2026, 11, 3), 4)))
    png = chart.png_bytes([chart.Panel("A $x", (line,))], y_label="rating")
    assert png.startswith(b"\x89PNG")
    pdf = export.pdf_report(
        "Anna $", "costs $5 and \\frac{", [chart.Panel("x$", (line,))], y_label="r"
    )
    assert pdf.startswith(b"%PDF")


def test_the_digest_day_and_time_in_any_language():
    from datetime import time

    from bot.review.digest import parse_preference

    locales = ("en", "de", "es")
    assert parse_preference("monday 7:30", locales) == (0, time(7, 30))
    assert parse_preference("Freitag 18.15", locales) == (4, time(18, 15))
    assert parse_preference("miércoles 9:00", locales) == (2, time(9, 0))
    assert parse_preference("someday 9:00", locales) is None
    assert parse_preference("monday 25:00", locales) is None
