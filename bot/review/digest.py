"""The weekly digest and the client view: wording, in the practitioner's language.

The digest covers the seven local days before the day it is sent; clients who need
attention (safety flags, a declining goal, missed check-ins, unreachable) come first,
most urgent first. It is split into messages at client boundaries, and followed by a
chart (PNG) of the last eight weeks of ratings of the clients who need attention.

Scheduled digests are outbox rows of kind ``digest`` from a ``schedules`` row of kind
``digest`` per practitioner (default Monday 08:00 local, see :func:`ensure_schedules`);
``/digest`` sends the same digest at once as a reply.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from babel.dates import get_day_names
from babel.numbers import format_decimal, format_percent
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import audit, charts
from bot.audit import AuditAction
from bot.content.library import ContentLibrary
from bot.dates import Clock
from bot.db.models import (
    CareTeamMember,
    GoalStatus,
    MembershipState,
    Practitioner,
    Role,
    Schedule,
    User,
    UserStatus,
)
from bot.delivery.renderers import (
    Photo,
    RenderContext,
    Rendered,
    SentContext,
    dashboard_buttons,
)
from bot.delivery.scheduling import _plan
from bot.domain.decision import DEFAULT_RULES, DecisionRules
from bot.domain.review import Trend, Week, split_messages
from bot.domain.schedule import zone_or_default
from bot.domain.traffic_light import Colour, caseload
from bot.domain.trends import GoalTrend
from bot.domain.windows import review_week
from bot.enrollment.client_lookup import client_label
from bot.i18n import N_, Translator
from bot.measures.model import Measure
from bot.review import lesson_lines, measure_lines, reasons
from bot.review.data import ClientReview, GoalReview, Words, WordsKind, load_review

if TYPE_CHECKING:
    from bot.review.export import GoalDetails

KIND = "digest"
# Serialises ensure_schedules across instances (PostgreSQL): any constant 64-bit number.
ADVISORY_LOCK = 0x6469676573
DEFAULT_WEEKDAYS = 0b0000001  # Monday
DEFAULT_TIME = time(8, 0)
# A reflection or note quoted in the digest is cut here (the client view shows more).
QUOTE_LENGTH = 300
FULL_QUOTE_LENGTH = 1500
# Reasons per flagged client in the digest's opening lines (the client's block has all).
HEADER_REASONS = 2

ARROWS = {Trend.UP: "↑", Trend.DOWN: "↓", Trend.STEADY: "→"}
NEEDS_ATTENTION = N_("<b>Needs your attention</b>")
EVERYONE_ELSE = N_("<b>Everyone else</b>")


@dataclass(frozen=True)
class Digest:
    messages: list[str]
    chart: bytes | None
    client_ids: list[int]


def label(t: Translator, review: ClientReview) -> str:
    return client_label(t, review.alias, review.client_id)


def _number(t: Translator, value: float) -> str:
    return format_decimal(value, "0.0", locale=t.locale)


def _day(t: Translator, value: date | datetime, zone: ZoneInfo | None = None) -> str:
    """A day as the practitioner reads it (``bot.dates``: "10 Dec 2026")."""
    return Clock(t.locale, zone).day(value)


def _quote(text: str, length: int) -> str:
    text = " ".join(text.split())
    return html.escape(text if len(text) <= length else text[: length - 1] + "…")


def ordered(reviews: Sequence[ClientReview]) -> list[ClientReview]:
    """Attention first (most urgent first), then everyone else, each by name."""
    return sorted(
        reviews, key=lambda r: (r.signals.sort_key(), (r.alias or "").casefold(), r.client_id)
    )


def _goal_line(t: Translator, goal: GoalReview, trend: GoalTrend | None = None) -> str:
    _ = t._
    title = _quote(goal.title, 80) if goal.title else _("goal {number}", number=goal.number)
    early = trend is not None and trend.baseline is not None and trend.now_mean is not None
    if goal.week_mean is None:
        line = _("{number}. {title}: no ratings this week", number=goal.number, title=title)
    elif (goal.trend is Trend.NEW or goal.baseline_mean is None) and early:
        # Nothing in the 4 weeks before, but 3 ratings or more: against its own first days.
        assert trend is not None and trend.baseline is not None
        line = _(
            "{number}. {title}: {mean} this week ({against}: {baseline})",
            number=goal.number,
            title=title,
            mean=_number(t, goal.week_mean),
            against=reasons.against(t, trend.baseline.kind),
            baseline=_number(t, trend.baseline.mean),
        )
    elif goal.trend is Trend.NEW or goal.baseline_mean is None:
        line = _(
            "{number}. {title}: {mean} this week (nothing earlier to compare)",
            number=goal.number,
            title=title,
            mean=_number(t, goal.week_mean),
        )
    else:
        line = _(
            "{number}. {title}: {mean} this week, {baseline} the 4 weeks before {arrow}",
            number=goal.number,
            title=title,
            mean=_number(t, goal.week_mean),
            baseline=_number(t, goal.baseline_mean),
            arrow=ARROWS[goal.trend] if goal.trend is not None else "",
        )
    if goal.gas_level is not None:
        line += " · " + _("GAS level {level}", level=f"{goal.gas_level:+d}")
    return line


def goal_history(t: Translator, goal: GoalReview, details: GoalDetails, zone: ZoneInfo) -> str:
    """One goal in the client view: status, GAS level and what it means, earlier wordings,
    and weekly means, oldest first."""
    _ = t._
    title = _quote(goal.title, 200) if goal.title else _("goal {number}", number=goal.number)
    lines = [f"<b>{goal.number}. {title}</b>"]
    earlier = details.earlier.get(goal.goal_id, [])
    status = {
        GoalStatus.ACTIVE: _("active"),
        GoalStatus.PAUSED: _("paused"),
        GoalStatus.ACHIEVED: _("achieved"),
        GoalStatus.DROPPED: _("dropped"),
    }.get(goal.status, "")
    lines.append(
        t.ngettext(
            "Status: {status}, revised {count} time",
            "Status: {status}, revised {count} times",
            len(earlier),
            status=status,
        )
    )
    if goal.gas_level is not None:
        meaning = details.gas_levels.get((goal.goal_id, goal.gas_level))
        level = _("GAS level {level}", level=f"{goal.gas_level:+d}")
        lines.append(f"{level}: {_quote(meaning, 200)}" if meaning else level)
    for revision in earlier[-3:]:
        lines.append(
            _(
                "Until {date}: {title}",
                date=_day(t, revision.changed_at, zone),
                title=_quote(revision.title, 200) if revision.title else "—",
            )
        )
    weekly = weekly_means(goal.series)
    if weekly:
        lines.append(
            _(
                "Weekly means, oldest first: {means}",
                means=", ".join(f"{_day(t, start)} {_number(t, value)}" for start, value in weekly),
            )
        )
    else:
        lines.append(_("No ratings yet."))
    return "\n".join(lines)


def weekly_means(series: Sequence[tuple[date, int]]) -> list[tuple[date, float]]:
    """Mean rating per calendar week (Monday first), oldest first."""
    weeks: dict[date, list[int]] = {}
    for day, value in series:
        weeks.setdefault(day - timedelta(days=day.weekday()), []).append(value)
    return [(start, sum(v) / len(v)) for start, v in sorted(weeks.items())]


def client_block(
    t: Translator,
    review: ClientReview,
    *,
    zone: ZoneInfo,
    library: ContentLibrary,
    quote_length: int = QUOTE_LENGTH,
    measure_names: Mapping[str, str] | None = None,
    measures_by_id: Mapping[str, Measure] | None = None,
) -> str:
    """Everything about one client's week, one line per part."""
    _ = t._
    names = measure_names
    lines = [f"<b>{label(t, review)}</b>"]
    if review.assessment is not None:
        light = review.assessment.light
        shown = reasons.reasons_line(t, light.reasons, names)
        lines.append(f"{reasons.MARKS[light.colour]} {shown}")
    status = {
        UserStatus.UNREACHABLE: _("⛔ I can't reach them: they may have blocked me."),
        UserStatus.STOPPED: _("They have stopped the companion."),
        UserStatus.ONBOARDING: _("Still setting up."),
    }.get(review.status)
    if status:
        lines.append(status)
    if review.flags:
        lines.append(
            t.ngettext(
                "⚠️ {count} safety flag this week (last {date})",
                "⚠️ {count} safety flags this week (last {date})",
                len(review.flags),
                date=_day(t, review.flags[-1], zone),
            )
        )
    if review.distress:
        lines.append(
            t.ngettext(
                "💬 {count} message of distress this week (last {date}), for your review: "
                "no alert was sent",
                "💬 {count} messages of distress this week (last {date}), for your review: "
                "no alert was sent",
                len(review.distress),
                date=_day(t, review.distress[-1], zone),
            )
        )
    done = review.adherence
    if done.scheduled:
        lines.append(
            _(
                "Check-ins: {answered} of {scheduled} answered ({percent})",
                answered=done.answered,
                scheduled=done.scheduled,
                percent=format_percent(done.ratio or 0, locale=t.locale),
            )
        )
    else:
        lines.append(_("Check-ins: none were asked this week."))
    if review.missed_in_row >= 2:
        lines.append(
            t.ngettext(
                "{count} check-in missed in a row",
                "{count} check-ins missed in a row",
                review.missed_in_row,
            )
        )
    lines.append(
        _("Streak: {current} (best {best})", current=review.streak, best=review.best_streak)
    )
    if review.goals:
        trends = review.assessment.trends if review.assessment else {}
        lines.extend(_goal_line(t, goal, trends.get(goal.number)) for goal in review.goals)
    else:
        lines.append(_("No goals yet."))
    summary = review.assessment.gas if review.assessment else None
    if summary is not None:
        gas_line = reasons.gas_text(t, summary)
        if gas_line:
            lines.append(gas_line)
    elif review.gas_t is not None:
        lines.append(_("GAS T-score: {score}", score=_number(t, review.gas_t)))
    if review.assessment is not None:
        lines.extend(reasons.reason_text(t, due) for due in review.assessment.gas_reviews)
        if review.assessment.light.step_down is not None:
            lines.append(reasons.step_down_text(t, review.assessment.light.step_down, names))
    lines.extend(measure_lines.measure_lines(t, review.measures, measures_by_id))
    if review.strategies_due:
        lines.append(
            _(
                "Strategies done: {done} of {due} due",
                done=review.strategies_done,
                due=review.strategies_due,
            )
        )
    if review.lessons.delivered:
        lines.append(
            _(
                "Lessons: {delivered} sent, {opened} opened, {finished} finished",
                delivered=review.lessons.delivered,
                opened=review.lessons.opened,
                finished=review.lessons.finished,
            )
        )
    if review.lessons_finished:
        titles = []
        for lesson_id in review.lessons_finished:
            lesson = library.lesson(lesson_id, t.locale)
            titles.append(html.escape(lesson.meta.title if lesson else lesson_id))
        lines.append(_("Lessons finished: {lessons}", lessons=", ".join(titles)))
    lines.extend(lesson_lines.engagement_lines(t, review.lesson_engagement, library))
    if review.reflections and not review.words:  # else they are among the client's words
        lines.append(_("Reflections to read:"))
        for reflection in review.reflections[-3:]:
            lines.append(
                f"  “{_quote(reflection.text, quote_length)}” "
                f"({_day(t, reflection.answered_at, zone)})"
            )
    if review.notes:
        lines.append(_("Team notes:"))
        for note in review.notes[-3:]:
            lines.append(f"  {_day(t, note.created_at, zone)}: {_quote(note.text, quote_length)}")
    return "\n".join(lines)


