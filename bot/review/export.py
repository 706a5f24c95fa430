"""/export: one client's record as CSV files in a zip, and a printable PDF report.

CSV files (UTF-8, a header row, one file per kind of record): ratings, check-ins,
goals, goal history (each earlier wording), GAS levels, strategies and their answers,
lessons, reflections, team notes, measures (every administration with its total, band
and side of the clinical cut-off) and their item answers, and the traffic light of
each of the last 12 weeks with its reasons. Times are UTC (ISO 8601), local dates as
the client lived them. The PDF (matplotlib's PDF canvas, no other dependency) has the
summary of the last 7 days (measure results included), the goals' histories, the
traffic light week by week, every team note, and the chart of 12 weeks of ratings.
"""

from __future__ import annotations

import asyncio
import csv
import html
import io
import json
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import charts
from bot.content.library import ContentLibrary
from bot.dates import Clock
from bot.db.models import (
    Checkin,
    GasLevel,
    GasScore,
    Goal,
    GoalRating,
    GoalRevision,
    LessonDelivery,
    LessonReview,
    MeasureAdministration,
    MeasureAnswer,
    Strategy,
    StrategyAnswer,
    TeamNote,
)
from bot.domain import measure_outcome
from bot.domain.decision import DEFAULT_RULES, DecisionRules
from bot.domain.traffic_light import Colour
from bot.domain.windows import review_week
from bot.i18n import Translator
from bot.measures.model import Measure
from bot.review import digest, reasons
from bot.review.data import CLIENT_HISTORY_WEEKS, load_client_review
from bot.review.history import WeekLight, light_history

# Lines of summary text per PDF page (A4 portrait, 9 pt).
LINES_PER_PAGE = 60


@dataclass(frozen=True)
class ExportFiles:
    client_id: int
    zip: bytes
    pdf: bytes


@dataclass(frozen=True)
class Earlier:
    """An earlier wording of a goal."""

    version: int
    changed_at: datetime
    title: str | None


@dataclass
class GoalDetails:
    earlier: dict[int, list[Earlier]]  # goal id → earlier wordings, oldest first
    gas_levels: dict[tuple[int, int], str]  # (goal id, level) → what that level means


def _title(snapshot: str) -> str | None:
    try:
        value = json.loads(snapshot)
    except ValueError:
        return None
    title = value.get("title") if isinstance(value, dict) else None
    return title if isinstance(title, str) else None


async def goal_details(session: AsyncSession, client_id: int) -> GoalDetails:
    """Earlier wordings and GAS level descriptions of one client's goals (two queries)."""
    details = GoalDetails({}, {})
    for revision in await session.scalars(
        select(GoalRevision)
        .join(Goal, Goal.id == GoalRevision.goal_id)
        .where(Goal.user_id == client_id)
        .order_by(GoalRevision.goal_id, GoalRevision.version)
    ):
        details.earlier.setdefault(revision.goal_id, []).append(
            Earlier(revision.version, revision.changed_at, _title(revision.snapshot))
        )
    for level in await session.scalars(
        select(GasLevel).join(Goal, Goal.id == GasLevel.goal_id).where(Goal.user_id == client_id)
    ):
        details.gas_levels[(level.goal_id, level.level)] = level.description
    return details


def _csv(header: list[str], rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else _plain(v) for v in row])
    return buffer.getvalue().encode()


def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "value"):  # enums
        return value.value
    return value


