"""The goal chart's SVG (bot/web/chart.py): gaps where days were not rated, the target."""

from __future__ import annotations

from datetime import date, timedelta

from bot.web.chart import end_with_target, goal_svg, runs

DAY = date(2026, 11, 1)


def _day(n: int) -> date:
    return DAY + timedelta(days=n)


def test_a_missed_day_cuts_the_line():
    series = [(_day(0), 3), (_day(1), 4), (_day(3), 5), (_day(4), 6), (_day(5), 6)]
    assert [len(run) for run in runs(series)] == [2, 3]
    svg = goal_svg(series, start=_day(0), end=_day(10), title="Sleep")
    assert svg.count("<polyline") == 2 and svg.count("<circle") == 5


def test_the_target_date_is_marked_when_the_chart_reaches_it():
    end = end_with_target(_day(10), _day(20))
    svg = goal_svg([(_day(1), 5)], start=_day(0), end=end, title="t", target=_day(20))
    assert end == _day(20) and 'class="target"' in svg
    assert end_with_target(_day(10), _day(200)) == _day(10)  # too far ahead: only named
    assert 'class="target"' not in goal_svg([], start=_day(0), end=_day(10), title="t")


def test_typed_titles_are_escaped():
    svg = goal_svg([], start=_day(0), end=_day(1), title='<script>"x"</script>')
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "style=" not in svg  # the CSP allows no inline style
