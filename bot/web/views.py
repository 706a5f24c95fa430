"""What the web view's pages show, read through the same layers as the chat commands.

The caseload reads every visible client in bulk (``bot.review.data.load_review``: a
fixed number of queries whatever the caseload, plus one for unopened lessons); a
client page asks the access policy first (``bot.access.policy.authorize_id``), then
reads with ``load_client_review`` and the lessons' and access log's own queries. What
each page read is written to the access log in the same transaction, like the
commands do (``bot.audit``). Plain data out; the wording of reasons comes from
``bot.review.reasons``. No web framework here.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import audit
from bot.access import policy
from bot.access.policy import TEAM_READ
from bot.audit import AuditAction
from bot.content.library import ContentLibrary
from bot.db.base import utcnow
from bot.db.models import (
    Goal,
    LessonDelivery,
    Practitioner,
    Strategy,
    TeamRole,
    User,
    UserStatus,
)
from bot.domain.crisis import Severity
from bot.domain.decision import DecisionRules
from bot.domain.goal_commands import Frequency, FrequencyKind
from bot.domain.review import Trend, Week
from bot.domain.traffic_light import COLOUR_ORDER, Colour
from bot.enrollment.client_lookup import client_label
from bot.goals.delivery import frequency_text
from bot.i18n import N_, Translator
from bot.lessons.progress import LessonProgress, client_progress
from bot.measures.model import Measure
from bot.review import attention, data, digest, reasons
from bot.review.data import ClientReview
from bot.review.measure_lines import measure_lines
from bot.review.usecases import ACTION_LABELS, access_log_rows
from bot.safety import usecases as safety_cases

STATES = {
    UserStatus.ONBOARDING: N_("setting up"),
    UserStatus.ACTIVE: N_("active"),
    UserStatus.STOPPED: N_("stopped"),
    UserStatus.UNREACHABLE: N_("unreachable"),
}
COLOUR_NAMES = {
    Colour.RED: N_("needs attention"),
    Colour.YELLOW: N_("watch"),
    Colour.GREEN: N_("on track"),
    Colour.GREY: N_("not enough data"),
}
TREND_NAMES = {
    Trend.UP.value: N_("up on the weeks before"),
    Trend.DOWN.value: N_("down on the weeks before"),
    Trend.STEADY.value: N_("steady"),
    Trend.NEW.value: N_("nothing to compare with yet"),
}


def week_to(today: date) -> Week:
    """The seven days up to today: the same window as the client view (/client)."""
    return Week(today - timedelta(days=6), today)


@dataclass(frozen=True)
class CaseloadRow:
    client_id: int
    label: str
    colour: Colour
    reason: str  # plain text (reasons are rendered as Telegram HTML, tags stripped by the page)
    state: str
    lead: bool
    last_checkin: date | None
    streak: int
    answered: int
    asked: int
    unopened_lessons: int
    flags: int  # open safety flags: crisis language nobody has acknowledged yet
    acknowledged: attention.Acknowledged | None = None  # someone took this light in hand

    @property
    def rank(self) -> int:
        return COLOUR_ORDER.index(self.colour)


async def caseload(
    session: AsyncSession,
    t: Translator,
    *,
    practitioner_id: int,
    today: date,
    zone: ZoneInfo,
    measures_by_id: Mapping[str, Measure],
    rules: DecisionRules,
) -> list[CaseloadRow]:
    """Every client the practitioner may see, needs-attention first; logged as read."""
    reviews = await data.load_review(
        session,
        practitioner_id,
        week=week_to(today),
        zone=zone,
        measures_by_id=measures_by_id,
        rules=rules,
        light_only=True,  # a row shows the light, adherence, streak and last check-in
    )
    ids = [review.client_id for review in reviews]
    unopened = await unopened_lessons(session, ids)
    open_flags = await safety_cases.open_counts(session, ids)
    now = utcnow()
    taken_in_hand = await attention.latest(session, ids, now=now)
    names = digest.measure_names(t, measures_by_id)
    rows = []
    for review in reviews:
        row = _row(
            t, review, unopened.get(review.client_id, 0), open_flags.get(review.client_id, 0), names
        )
        acknowledged = taken_in_hand.get(review.client_id)
        if attention.covers(acknowledged, row.colour, now):
            row = replace(row, acknowledged=acknowledged)
        rows.append(row)
    await audit.record_many(session, practitioner_id, AuditAction.CASELOAD_VIEW, ids)
    # Within a colour, a light nobody has taken in hand yet comes before one somebody has.
    return sorted(
        rows,
        key=lambda row: (row.rank, row.acknowledged is not None, -row.flags, row.label.casefold()),
    )


def _row(
    t: Translator, review: ClientReview, unopened: int, open_flags: int, names: dict[str, str]
) -> CaseloadRow:
    light = review.assessment.light if review.assessment is not None else None
    colour = light.colour if light is not None else Colour.GREY
    return CaseloadRow(
        client_id=review.client_id,
        label=digest.label(t, review),
        colour=colour,
        reason=reasons.reasons_line(t, light.reasons, names, limit=2) if light else "",
        state=t._(STATES[review.status]),
        lead=review.role == TeamRole.LEAD,
        last_checkin=review.last_checkin,
        streak=review.streak,
        answered=review.adherence.answered,
        asked=review.adherence.scheduled,
        unopened_lessons=unopened,
        flags=open_flags,
    )


def filtered(rows: list[CaseloadRow], *, q: str, show: str, sort: str) -> list[CaseloadRow]:
    """The caseload as asked: a search on the name, who to show, in which order."""
    needle = q.casefold()
    picked = [
        row
        for row in rows
        if (not needle or needle in row.label.casefold())
        and (show != "attention" or row.colour in (Colour.RED, Colour.YELLOW) or row.flags > 0)
        and (show != "flags" or row.flags > 0)
    ]
    if sort == "name":
        picked.sort(key=lambda row: row.label.casefold())
    elif sort == "checkin":
        picked.sort(key=lambda row: (row.last_checkin or date.min, row.label.casefold()))
    return picked


async def unopened_lessons(session: AsyncSession, client_ids: list[int]) -> dict[int, int]:
    """Client id → lessons delivered but not opened yet (one query)."""
    if not client_ids:
        return {}
    rows = await session.execute(
        select(LessonDelivery.user_id, func.count())
        .where(
            LessonDelivery.user_id.in_(client_ids),
            LessonDelivery.delivered_at.is_not(None),
            LessonDelivery.opened_at.is_(None),
        )
        .group_by(LessonDelivery.user_id)
    )
    return {user_id: count for user_id, count in rows.all()}


# --------------------------------------------------------------------------- a client


@dataclass(frozen=True)
class WeekMean:
    start: date
    mean: float | None


@dataclass(frozen=True)
class GoalView:
    goal_id: int
    number: int
    title: str
    status: str
    series: list[tuple[date, int]]
    week_mean: float | None
    trend: Trend | None
    gas_level: int | None
    target_date: date | None
    gas_levels: dict[int, str]  # level → what it looks like
    weekly: list[WeekMean]
    strategies: list[str] = field(default_factory=list)  # "what (how often)", active ones


@dataclass(frozen=True)
class FlagView:
    flag_id: int
    created_at: datetime
    severity: str  # what kind of language, in words
    acknowledged_at: datetime | None
    acknowledged_by: str


SEVERITY_NAMES = {
    Severity.HIGH: N_("explicit crisis language"),
    Severity.MEDIUM: N_("an indirect warning sign"),
    Severity.DISTRESS: N_("distress"),
}


@dataclass(frozen=True)
class NoteView:
    created_at: datetime
    author: str
    text: str


@dataclass(frozen=True)
class WordsView:
    """Something the client wrote: when, where (plain text) and the words themselves."""

    written_at: datetime
    source: str  # Telegram HTML, as the digest writes it (the template makes it plain)
    text: str


@dataclass(frozen=True)
class LogView:
    created_at: datetime
    who: str
    action: str


@dataclass
class ClientPage:
    client_id: int
    label: str
    lead: bool
    stopped: bool
    state: str
    colour: Colour
    reasons: list[str]
    gas: str | None
    review: ClientReview
    goals: list[GoalView]
    measures: list[str]  # one line per questionnaire
    lessons: list[LessonProgress]
    notes: list[NoteView]
    flags: list[FlagView]
    log: list[LogView] | None  # None: not the lead's to read
    words: list[WordsView] | None  # None: not asked for (they are shown on request)
    acknowledged: attention.Acknowledged | None  # who took this light in hand, if anyone
    chart_start: date
    chart_end: date
    zone: ZoneInfo
    stale: list[str] = field(default_factory=list)


async def client_page(
    session: AsyncSession,
    t: Translator,
    *,
    practitioner: User,
    client_id: int,
    today: date,
    zone: ZoneInfo,
    library: ContentLibrary,
    measures_by_id: Mapping[str, Measure],
    rules: DecisionRules,
    reveal_words: bool = False,
) -> ClientPage | None:
    """One client, or None when the access policy says this practitioner may not see
    them (the page answers 404). What was read is logged, as /client, /lessons and
    (the lead) /audit log it; the client's own words only when asked for
    (``reveal_words``), and logged as such."""
    decision = await policy.authorize_id(session, practitioner, client_id, TEAM_READ)
    if not isinstance(decision, policy.Allowed):
        return None
    review = await data.load_client_review(
        session,
        practitioner.id,
        client_id,
        today=today,
        zone=zone,
        measures_by_id=measures_by_id,
        rules=rules,
        words=reveal_words,  # not even decrypted unless asked for
    )
    if review is None:
        return None
    found = decision.client
    label = client_label(t, found.alias, client_id)
    names = digest.measure_names(t, measures_by_id)
    light = review.assessment.light if review.assessment is not None else None
    week = week_to(today)
    goals = await _goals(session, t, review, week)
    lessons = await client_progress(session, library, t.locale, client_id)
    await audit.record(session, practitioner.id, AuditAction.CLIENT_VIEW, client_id)
    await audit.record(session, practitioner.id, AuditAction.LESSONS_VIEW, client_id)
    words = None
    if reveal_words:  # WORDS_READ is TEAM_READ: whoever sees the page may ask for them
        await audit.record(session, practitioner.id, AuditAction.WORDS_READ, client_id)
        words = [
            WordsView(said.written_at, digest.words_source(t, said, library), said.text)
            for said in review.words
        ]
    log = None
    if decision.is_lead:
        # Read after this view's own rows were written: the log shows this visit too.
        await audit.record(session, practitioner.id, AuditAction.AUDIT_VIEW, client_id)
        log = [
            LogView(
                event.created_at,
                name or str(event.actor_user_id),
                t._(ACTION_LABELS[event.action]) if event.action in ACTION_LABELS else event.action,
            )
            for event, name in await access_log_rows(session, client_id=client_id)
        ]
    gas = review.assessment.gas if review.assessment is not None else None
    colour = light.colour if light is not None else Colour.GREY
    now = utcnow()
    earlier = (await attention.latest(session, [client_id], now=now)).get(client_id)
    acknowledged = earlier if attention.covers(earlier, colour, now) else None
    return ClientPage(
        client_id=client_id,
        label=label,
        lead=decision.is_lead,
        stopped=policy.client_state(found.client) is policy.ClientState.STOPPED,
        state=t._(STATES[review.status]),
        colour=colour,
        reasons=[reasons.reason_text(t, reason, names) for reason in light.reasons]
        if light
        else [],
        gas=reasons.gas_text(t, gas) if gas is not None else None,
        review=review,
        goals=goals,
        # The same line per questionnaire as the digest and /client (scores, band,
        # reliable change, cut-off crossings), as plain text for the page.
        measures=[
            html.unescape(line) for line in measure_lines(t, review.measures, measures_by_id)
        ],
        lessons=lessons,
        notes=await _notes(session, review),
        flags=await _flags(session, t, client_id),
        log=log,
        words=words,
        acknowledged=acknowledged,
        chart_start=today - timedelta(days=7 * data.CLIENT_HISTORY_WEEKS - 1),
        chart_end=today,
        zone=zone,
    )


async def _goals(
    session: AsyncSession, t: Translator, review: ClientReview, week: Week
) -> list[GoalView]:
    ids = [goal.goal_id for goal in review.goals]
    targets: dict[int, date | None] = {}
    strategies: dict[int, list[str]] = {}
    if ids:
        rows = await session.execute(select(Goal.id, Goal.target_date).where(Goal.id.in_(ids)))
        targets = {goal_id: target for goal_id, target in rows.all()}
        for strategy in await session.scalars(
            select(Strategy)
            .where(Strategy.goal_id.in_(ids), Strategy.active.is_(True))
            .order_by(Strategy.id)
        ):
            often = frequency_text(
                t,
                Frequency(
                    FrequencyKind(strategy.frequency.value),
                    times_per_week=strategy.times_per_week,
                    weekdays=strategy.weekdays,
                ),
            )
            strategies.setdefault(strategy.goal_id, []).append(f"{strategy.title} ({often})")
    from bot.review import export  # its GAS level descriptions: one query

    details = await export.goal_details(session, review.client_id)
    views = []
    for goal in review.goals:
        views.append(
            GoalView(
                goal_id=goal.goal_id,
                number=goal.number,
                title=goal.title,
                status=goal.status.value,
                series=goal.series,
                week_mean=goal.week_mean,
                trend=goal.trend,
                gas_level=goal.gas_level,
                target_date=targets.get(goal.goal_id),
                gas_levels={
                    level: text
                    for (goal_id, level), text in details.gas_levels.items()
                    if goal_id == goal.goal_id
                },
                weekly=weekly_means(goal.series, week.end, data.CLIENT_HISTORY_WEEKS),
                strategies=strategies.get(goal.goal_id, []),
            )
        )
    return views


def weekly_means(series: list[tuple[date, int]], end: date, weeks: int) -> list[WeekMean]:
    """The mean rating of each of the ``weeks`` seven-day runs ending on ``end``, oldest first."""
    out = []
    for index in range(weeks - 1, -1, -1):
        last = end - timedelta(days=7 * index)
        first = last - timedelta(days=6)
        values = [value for day, value in series if first <= day <= last]
        out.append(WeekMean(first, sum(values) / len(values) if values else None))
    return out


async def _flags(session: AsyncSession, t: Translator, client_id: int) -> list[FlagView]:
    flags = await safety_cases.flags_to_review(session, client_id)
    names = await _names(session, {f.acknowledged_by_id for f in flags if f.acknowledged_by_id})
    return [
        FlagView(
            flag.id,
            flag.created_at,
            t._(SEVERITY_NAMES[flag.severity]),
            flag.acknowledged_at,
            names.get(flag.acknowledged_by_id, "") if flag.acknowledged_by_id else "",
        )
        for flag in flags
    ]


async def _names(session: AsyncSession, user_ids: set[int]) -> dict[int, str]:
    """Practitioners' display names by user id (one query)."""
    if not user_ids:
        return {}
    rows = await session.execute(
        select(Practitioner.user_id, Practitioner.display_name).where(
            Practitioner.user_id.in_(user_ids)
        )
    )
    return {user_id: name for user_id, name in rows.all()}


async def _notes(session: AsyncSession, review: ClientReview) -> list[NoteView]:
    names = await _names(
        session, {note.author_id for note in review.notes if note.author_id is not None}
    )
    return [
        NoteView(
            note.created_at,
            names.get(note.author_id, "") if note.author_id is not None else "",
            note.text,
        )
        for note in reversed(review.notes)
    ]
