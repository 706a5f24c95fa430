"""Charts readable on a phone (issue 16, item 7): a month with missed days drawn 390 px wide,
near square, short localized dates that are not rotated, a tick per day, a gap (not a line)
at every missed day, legends wrapped between words, the goal's target marked. Checked on the
chart function directly and on what /progress draws over the fake Bot API."""

from __future__ import annotations

import math
import struct
from datetime import date, timedelta

import pytest
from babel.dates import format_skeleton
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from bot import charts
from bot.app import BotApplication
from bot.db.models import CheckinStatus, Goal
from bot.offline.fake_bot_api import FakeBotApi
from tests.checkin_helpers import add_goal, make_client, past_days, services_of, today_in

LANGUAGES = ["en", "de", "es"]
# One short date per language, as its readers write it (Babel's "MMMd").
NOV_2 = {"en": "Nov 2", "de": "2. Nov.", "es": "2 nov"}
TARGET = {"en": "10: goal reached", "de": "10: Ziel erreicht", "es": "10: objetivo logrado"}
LONG_TITLE = "Sleep through the night without lying awake at four in the morning worrying"
FIRST = date(2026, 11, 2)
MISSED = {3, 4, 10, 17, 18, 19, 25}  # day offsets without a rating
MONTH = tuple(
    (FIRST + timedelta(days=n), n % 11) for n in range(30) if n not in MISSED
)  # 2 Nov – 1 Dec