async def tables(
    session: AsyncSession, client_id: int, measures_by_id: Mapping[str, Measure] | None = None
) -> dict[str, bytes]:
    """Every CSV file of the bundle, by file name."""
    goals = list(
        await session.scalars(select(Goal).where(Goal.user_id == client_id).order_by(Goal.id))
    )
    goal_ids = [g.id for g in goals]
    files: dict[str, bytes] = {}
    files["goals.csv"] = _csv(
        [
            "goal_id",
            "status",
            "title",
            "anchor_low",
            "anchor_high",
            "confidence",
            "why",
            "target_date",
            "version",
            "created_at",
            "closed_at",
        ],
        [
            [
                g.id,
                g.status,
                g.title,
                g.anchor_low,
                g.anchor_high,
                g.confidence,
                g.why,
                g.target_date,
                g.version,
                g.created_at,
                g.closed_at,
            ]
            for g in goals
        ],
    )
    revisions = await session.scalars(
        select(GoalRevision)
        .where(GoalRevision.goal_id.in_(goal_ids))
        .order_by(GoalRevision.goal_id, GoalRevision.version)
    )
    files["goal_history.csv"] = _csv(
        ["goal_id", "version", "changed_at", "snapshot"],
        [[r.goal_id, r.version, r.changed_at, r.snapshot] for r in revisions],
    )
    ratings = await session.execute(
        select(GoalRating.local_date, GoalRating.goal_id, GoalRating.goal_version, GoalRating.value)
        .where(GoalRating.user_id == client_id)
        .order_by(GoalRating.local_date, GoalRating.goal_id)
    )
    files["ratings.csv"] = _csv(
        ["local_date", "goal_id", "goal_version", "value"], [list(r) for r in ratings]
    )
    checkins = await session.scalars(
        select(Checkin).where(Checkin.user_id == client_id).order_by(Checkin.local_date)
    )
    files["checkins.csv"] = _csv(
        ["local_date", "status", "source", "answered_at", "note"],
        [[c.local_date, c.status, c.source, c.answered_at, c.note] for c in checkins],
    )
    scores = await session.scalars(
        select(GasScore).where(GasScore.goal_id.in_(goal_ids)).order_by(GasScore.id)
    )
    files["gas_levels.csv"] = _csv(
        ["goal_id", "level", "rated_at"], [[s.goal_id, s.level, s.rated_at] for s in scores]
    )
    strategies = await session.scalars(
        select(Strategy).where(Strategy.goal_id.in_(goal_ids)).order_by(Strategy.id)
    )
    files["strategies.csv"] = _csv(
        ["strategy_id", "goal_id", "title", "frequency", "times_per_week", "weekdays", "active"],
        [
            [s.id, s.goal_id, s.title, s.frequency, s.times_per_week, s.weekdays, s.active]
            for s in strategies
        ],
    )
    answers = await session.execute(
        select(Checkin.local_date, StrategyAnswer.strategy_id, StrategyAnswer.done)
        .join(Checkin, Checkin.id == StrategyAnswer.checkin_id)
        .where(Checkin.user_id == client_id)
        .order_by(Checkin.local_date, StrategyAnswer.strategy_id)
    )
    files["strategy_answers.csv"] = _csv(
        ["local_date", "strategy_id", "done"], [list(a) for a in answers]
    )
    lessons = list(
        await session.scalars(
            select(LessonDelivery)
            .where(LessonDelivery.user_id == client_id)
            .order_by(LessonDelivery.id)
        )
    )
    files["lessons.csv"] = _csv(
        ["lesson_id", "program_id", "delivered_at", "opened_at", "finished_at"],
        [[d.lesson_id, d.program_id, d.delivered_at, d.opened_at, d.finished_at] for d in lessons],
    )
    files["reflections.csv"] = _csv(
        ["lesson_id", "answered_at", "text"],
        [
            [d.lesson_id, d.reflection_answered_at, d.reflection_text]
            for d in lessons
            if d.reflection_text
        ],
    )
    # The look-back questions a week after a lesson (bot.lessons.reviews).
    looked_back = await session.execute(
        select(LessonDelivery.lesson_id, LessonReview)
        .join(LessonReview, LessonReview.delivery_id == LessonDelivery.id)
        .where(LessonDelivery.user_id == client_id)
        .order_by(LessonReview.id)
    )
    files["lesson_reviews.csv"] = _csv(
        ["lesson_id", "asked_at", "answered_at", "skipped_at", "answer", "correct"],
        [
            [lesson_id, r.asked_at, r.answered_at, r.skipped_at, r.answer, r.correct]
            for lesson_id, r in looked_back
        ],
    )
    notes = await session.scalars(
        select(TeamNote).where(TeamNote.client_id == client_id).order_by(TeamNote.created_at)
    )
    files["team_notes.csv"] = _csv(
        ["created_at", "author_id", "text"], [[n.created_at, n.author_id, n.text] for n in notes]
    )
    administrations = list(
        await session.scalars(
            select(MeasureAdministration)
            .where(MeasureAdministration.user_id == client_id)
            .order_by(MeasureAdministration.opened_at, MeasureAdministration.id)
        )
    )
    files["measures.csv"] = _csv(
        [
            "administration_id",
            "measure_id",
            "measure_version",
            "status",
            "opened_at",
            "completed_at",
            "total",
            "band",
            "in_clinical_range",
        ],
        [_measure_row(a, (measures_by_id or {}).get(a.measure_id)) for a in administrations],
    )
    item_answers = await session.execute(
        select(
            MeasureAnswer.administration_id,
            MeasureAnswer.item_id,
            MeasureAnswer.value,
            MeasureAnswer.choices,
            MeasureAnswer.skipped,
            MeasureAnswer.answered_at,
        )
        .join(MeasureAdministration, MeasureAdministration.id == MeasureAnswer.administration_id)
        .where(MeasureAdministration.user_id == client_id)
        .order_by(MeasureAnswer.administration_id, MeasureAnswer.id)
    )
    files["measure_answers.csv"] = _csv(
        ["administration_id", "item_id", "value", "choices", "skipped", "answered_at"],
        [
            [admin_id, item_id, value, json.dumps(choices) if choices else None, skipped, at]
            for admin_id, item_id, value, choices, skipped, at in item_answers
        ],
    )
    return files


