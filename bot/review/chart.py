"""The digest's chart: ratings per goal over the last weeks, one panel per client.

Drawn with matplotlib's object API on the Agg (PNG) or PDF canvas — no pyplot, no
global state — so it is safe in a worker thread (:func:`png` is what callers await).
Labels come in already translated; client names are the practitioner's aliases.
"""

from __future__ import annotations

import asyncio
import io
import threading
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# matplotlib promises no thread safety: one drawing at a time (each takes well under a second).
DRAWING = threading.Lock()
# More panels than this make a phone screen unreadable: the most urgent come first.
MAX_PANELS = 6


@dataclass(frozen=True)
class Line:
    label: str
    points: tuple[tuple[date, int], ...]


@dataclass(frozen=True)
class Panel:
    title: str
    lines: tuple[Line, ...]


def _plain(label: str) -> str:
    """A label shown as typed: a ``$`` would otherwise start matplotlib's math mode."""
    return label.replace("$", r"\$")


def figure(panels: list[Panel], *, y_label: str) -> Figure:
    # Imported here: matplotlib costs start-up time and memory until a chart is drawn.
    from matplotlib.figure import Figure

    shown = panels[:MAX_PANELS] or [Panel("", ())]
    fig = Figure(figsize=(8, 2.6 * len(shown)), dpi=90)
    axes = fig.subplots(len(shown), 1, squeeze=False)[:, 0]
    for ax, panel in zip(axes, shown, strict=True):
        for line in panel.lines:
            if line.points:
                days, values = zip(*line.points, strict=True)
                ax.plot(
                    days,
                    values,
                    marker="o",
                    markersize=2.5,
                    linewidth=1.2,
                    label=_plain(line.label),
                )
        ax.set_title(_plain(panel.title), fontsize=10, loc="left")
        ax.set_ylim(-0.5, 10.5)
        ax.set_ylabel(_plain(y_label), fontsize=8)
        ax.grid(True, alpha=0.3)
        ax.tick_params(labelsize=7)
        if any(line.points for line in panel.lines):
            ax.legend(fontsize=7, loc="upper left")
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def png_bytes(panels: list[Panel], *, y_label: str) -> bytes:
    buffer = io.BytesIO()
    with DRAWING:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(figure(panels, y_label=y_label)).print_png(buffer)
    return buffer.getvalue()


async def png(panels: list[Panel], *, y_label: str) -> bytes:
    """The chart as PNG, drawn in a worker thread (drawing takes a while; the loop goes on)."""
    return await asyncio.to_thread(png_bytes, panels, y_label=y_label)