def png_size(png: bytes) -> tuple[int, int]:
    assert png.startswith(b"\x89PNG")
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def drawn(fig: Figure) -> Figure:
    """The figure laid out as it is on the PNG (tick labels exist only after a draw)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig).draw()
    return fig


def rating_line(ax: Axes, label: str):
    (line,) = [ln for ln in ax.get_lines() if ln.get_label() == label]
    return line


def assert_phone_chart(fig: Figure, *, first: date, missed_days: set[date], locale: str) -> None:
    (ax,) = fig.axes
    width, height = fig.get_size_inches() * fig.dpi
    assert width == charts.WIDTH_PX
    assert 0.8 <= height / width <= 1.25  # near square
    line = rating_line(ax, "Sleep")
    days = [charts_day(x) for x in line.get_xdata()]
    values = list(line.get_ydata())
    # Every day from the first rating to the last is on the line; a missed one is NaN,
    # which is where matplotlib lifts the pen: no segment joins the days around a gap.
    assert days == [days[0] + timedelta(days=n) for n in range(len(days))]
    gaps = {day for day, value in zip(days, values, strict=True) if math.isnan(value)}
    assert gaps == missed_days
    assert len(gaps) > 0
    # Dates: short, in the reader's language, written flat.
    labels = [label for label in ax.get_xticklabels() if label.get_text()]
    assert labels[0].get_text() == format_skeleton("MMMd", first, locale=locale)
    assert 2 <= len(labels) <= charts.MAX_DATE_LABELS
    assert all(label.get_rotation() == 0 for label in labels)
    # A tick for every day in view.
    ticks = {charts_day(x) for x in (*ax.get_xticks(), *ax.xaxis.get_minorticklocs())}
    assert set(days) <= ticks
    # The target: a dashed line across at 10, named in the legend.
    targets = [ln for ln in ax.get_lines() if list(ln.get_ydata()) == [charts.TOP, charts.TOP]]
    assert len(targets) == 1 and targets[0].get_linestyle() == "--"
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert TARGET[locale] in legend


def charts_day(x: object) -> date:
    from matplotlib import dates as mdates

    if isinstance(x, date):
        return x
    return mdates.num2date(float(x)).date()  # type: ignore[arg-type]


@pytest.mark.parametrize("locale", LANGUAGES)
def test_a_month_with_gaps_is_drawn_for_a_phone(locale: str):
    panel = charts.Panel(
        "Four weeks",
        (charts.Line("Sleep", MONTH), charts.Line(LONG_TITLE, MONTH[::2])),
        charts.Target(charts.TOP, TARGET[locale]),
    )
    png = charts.png_bytes([panel], y_label="0–10", locale=locale)
    width, height = png_size(png)
    assert width == charts.WIDTH_PX * charts.PIXEL_RATIO
    assert 0.8 <= height / width <= 1.25
    fig = drawn(charts.figure([panel], y_label="0–10", locale=locale))
    missed = {FIRST + timedelta(days=n) for n in MISSED}
    assert_phone_chart(fig, first=FIRST, missed_days=missed, locale=locale)
    assert fig.axes[0].get_xticklabels()[0].get_text() == NOV_2[locale]


def test_a_long_legend_label_wraps_between_words_and_never_cuts_one():
    fig = drawn(charts.figure([charts.Panel("", (charts.Line(LONG_TITLE, MONTH),))], y_label="r"))
    (text,) = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    lines = text.split("\n")
    assert len(lines) >= 2
    assert all(len(line) <= charts.LEGEND_WRAP for line in lines)
    assert " ".join(lines) == LONG_TITLE  # every word whole, none cut or dropped


def test_a_title_too_long_for_three_lines_ends_at_a_word():
    words = ("breathing " * 20).split()
    label = charts.wrapped(" ".join(words))
    lines = label.split("\n")
    assert len(lines) == charts.LEGEND_LINES
    assert lines[-1].endswith("[...]") or lines[-1].endswith("…")
    assert all(word in ("breathing", "[...]", "…") for line in lines for word in line.split())


def test_a_target_date_in_view_is_marked_in_the_goal_colour():
    due = FIRST + timedelta(days=20)
    line = charts.Line("Sleep", MONTH, target_date=due)
    fig = drawn(charts.figure([charts.Panel("", (line,))], y_label="r"))
    ax = fig.axes[0]
    rating = rating_line(ax, "Sleep")
    verticals = [
        ln
        for ln in ax.get_lines()
        if len(set(ln.get_xdata())) == 1 and ln.get_color() == rating.get_color()
    ]
    assert [charts_day(v.get_xdata()[0]) for v in verticals] == [due]


def test_several_panels_keep_the_phone_width():
    panels = [charts.Panel(f"Client {n}", (charts.Line("Sleep", MONTH),)) for n in range(3)]
    png = charts.png_bytes(panels, y_label="r", locale="de")
    assert png_size(png)[0] == charts.WIDTH_PX * charts.PIXEL_RATIO


@pytest.mark.parametrize("language", LANGUAGES)
async def test_progress_draws_the_month_with_its_gaps_for_a_phone(
    fake_api: FakeBotApi, bot: BotApplication, language: str, monkeypatch: pytest.MonkeyPatch
):
    """/progress after a month with missed days: the photo is 390 px wide (×2), the line
    breaks at each missed day, dates are localized and flat, the goal's target is marked."""
    figures: list[Figure] = []
    real = charts.figure

    def keep(*args: object, **kwargs: object) -> Figure:
        fig = real(*args, **kwargs)  # type: ignore[arg-type]
        figures.append(fig)
        return fig

    monkeypatch.setattr(charts, "figure", keep)
    user_id = await make_client(bot, 6601, language)
    goal_id = await add_goal(bot, user_id, "Sleep")
    today = today_in()
    first = today - timedelta(days=27)
    missed = {first + timedelta(days=n) for n in (2, 3, 9, 15, 16)}
    statuses = {
        first + timedelta(days=n): (
            CheckinStatus.MISSED if first + timedelta(days=n) in missed else CheckinStatus.ANSWERED
        )
        for n in range(27)  # up to yesterday
    }
    await past_days(bot, user_id, statuses, goal_id=goal_id)
    async with services_of(bot).sessions() as session, session.begin():
        goal = await session.get(Goal, goal_id)
        assert goal is not None
        goal.target_date = first + timedelta(days=20)

    client = fake_api.user(6601, language_code=language)
    client.send("/progress")
    photo = await client.expect_one(timeout=20)
    assert photo.method == "sendPhoto"
    width, height = png_size(photo.file)
    assert width == charts.WIDTH_PX * charts.PIXEL_RATIO
    assert 0.8 <= height / width <= 1.25
    (fig,) = figures
    assert_phone_chart(drawn(fig), first=first, missed_days=missed, locale=language)
    # The whole four weeks are in view, today (not answered yet) included.
    low, high = fig.axes[0].get_xlim()
    assert (charts_day(low + 0.5), charts_day(high - 0.5)) == (first, today)
