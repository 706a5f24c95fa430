"""Every chart Between draws: ratings (0–10) over time, one panel per client or per client's
goals — the client's /progress, the practitioner's digest and /client view, the PDF export.

- Text is shown as typed: a ``$`` in a goal title or an alias would otherwise start
  matplotlib's math mode (``cost $_$ x`` fails to parse), so every label is escaped.
- One drawing at a time: matplotlib promises no thread safety, and charts are drawn in
  worker threads (:func:`png` is what callers await, so the event loop goes on). Code
  that draws on another canvas (the PDF export) holds :data:`DRAWING` too.
- Phone-readable defaults: 8 in wide, large enough type, at most :data:`MAX_PANELS`
  panels, legend labels cut to :data:`LEGEND_CHARS` characters.
- matplotlib's object API (``Figure`` and a canvas, no pyplot global state), imported on
  first use: it costs start-up time and memory that only a chart needs.

Input is plain data with labels already translated; no Telegram types.
"""

from __future__ import annotations

import asyncio
import io
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# matplotlib promises no thread safety: one drawing at a time (each takes well under a second).
DRAWING = threading.Lock()
# More panels than this make a phone screen unreadable: callers put the most urgent first.
MAX_PANELS = 6
LEGEND_CHARS = 32
WIDTH_INCHES = 8.0
PANEL_INCHES = 2.8  # the height of one panel among several
SINGLE_PANEL_INCHES = 4.5  # one panel alone (/progress) gets room for a title and legend
DPI = 100


@dataclass(frozen=True)
class Line:
    label: str
    points: tuple[tuple[date, int], ...]


@dataclass(frozen=True)
class Panel:
    title: str
    lines: tuple[Line, ...]


def plain(text: str) -> str:
    """A label shown as typed: a ``$`` would otherwise start matplotlib's math mode."""
    return text.replace("$", r"\$")


def _short(label: str) -> str:
    return label if len(label) <= LEGEND_CHARS else label[: LEGEND_CHARS - 1] + "…"


def figure(
    panels: Sequence[Panel],
    *,
    y_label: str,
    date_label: Callable[[date], str] | None = None,
) -> Figure:
    """The chart as a matplotlib ``Figure`` (no canvas attached); hold :data:`DRAWING`.

    ``date_label`` names a day on the x axis in the reader's language (default:
    matplotlib's own date format).
    """
    # Imported here: matplotlib costs start-up time and memory until a chart is drawn.
    from matplotlib import dates as mdates
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    shown = list(panels[:MAX_PANELS]) or [Panel("", ())]
    height = SINGLE_PANEL_INCHES if len(shown) == 1 else PANEL_INCHES * len(shown)
    fig = Figure(figsize=(WIDTH_INCHES, height), dpi=DPI)
    axes = fig.subplots(len(shown), 1, squeeze=False)[:, 0]
    for ax, panel in zip(axes, shown, strict=True):
        for line in panel.lines:
            if line.points:
                days, values = zip(*sorted(line.points), strict=True)
                ax.plot(
                    days,
                    values,
                    marker="o",
                    markersize=4,
                    linewidth=1.8,
                    label=plain(_short(line.label)),
                )
        ax.set_title(plain(panel.title), fontsize=12, loc="left")
        ax.set_ylim(-0.5, 10.5)
        ax.set_yticks(range(0, 11, 2))
        ax.set_ylabel(plain(y_label), fontsize=10)
        ax.grid(True, alpha=0.3)
        ax.tick_params(labelsize=9)
        shown_days = sorted({day for line in panel.lines for day, _value in line.points})
        if date_label is not None and shown_days:
            # A tick every few days: at most about seven labels across a phone screen.
            every = max(1, ((shown_days[-1] - shown_days[0]).days + 1) // 7 + 1)
            ax.xaxis.set_major_locator(mdates.DayLocator(interval=every))
            ax.xaxis.set_major_formatter(
                FuncFormatter(lambda x, _pos: plain(date_label(mdates.num2date(x).date())))
            )
        if any(line.points for line in panel.lines):
            ax.legend(fontsize=9, loc="best")
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def png_bytes(
    panels: Sequence[Panel],
    *,
    y_label: str,
    date_label: Callable[[date], str] | None = None,
) -> bytes:
    """The chart as PNG bytes (blocking: call :func:`png` from the event loop)."""
    buffer = io.BytesIO()
    with DRAWING:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        drawn = figure(panels, y_label=y_label, date_label=date_label)
        FigureCanvasAgg(drawn).print_png(buffer)
    return buffer.getvalue()


async def png(
    panels: Sequence[Panel],
    *,
    y_label: str,
    date_label: Callable[[date], str] | None = None,
) -> bytes:
    """The chart as PNG, drawn in a worker thread (drawing takes a while; the loop goes on)."""
    return await asyncio.to_thread(png_bytes, panels, y_label=y_label, date_label=date_label)