# The client's own words /client shows (newest first); the export's PDF has them all.
WORDS_SHOWN = 20
WORDS_TITLE = N_("<b>In their own words</b> (newest first)")


def words_block(
    t: Translator,
    review: ClientReview,
    *,
    clock: Clock,
    library: ContentLibrary,
    limit: int | None = WORDS_SHOWN,
    quote_length: int = FULL_QUOTE_LENGTH,
) -> str | None:
    """The client's check-in notes, reflections and program answers, newest first, each
    dated in the reader's time zone; None when they wrote nothing."""
    if not review.words:
        return None
    _ = t._
    shown = review.words if limit is None else review.words[:limit]
    lines = [_(WORDS_TITLE)]
    for words in shown:
        lines.append(
            f"• {clock.moment(words.written_at)} · {words_source(t, words, library)}\n"
            f"  “{_quote(words.text, quote_length)}”"
        )
    if len(review.words) > len(shown):
        lines.append(
            t.ngettext(
                "{count} earlier entry is in /export.",
                "{count} earlier entries are in /export.",
                len(review.words) - len(shown),
            )
        )
    return "\n".join(lines)


def words_source(t: Translator, words: Words, library: ContentLibrary) -> str:
    """Where the client wrote ``words`` (Telegram HTML: lesson titles are escaped)."""
    _ = t._
    if words.kind is WordsKind.CHECKIN_NOTE:
        return _("check-in note")
    lesson = library.lesson(words.lesson_id, t.locale) if words.lesson_id else None
    title = html.escape(lesson.meta.title if lesson else (words.lesson_id or ""))
    if words.kind is WordsKind.REFLECTION:
        return _("reflection on “{lesson}”", lesson=title)
    question = _program_question(library, words, t.locale)
    if question:
        return _(
            "answer to “{question}” (after “{lesson}”)",
            question=html.escape(question),
            lesson=title,
        )
    return _("answer to a program question (after “{lesson}”)", lesson=title)


