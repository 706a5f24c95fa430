"""Every chart Between draws: ratings (0–10) over time, one panel per client or per client's
goals — the client's /progress, the practitioner's digest and /client view, the PDF export.

- Text is shown as typed: a ``$`` in a goal title or an alias would otherwise start
  matplotlib's math mode (``cost $_$ x`` fails to parse), so every label is escaped.
- One drawing at a time: matplotlib promises no thread safety, and charts are drawn in
  worker threads (:func:`png` is what callers await, so the event loop goes on). Code
  that draws on another canvas (the PDF export) holds :data:`DRAWING` too.
- Drawn for a phone: laid out for a screen :data:`WIDTH_PX` (390) pixels wide and drawn
  at :data:`PIXEL_RATIO` times that, so it stays sharp on a dense screen; one panel alone
  is near square; at most :data:`MAX_PANELS` panels. Dates are short and localized
  (Babel), never rotated; a tick for every day, a label every few days. A day without a
  rating is a gap (NaN breaks the line): no line is drawn through a missed day. Legend
  labels wrap at word boundaries and sit under the panel, never over the data. A goal's
  target (the top of its scale, and its date when it falls in view) is marked.
- matplotlib's object API (``Figure`` and a canvas, no pyplot global state), imported on
  first use: it costs start-up time and memory that only a chart needs.

Input is plain data with labels already translated; no Telegram types.
"""

from __future__ import annotations

import asyncio
import io
import math
import textwrap
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# matplotlib promises no thread safety: one drawing at a time (each takes well under a second).
DRAWING = threading.Lock()
# More panels than this make a phone screen unreadable: callers put the most urgent first.
MAX_PANELS = 6
# A phone screen is about 390 CSS pixels wide (an iPhone 12–15 held upright): the chart is
# laid out for that width at LAYOUT_DPI, and drawn PIXEL_RATIO times as dense to stay sharp.
WIDTH_PX = 390
LAYOUT_DPI = 100
PIXEL_RATIO = 2
WIDTH_INCHES = WIDTH_PX / LAYOUT_DPI
PRINT_WIDTH_INCHES = 7.5  # the PDF export: a page, not a phone
SQUARE = 1.0  # one panel alone (/progress): as high as wide
PANEL_ASPECT = 0.75  # each of several panels (the digest): a little wider than high
LEGEND_WRAP = 40  # characters per legend line, at word boundaries
LEGEND_LINES = 3  # lines per legend entry at most; a longer title ends in "…"
MAX_DATE_LABELS = 5  # dates written under the axis; every day still gets a tick
TOP = 10  # the top of every rating scale: the client's own "what 10 would look like"


@dataclass(frozen=True)
class Line:
    label: str
    points: tuple[tuple[date, int], ...]
    target_date: date | None = None  # the goal's "by when", marked when it is in view


@dataclass(frozen=True)
class Target:
    """A level marked across a panel (a dashed line with its own legend entry)."""

    value: float
    label: str


@dataclass(frozen=True)
class Panel:
    title: str
    lines: tuple[Line, ...]
    target: Target | None = None
    # The days shown (first, last): a whole period, missed days at its ends included.
    # None: from the first rating to the last.
    period: tuple[date, date] | None = None


def plain(text: str) -> str:
    """A label shown as typed: a ``$`` would otherwise start matplotlib's math mode."""
    return text.replace("$", r"\$")


def wrapped(label: str) -> str:
    """A legend label on a few short lines, broken between words (a word is cut only when
    it is longer than a whole line)."""
    lines = textwrap.wrap(" ".join(label.split()), LEGEND_WRAP, max_lines=LEGEND_LINES)
    return "\n".join(lines) or label


def short_date(day: date, locale: str) -> str:
    """A day as its reader writes it briefly: "Nov 2", "2. Nov.", "2 nov" (Babel)."""
    from babel.dates import format_skeleton

    return format_skeleton("MMMd", day, locale=locale)


def daily(points: Sequence[tuple[date, int]]) -> tuple[list[date], list[float]]:
    """Every day from the first rating to the last, NaN where none was given: matplotlib
    breaks a line at NaN, so a missed day is a gap instead of a line drawn across it."""
    by_day = dict(points)
    first, last = min(by_day), max(by_day)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return days, [float(by_day[day]) if day in by_day else math.nan for day in days]