def _measure_row(administration: MeasureAdministration, measure: Measure | None) -> list[Any]:
    bands = measure.scoring.bands if measure and measure.scoring else ()
    band = administration.band
    total = administration.score_total
    clinical = (
        measure_outcome.in_clinical_range(measure, total)
        if measure is not None and total is not None
        else None
    )
    return [
        administration.id,
        administration.measure_id,
        administration.measure_version,
        administration.status,
        administration.opened_at,
        administration.completed_at,
        total,
        bands[band].label.en if band is not None and 0 <= band < len(bands) else None,
        None if clinical is None else ("yes" if clinical else "no"),
    ]


def light_rows(
    t: Translator, history: list[WeekLight], names: Mapping[str, str]
) -> list[list[Any]]:
    """traffic_light.csv: one row per week, newest first, the reasons in the reader's words."""
    return [
        [
            entry.week.start,
            entry.week.end,
            entry.light.colour.value,
            _plain_text(reasons.reasons_line(t, entry.light.reasons, names)),
        ]
        for entry in history
    ]


def light_lines(t: Translator, history: list[WeekLight], names: Mapping[str, str]) -> list[str]:
    """The PDF's section: the light week by week, newest first."""
    colours = {
        Colour.RED: t._("red"),
        Colour.YELLOW: t._("yellow"),
        Colour.GREEN: t._("green"),
        Colour.GREY: t._("grey"),
    }
    lines = [t._("<b>Traffic light, week by week</b> (newest first)")]
    for entry in history:
        lines.append(
            t._(
                "{start} – {end}: {colour} — {reasons}",
                start=digest._day(t, entry.week.start),
                end=digest._day(t, entry.week.end),
                colour=colours[entry.light.colour],
                reasons=reasons.reasons_line(t, entry.light.reasons, names),
            )
        )
    return lines


def _plain_text(markup: str) -> str:
    """Without HTML tags, and without pictographs the PDF font does not have."""
    text = html.unescape(re.sub(r"<[^>]+>", "", markup))
    return "".join(ch for ch in text if ord(ch) < 0x2500 or ch in "“”").replace("\ufe0f", "")