def _program_question(library: ContentLibrary, words: Words, locale: str) -> str | None:
    program = library.program(words.program_id) if words.program_id else None
    if program is None or words.question is None:
        return None
    for step in program.lessons:
        if step.lesson == words.lesson_id and words.question < len(step.questions):
            question = step.questions[words.question]
            return question.get(locale) or question["en"]
    return None


def compose(
    t: Translator,
    reviews: Sequence[ClientReview],
    *,
    week: Week,
    zone: ZoneInfo,
    library: ContentLibrary,
    measures_by_id: Mapping[str, Measure] | None = None,
) -> list[str]:
    """The digest's messages, in order, each under Telegram's limit."""
    names = measure_names(t, measures_by_id)
    _ = t._
    header = [
        _(
            "<b>Weekly digest</b>, {start} – {end}",
            start=_day(t, week.start),
            end=_day(t, week.end),
        )
    ]
    if not reviews:
        header.append(
            _("You have no clients yet, so there is nothing to review. /invite makes an invite.")
        )
        return split_messages("\n".join(header), [])
    ordered_reviews = ordered(reviews)
    header.extend(flagged_lines(t, ordered_reviews, names))
    urgent = [r for r in ordered_reviews if r.signals.needs_attention]
    header.append(
        t.ngettext(
            "{count} client needs your attention first.",
            "{count} clients need your attention first.",
            len(urgent),
        )
        if urgent
        else _("No client needs special attention this week.")
    )
    blocks: list[str] = []
    for position, review in enumerate(ordered_reviews):
        block = client_block(
            t,
            review,
            zone=zone,
            library=library,
            measure_names=names,
            measures_by_id=measures_by_id,
        )
        if position == 0 and urgent:
            block = f"{_(NEEDS_ATTENTION)}\n\n{block}"
        if urgent and position == len(urgent):
            block = f"{_(EVERYONE_ELSE)}\n\n{block}"
        blocks.append(block)
    return split_messages("\n".join(header), blocks)