def figure(
    panels: Sequence[Panel],
    *,
    y_label: str,
    locale: str = "en",
    date_label: Callable[[date], str] | None = None,
    width_inches: float = WIDTH_INCHES,
) -> Figure:
    """The chart as a matplotlib ``Figure`` (no canvas attached); hold :data:`DRAWING`.

    Days on the x axis are named in ``locale`` (:func:`short_date`), or by ``date_label``.
    """
    # Imported here: matplotlib costs start-up time and memory until a chart is drawn.
    from matplotlib.figure import Figure

    shown = list(panels[:MAX_PANELS]) or [Panel("", ())]
    aspect = SQUARE if len(shown) == 1 else PANEL_ASPECT * len(shown)
    fig = Figure(
        figsize=(width_inches, width_inches * aspect), dpi=LAYOUT_DPI, layout="constrained"
    )
    axes = fig.subplots(len(shown), 1, squeeze=False)[:, 0]
    name = date_label or (lambda day: short_date(day, locale))
    for ax, panel in zip(axes, shown, strict=True):
        _draw_panel(ax, panel, y_label=y_label, date_label=name)
    return fig


def _draw_panel(ax: Axes, panel: Panel, *, y_label: str, date_label: Callable[[date], str]) -> None:
    from matplotlib import dates as mdates

    rated = sorted({day for line in panel.lines for day, _value in line.points})
    shown_days = list(panel.period) if panel.period and rated else rated
    for line in panel.lines:
        if not line.points:
            continue
        days, values = daily(line.points)
        (drawn,) = ax.plot(
            mdates.date2num(days),  # day numbers: the ticks below are placed in them too
            values,
            marker="o",
            markersize=3.5,
            linewidth=1.6,
            label=plain(wrapped(line.label)),
        )
        if line.target_date is not None and shown_days[0] <= line.target_date <= shown_days[-1]:
            ax.axvline(
                mdates.date2num(line.target_date),
                color=drawn.get_color(),
                linestyle=":",
                linewidth=1.2,
            )
    if panel.target is not None and shown_days:
        ax.axhline(
            panel.target.value,
            color="0.35",
            linestyle="--",
            linewidth=1,
            label=plain(wrapped(panel.target.label)),
        )
    ax.set_title(plain(panel.title), fontsize=10, loc="left")
    ax.set_ylim(-0.5, TOP + 0.5)
    ax.set_yticks(range(0, TOP + 1, 2))
    ax.set_ylabel(plain(y_label), fontsize=8)
    ax.grid(True, alpha=0.3)
    ax.tick_params(labelsize=8)
    if shown_days:
        first, last = shown_days[0], shown_days[-1]
        span = (last - first).days + 1
        every = max(1, math.ceil(span / MAX_DATE_LABELS))
        labelled = [first + timedelta(days=n) for n in range(0, span, every)]
        ax.set_xlim(mdates.date2num(first) - 0.5, mdates.date2num(last) + 0.5)
        ax.set_xticks([mdates.date2num(day) for day in labelled])
        ax.set_xticklabels([plain(date_label(day)) for day in labelled], rotation=0)
        ax.xaxis.set_minor_locator(mdates.DayLocator())  # a tick for every day
        ax.tick_params(axis="x", which="minor", length=2)
    if ax.get_legend_handles_labels()[0]:
        # Under the panel, one entry per line: it never covers a rating.
        ax.legend(
            fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), frameon=False, ncols=1
        )


def png_bytes(
    panels: Sequence[Panel],
    *,
    y_label: str,
    locale: str = "en",
    date_label: Callable[[date], str] | None = None,
) -> bytes:
    """The chart as PNG bytes (blocking: call :func:`png` from the event loop)."""
    buffer = io.BytesIO()
    with DRAWING:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        drawn = figure(panels, y_label=y_label, locale=locale, date_label=date_label)
        FigureCanvasAgg(drawn)
        drawn.savefig(buffer, format="png", dpi=LAYOUT_DPI * PIXEL_RATIO)
    return buffer.getvalue()


async def png(
    panels: Sequence[Panel],
    *,
    y_label: str,
    locale: str = "en",
    date_label: Callable[[date], str] | None = None,
) -> bytes:
    """The chart as PNG, drawn in a worker thread (drawing takes a while; the loop goes on)."""
    return await asyncio.to_thread(
        png_bytes, panels, y_label=y_label, locale=locale, date_label=date_label
    )
