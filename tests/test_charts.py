"""The one chart module: any text shown as typed, one drawing at a time, matplotlib loaded
only when a chart is drawn."""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys
import threading
from datetime import date

import pytest

from bot import charts

DAYS = ((date(2026, 11, 2), 3), (date(2026, 11, 3), 4), (date(2026, 11, 9), 7))


def test_a_dollar_is_escaped_for_matplotlib_and_nothing_else_changes():
    assert charts.plain("cost $_$ x") == r"cost \$_\$ x"
    assert charts.plain(r"50 % \frac{a}{b} <b>") == r"50 % \frac{a}{b} <b>"


@pytest.mark.parametrize("text", ["cost $_$ x", "$\\frac{", "Save $50 by $DATE", "$"])
def test_titles_labels_and_dates_with_dollars_are_drawn_as_typed(text: str):
    panel = charts.Panel(text, (charts.Line(text, DAYS), charts.Line("empty", ())))
    png = charts.png_bytes([panel], y_label=text, date_label=lambda day: f"{text} {day.day}")
    assert png.startswith(b"\x89PNG")


def test_unescaped_math_text_is_what_breaks_matplotlib():
    """The escaping is needed: the same title, not escaped, fails to draw."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure()
    FigureCanvasAgg(figure)
    figure.add_subplot().set_title("cost $_$ x")
    with pytest.raises(ValueError):
        figure.savefig(io.BytesIO(), format="png")


def test_many_panels_are_cut_to_what_a_phone_shows():
    panels = [charts.Panel(f"Client {n}", (charts.Line("g", DAYS),)) for n in range(10)]
    figure = charts.figure(panels, y_label="r")
    assert len(figure.axes) == charts.MAX_PANELS
    assert figure.get_size_inches()[0] == charts.WIDTH_INCHES


async def test_drawings_in_threads_wait_for_each_other(monkeypatch: pytest.MonkeyPatch):
    """Two charts awaited at once never draw at the same time (matplotlib is not thread-safe)."""
    drawing_now = 0
    most = 0
    guard = threading.Lock()
    real = charts.figure

    def counting(*args: object, **kwargs: object):
        nonlocal drawing_now, most
        with guard:
            drawing_now += 1
            most = max(most, drawing_now)
        try:
            return real(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            with guard:
                drawing_now -= 1

    monkeypatch.setattr(charts, "figure", counting)
    panel = [charts.Panel("a", (charts.Line("g", DAYS),))]
    pictures = await asyncio.gather(*(charts.png(panel, y_label="r") for _ in range(4)))
    assert all(p.startswith(b"\x89PNG") for p in pictures)
    assert most == 1


def test_matplotlib_is_not_loaded_at_start_up():
    code = (
        "import sys, bot.app, bot.charts, bot.flows.checkins, bot.review.usecases, "
        "bot.review.export; print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