def measure_names(t: Translator, measures_by_id: Mapping[str, Measure] | None) -> dict[str, str]:
    """Each measure's title in the reader's language, by id (what reasons name it by)."""
    return {key: measure.name(t.locale) for key, measure in (measures_by_id or {}).items()}


def flagged_lines(
    t: Translator, reviews: Sequence[ClientReview], names: Mapping[str, str] | None = None
) -> list[str]:
    """The caseload line, then one line per red client, then per yellow one: the name
    and the reasons (what a busy practitioner reads first, before the details)."""
    lights = [review.assessment.light for review in reviews if review.assessment is not None]
    if not lights:
        return []
    lines = [reasons.caseload_line(t, caseload(lights))]
    for colour in (Colour.RED, Colour.YELLOW):
        for review in reviews:
            light = review.assessment.light if review.assessment else None
            if light is not None and light.colour is colour:
                lines.append(
                    f"{reasons.MARKS[colour]} {label(t, review)}: "
                    f"{reasons.reasons_line(t, light.reasons, names, limit=HEADER_REASONS)}"
                )
    return lines


def chart_panels(t: Translator, reviews: Sequence[ClientReview]) -> list[charts.Panel]:
    return [
        charts.Panel(
            html.unescape(label(t, review)),
            tuple(
                charts.Line(f"{goal.number}. {goal.title}", tuple(goal.series))
                for goal in review.goals
            ),
            charts.Target(charts.TOP, t._("10: goal reached")),
        )
        for review in reviews
    ]