def pdf_report(
    title: str, summary: str, panels: list[charts.Panel], *, y_label: str, locale: str = "en"
) -> bytes:
    """Text pages (the summary), then the chart page."""
    # Imported here: matplotlib costs start-up time and memory until a report is made.
    from matplotlib.backends.backend_pdf import FigureCanvasPdf, PdfPages
    from matplotlib.figure import Figure

    buffer = io.BytesIO()
    lines = [title, "", *summary.split("\n")]
    with charts.DRAWING, PdfPages(buffer) as pdf:
        for start in range(0, len(lines), LINES_PER_PAGE):
            page = Figure(figsize=(8.27, 11.69))
            FigureCanvasPdf(page)
            page.text(
                0.06,
                0.96,
                "\n".join(line[:110] for line in lines[start : start + LINES_PER_PAGE]),
                va="top",
                family="DejaVu Sans",
                fontsize=9,
                parse_math=False,
            )
            pdf.savefig(page)
        if panels:
            figure = charts.figure(
                panels, y_label=y_label, locale=locale, width_inches=charts.PRINT_WIDTH_INCHES
            )
            FigureCanvasPdf(figure)
            pdf.savefig(figure)
    return buffer.getvalue()


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


async def build(
    session: AsyncSession,
    practitioner_id: int,
    client_id: int,
    t: Translator,
    *,
    today: date,
    zone: ZoneInfo,
    library: ContentLibrary,
    measures_by_id: Mapping[str, Measure] | None = None,
    rules: DecisionRules = DEFAULT_RULES,
    clock: Clock | None = None,
) -> ExportFiles:
    """The bundle and the report (the caller checked the practitioner may export)."""
    files = await tables(session, client_id, measures_by_id)
    history = await light_history(
        session,
        practitioner_id,
        client_id,
        today=today,
        zone=zone,
        measures_by_id=measures_by_id,
        rules=rules,
    )
    names = digest.measure_names(t, measures_by_id)
    files["traffic_light.csv"] = _csv(
        ["week_start", "week_end", "colour", "reasons"], light_rows(t, history, names)
    )
    review = await load_client_review(
        session,
        practitioner_id,
        client_id,
        today=today,
        zone=zone,
        measures_by_id=measures_by_id,
        rules=rules,
    )
    if review is None:  # not on the client's team (the caller checked): nothing to report
        raise LookupError(f"practitioner {practitioner_id} has no review of {client_id}")
    summary = digest.client_block(
        t,
        review,
        zone=zone,
        library=library,
        quote_length=digest.FULL_QUOTE_LENGTH,
        measure_names=digest.measure_names(t, measures_by_id),
        measures_by_id=measures_by_id,
    )
    clock = clock or Clock(t.locale, zone)
    details = await goal_details(session, client_id)
    for goal in review.goals:
        summary += "\n\n" + digest.goal_history(t, goal, details, zone)
    summary += "\n\n" + "\n".join(light_lines(t, history, names))
    if review.notes:
        summary += "\n\n" + "\n".join(
            [
                t._("<b>Team notes</b> (all, oldest first)"),
                *(
                    f"{digest._day(t, note.created_at, zone)}: {html.escape(note.text)}"
                    for note in review.notes
                ),
            ]
        )
    # The client's own words, every one, newest first (only the lead exports).
    words = digest.words_block(t, review, clock=clock, library=library, limit=None)
    if words:
        summary += "\n\n" + words
    week = review_week(today)
    title = _plain_text(
        t._(
            "<b>{client}</b>: {days}, and {weeks} weeks of ratings",
            client=digest.label(t, review),
            days=clock.span(week.start, week.end),
            weeks=CLIENT_HISTORY_WEEKS,
        )
    )
    panels = digest.chart_panels(t, [review]) if any(g.series for g in review.goals) else []
    pdf = await asyncio.to_thread(
        pdf_report,
        title,
        _plain_text(summary),
        panels,
        y_label=t._("rating (0–10)"),
        locale=t.locale,
    )
    return ExportFiles(client_id, _zip(files), pdf)
