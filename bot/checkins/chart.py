"""The /progress chart: a client's recent ratings per goal, as a PNG.

Matplotlib's object API (``Figure`` + the Agg canvas, no pyplot state), so it is
safe to run in a worker thread (``asyncio.to_thread``): drawing takes tens of
milliseconds, which must not block the event loop. Input is plain data, labels
already translated. matplotlib is imported on first use, not at start.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from io import BytesIO

_LEGEND_CHARS = 32


def _short(label: str) -> str:
    return label if len(label) <= _LEGEND_CHARS else label[: _LEGEND_CHARS - 1] + "…"


def ratings_png(
    series: Mapping[str, Sequence[tuple[date, int]]],
    *,
    title: str,
    axis: str,
    date_label: dict[date, str],
) -> bytes:
    """One line per goal (label → (date, value) points); returns PNG bytes."""
    # Imported here: matplotlib costs start-up time and memory that only /progress needs.
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 4.5), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    days = sorted({day for points in series.values() for day, _v in points})
    index = {day: i for i, day in enumerate(days)}
    for label, points in series.items():
        ordered = sorted(points)
        axes.plot(
            [index[day] for day, _v in ordered],
            [value for _d, value in ordered],
            marker="o",
            linewidth=2,
            label=_short(label),
        )
    axes.set_ylim(-0.5, 10.5)
    axes.set_yticks(range(0, 11, 2))
    axes.set_ylabel(axis)
    axes.set_title(title)
    step = max(1, len(days) // 7)
    ticks = list(range(0, len(days), step))
    axes.set_xticks(ticks)
    axes.set_xticklabels([date_label.get(days[i], days[i].isoformat()) for i in ticks])
    axes.grid(True, alpha=0.3)
    if series:
        axes.legend(loc="lower left", fontsize="small")
    figure.tight_layout()
    out = BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