async def build(
    session: AsyncSession,
    practitioner: User,
    t: Translator,
    *,
    today: date,
    library: ContentLibrary,
    default_timezone: str,
    measures_by_id: Mapping[str, Measure] | None = None,
    rules: DecisionRules = DEFAULT_RULES,
) -> Digest:
    """The digest of the week before ``today`` (the practitioner's local date)."""
    zone = zone_or_default(practitioner.timezone, default_timezone)
    week = review_week(today)
    reviews = await load_review(
        session, practitioner.id, week=week, zone=zone, measures_by_id=measures_by_id, rules=rules
    )
    messages = compose(
        t, reviews, week=week, zone=zone, library=library, measures_by_id=measures_by_id
    )
    urgent = [r for r in ordered(reviews) if r.signals.needs_attention and r.goals]
    picture = None
    if urgent:
        picture = await charts.png(
            chart_panels(t, urgent), y_label=t._("rating (0–10)"), locale=t.locale
        )
    return Digest(messages, picture, [r.client_id for r in reviews])


def renderer(
    library: ContentLibrary,
    default_timezone: str,
    measures_by_id: Mapping[str, Measure] | None = None,
    rules: DecisionRules = DEFAULT_RULES,
    web_app_url: str | None = None,
):
    """The outbox renderer of ``digest`` rows (payload: schedule id and local date); with
    ``web_app_url``, its first part carries a button that opens the caseload."""

    async def render(context: RenderContext) -> Rendered:
        practitioner = await context.session.get(User, context.user_id)
        assert practitioner is not None
        today = date.fromisoformat(context.payload["local_date"])
        digest = await build(
            context.session,
            practitioner,
            context.t,
            today=today,
            library=library,
            default_timezone=default_timezone,
            measures_by_id=measures_by_id,
            rules=rules,
        )
        first, *rest = digest.messages
        photo = (
            Photo(
                digest.chart, context.t._("Ratings of the last 8 weeks: clients needing attention")
            )
            if digest.chart
            else None
        )
        return Rendered(
            text=first,
            more=tuple(rest),
            photo=photo,
            buttons=dashboard_buttons(context.t, web_app_url),
        )

    return render


