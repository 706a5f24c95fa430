"""A goal's ratings as an inline SVG: one line per run of consecutive rated days (a day
without a rating is a gap, never a line drawn across it), the days as dots, the
target date as a dashed line, and the latest GAS level as a label.

Only presentation attributes and classes (no ``style=``): the page's Content-Security-
Policy allows no inline styles. Colours come from the page's CSS (Telegram's theme).
"""

from __future__ import annotations

from datetime import date, timedelta

from markupsafe import Markup, escape

WIDTH, HEIGHT = 360, 150
LEFT, RIGHT, TOP, BOTTOM = 26, 8, 8, 22


def _x(day: date, start: date, end: date) -> float:
    span = max((end - start).days, 1)
    return LEFT + (WIDTH - LEFT - RIGHT) * (day - start).days / span


def _y(value: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (10 - value) / 10


def runs(series: list[tuple[date, int]]) -> list[list[tuple[date, int]]]:
    """The ratings cut where a day is missing (a gap in the line)."""
    out: list[list[tuple[date, int]]] = []
    for day, value in sorted(series):
        if out and out[-1][-1][0] == day - timedelta(days=1):
            out[-1].append((day, value))
        else:
            out.append([(day, value)])
    return out


# A target date this far ahead still widens the chart to show it; later ones are only named.
TARGET_AHEAD = timedelta(weeks=8)


def end_with_target(end: date, target: date | None) -> date:
    """The chart's last day: today, or the target date when it is close enough to mark."""
    if target is not None and end < target <= end + TARGET_AHEAD:
        return target
    return end


def goal_svg(
    series: list[tuple[date, int]],
    *,
    start: date,
    end: date,
    title: str,
    target: date | None = None,
    target_label: str = "",
    gas_label: str = "",
) -> Markup:
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for value in (0, 5, 10):
        y = _y(value)
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="axis" x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end">{value}</text>'
        )
    parts.append(
        f'<text class="axis" x="{LEFT}" y="{HEIGHT - 6}">{start.isoformat()}</text>'
        f'<text class="axis" x="{WIDTH - RIGHT}" y="{HEIGHT - 6}" text-anchor="end">'
        f"{end.isoformat()}</text>"
    )
    if target is not None and start <= target <= end:
        x = _x(target, start, end)
        parts.append(
            f'<line class="target" x1="{x:.1f}" x2="{x:.1f}" y1="{TOP}" '
            f'y2="{HEIGHT - BOTTOM}"><title>{escape(target_label)}</title></line>'
        )
    for run in runs([(d, v) for d, v in series if start <= d <= end]):
        points = " ".join(f"{_x(d, start, end):.1f},{_y(v):.1f}" for d, v in run)
        if len(run) > 1:
            parts.append(f'<polyline class="series" points="{points}"/>')
        for day, value in run:
            parts.append(
                f'<circle class="dot" cx="{_x(day, start, end):.1f}" cy="{_y(value):.1f}" r="2.5">'
                f"<title>{day.isoformat()}: {value}</title></circle>"
            )
    if gas_label:
        parts.append(
            f'<text class="gas" x="{WIDTH - RIGHT}" y="{TOP + 10}" text-anchor="end">'
            f"{escape(gas_label)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