async def on_sent(session: AsyncSession, sent: SentContext) -> None:
    """A digest sent is a read of every client in it: one access-log row each."""
    clients = select(CareTeamMember.client_id).where(
        CareTeamMember.practitioner_id == sent.user_id,
        CareTeamMember.state == MembershipState.ACTIVE,
    )
    ids = list(await session.scalars(clients))
    await audit.record_many(session, sent.user_id, AuditAction.DIGEST, ids)


def parse_preference(typed: str, locales: Sequence[str]) -> tuple[int, time] | None:
    """``"monday 7:30"``, ``"Mo 07:30"``, ``"miércoles 9:00"`` → (weekday 0–6, time)."""
    match = re.fullmatch(r"\s*(\S+)\s+(\d{1,2})[:.h](\d{2})\s*", typed)
    if match is None:
        return None
    wanted = match[1].casefold().rstrip(".")
    hour, minute = int(match[2]), int(match[3])
    if hour > 23 or minute > 59:
        return None
    for locale in locales:
        for width in ("wide", "abbreviated", "short"):
            for weekday, name in get_day_names(width, locale=locale).items():
                if name.casefold().rstrip(".") == wanted:
                    return weekday, time(hour, minute)
    return None


async def _lock(session: AsyncSession) -> None:
    """On PostgreSQL, one transaction at a time makes digest schedules: two instances never
    both add one for the same practitioner."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(ADVISORY_LOCK)))


async def set_preference(
    session: AsyncSession,
    user: User,
    *,
    weekday: int,
    at: time,
    now: datetime,
    default_timezone: str,
) -> Schedule:
    """The practitioner's digest day and local time, from the next such slot. No commit."""
    await _lock(session)
    schedule = await session.scalar(
        select(Schedule).where(Schedule.user_id == user.id, Schedule.kind == KIND)
    )
    if schedule is None:
        schedule = Schedule(user_id=user.id, kind=KIND)
        session.add(schedule)
    schedule.weekdays = 1 << weekday
    schedule.local_time = at
    slot = _plan(
        after=now,
        weekdays=schedule.weekdays,
        local_time=at,
        checkin_time=None,
        timezone=user.timezone,
        quiet_start=user.quiet_start,
        quiet_end=user.quiet_end,
        after_date=schedule.last_slot_date,
        default_timezone=default_timezone,
    )
    schedule.next_due_at = slot.due_at if slot else None
    schedule.next_slot_date = slot.local_date if slot else None
    return schedule


async def ensure_schedules(session: AsyncSession, *, now: datetime, default_timezone: str) -> int:
    """A ``digest`` schedule (Monday 08:00 local) for every practitioner with a client
    and no schedule yet (someone without clients gets no weekly "nothing to review").

    One query to find them, one insert for all. Does not commit.
    """
    await _lock(session)
    missing = (
        await session.execute(
            select(User)
            .join(Practitioner, Practitioner.user_id == User.id)
            .where(
                User.role == Role.PRACTITIONER,
                select(CareTeamMember.id)
                .where(
                    CareTeamMember.practitioner_id == User.id,
                    CareTeamMember.state == MembershipState.ACTIVE,
                )
                .exists(),
                ~select(Schedule.id)
                .where(Schedule.user_id == User.id, Schedule.kind == KIND)
                .exists(),
            )
        )
    ).scalars()
    rows = []
    for user in missing:
        slot = _plan(
            after=now,
            weekdays=DEFAULT_WEEKDAYS,
            local_time=DEFAULT_TIME,
            checkin_time=None,
            timezone=user.timezone,
            quiet_start=None,
            quiet_end=None,
            after_date=None,
            default_timezone=default_timezone,
        )
        rows.append(
            {
                "user_id": user.id,
                "kind": KIND,
                "weekdays": DEFAULT_WEEKDAYS,
                "local_time": DEFAULT_TIME,
                "next_due_at": slot.due_at if slot else None,
                "next_slot_date": slot.local_date if slot else None,
                "created_at": now,
                "updated_at": now,
            }
        )
    if rows:
        await session.execute(insert(Schedule), rows)
    return len(rows)
