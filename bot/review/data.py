"""Reading what a practitioner reviews, in bulk: a fixed number of queries whatever the
number of clients (each query selects over the practitioner's active memberships, as a
subquery, never one client at a time).

:func:`load_review` returns plain values (:class:`ClientReview`); the arithmetic is in
:mod:`bot.domain.review`, the wording in :mod:`bot.review.digest`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    CareTeamMember,
    Checkin,
    CheckinStatus,
    GasScore,
    Goal,
    GoalRating,
    GoalStatus,
    LessonDelivery,
    MembershipState,
    ProgramAnswer,
    SafetyFlag,
    Strategy,
    StrategyAnswer,
    StreakState,
    TeamNote,
    TeamRole,
    User,
    UserStatus,
)
from bot.domain import gas
from bot.domain.crisis import Severity
from bot.domain.decision import DEFAULT_RULES, DecisionRules
from bot.domain.engagement import (
    LessonEvents,
    Lessons,
    StrategyPlan,
    lessons,
    strategies,
)
from bot.domain.review import (
    Adherence,
    AttentionSignals,
    Trend,
    Week,
    adherence,
    mean,
    missed_run,
    trend,
)
from bot.domain.schedule import zone_or_default
from bot.domain.traffic_light import (
    Assessment,
    GoalHistory,
    ItemAlert,
    MeasureResult,
    assess,
)
from bot.domain.windows import review_week
from bot.goals.manage import LISTED, NUMBER_ORDER
from bot.lessons.engagement import Engagement, engagement
from bot.measures.model import Measure
from bot.review import measures
from bot.review.measures import MeasureReview

# Goals a practitioner reviews: everything but drafts (a dropped goal keeps its history).
REVIEWED = LISTED
# Notes and reflections shown in full in a digest: the newest few (the rest are counted).
SHOWN_TEXTS = 3


@dataclass
class GoalReview:
    goal_id: int
    number: int  # 1, 2, … in the order the client's goals were made
    title: str
    status: GoalStatus
    week_mean: float | None = None
    baseline_mean: float | None = None
    trend: Trend | None = None
    gas_level: int | None = None
    # (local date, value) over the chart's weeks, oldest first.
    series: list[tuple[date, int]] = field(default_factory=list)
    # The goal's first rated days (its baseline, bot.domain.trends), oldest first.
    first_days: list[tuple[date, int]] = field(default_factory=list)
    gas_recorded_on: date | None = None  # local date (practitioner's zone) of the level


@dataclass
class Reflection:
    lesson_id: str
    answered_at: datetime
    text: str


@dataclass
class Note:
    created_at: datetime
    author_id: int | None
    text: str


class WordsKind(StrEnum):
    """Where the client wrote their own words."""

    CHECKIN_NOTE = "checkin_note"
    REFLECTION = "reflection"
    PROGRAM_ANSWER = "program_answer"


@dataclass(frozen=True)
class Words:
    """Something the client wrote (decrypted on reading: ``bot.db.encrypted``)."""

    kind: WordsKind
    written_at: datetime
    text: str
    lesson_id: str | None = None  # a reflection's or program answer's lesson
    program_id: str | None = None
    question: int | None = None  # a program answer's question (index in the step)


@dataclass
class ClientReview:
    client_id: int
    alias: str | None
    role: TeamRole
    status: UserStatus
    adherence: Adherence = field(default_factory=lambda: Adherence(0, 0))
    missed_in_row: int = 0
    missed_in_week: int = 0
    last_checkin: date | None = None
    streak: int = 0
    best_streak: int = 0
    goals: list[GoalReview] = field(default_factory=list)
    gas_t: float | None = None
    # Engagement in the window (bot.domain.engagement): strategies done of those due, and
    # the lessons delivered in it, opened and finished.
    strategies_done: int = 0
    strategies_due: int = 0
    lessons: Lessons = field(default_factory=Lessons)
    lessons_finished: list[str] = field(default_factory=list)
    # The client's own words, newest first (only for /client and the export).
    words: list[Words] = field(default_factory=list)
    # Lessons per area over all time, and spaced-review answers (bot.lessons.engagement).
    lesson_engagement: Engagement | None = None
    reflections: list[Reflection] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    flags: list[datetime] = field(default_factory=list)  # crisis language: alerted at once
    distress: list[datetime] = field(default_factory=list)  # distress below it: no alert
    # Each measure answered (first and latest total, reliable change, cut-off, alerts).
    measures: list[MeasureReview] = field(default_factory=list)
    # Decision support: the traffic light with its reasons, trends, GAS summary and review
    # prompts (bot.domain.traffic_light.assess), at the end of the week read.
    assessment: Assessment | None = None

    @property
    def signals(self) -> AttentionSignals:
        return AttentionSignals(
            flags=len(self.flags),
            declines=sum(1 for goal in self.goals if goal.trend is Trend.DOWN),
            missed=self.missed_in_week,
            unreachable=self.status is UserStatus.UNREACHABLE,
        )


async def last_checkins(session: AsyncSession, client_ids: list[int]) -> dict[int, date]:
    """Client id → the local date of their last answered check-in (one query)."""
    if not client_ids:
        return {}
    rows = await session.execute(
        select(Checkin.user_id, func.max(Checkin.local_date))
        .where(Checkin.user_id.in_(client_ids), Checkin.status == CheckinStatus.ANSWERED)
        .group_by(Checkin.user_id)
    )
    return dict(rows.all())


def utc_range(week_start: date, week_end: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The instants of a run of local days: [start 00:00, day after end 00:00)."""
    start = datetime.combine(week_start, time(0), zone)
    end = datetime.combine(week_end + timedelta(days=1), time(0), zone)
    return start, end


def _clients(practitioner_id: int, client_id: int | None) -> Select[int]:
    query = select(CareTeamMember.client_id).where(
        CareTeamMember.practitioner_id == practitioner_id,
        CareTeamMember.state == MembershipState.ACTIVE,
    )
    if client_id is not None:
        query = query.where(CareTeamMember.client_id == client_id)
    return query


# How far back the client view and the export show a client's ratings.
CLIENT_HISTORY_WEEKS = 12


async def load_client_review(
    session: AsyncSession,
    practitioner_id: int,
    client_id: int,
    *,
    today: date,
    zone: ZoneInfo,
    measures_by_id: Mapping[str, Measure] | None = None,
    rules: DecisionRules = DEFAULT_RULES,
    words: bool = True,
) -> ClientReview | None:
    """One client as the client view and the export show them: the digest's window
    (:func:`~bot.domain.windows.review_week`, so both agree when read the same day),
    ``CLIENT_HISTORY_WEEKS`` of ratings, every text and (``words``) all the client's own
    words; None when the practitioner is not on their team."""
    reviews = await load_review(
        session,
        practitioner_id,
        week=review_week(today),
        zone=zone,
        client_id=client_id,
        history_weeks=CLIENT_HISTORY_WEEKS,
        all_texts=True,
        words=words,
        through=today,
        measures_by_id=measures_by_id,
        rules=rules,
    )
    return reviews[0] if reviews else None


async def load_review(
    session: AsyncSession,
    practitioner_id: int,
    *,
    week: Week,
    zone: ZoneInfo,
    client_id: int | None = None,
    history_weeks: int | None = None,
    all_texts: bool = False,
    words: bool = False,
    through: date | None = None,
    measures_by_id: Mapping[str, Measure] | None = None,
    rules: DecisionRules = DEFAULT_RULES,
    light_only: bool = False,
) -> list[ClientReview]:
    """Every client the practitioner may see (or just ``client_id``), in membership order.

    ``history_weeks`` widens the rating series beyond the chart's eight weeks, and
    ``all_texts`` reads every reflection and note, not just the week's (/client, /export);
    ``words`` also reads the client's check-in notes and program answers (two queries);
    ``through`` (a local day after the week) extends texts and safety flags up to its end.
    ``light_only`` (the caseload) reads only what the traffic light is made of, with
    adherence, streaks and the last check-in: no strategies, lessons, notes, safety
    flags or words (seven queries fewer); the light is the same as with everything.
    """
    clients = _clients(practitioner_id, client_id)
    # Columns, not ORM entities, throughout: the caseload reads hundreds of clients and
    # building (and decrypting) whole objects cost more than the queries.
    rows = await session.execute(
        select(
            CareTeamMember.client_id,
            CareTeamMember.alias,
            CareTeamMember.role,
            User.status,
            User.timezone,
        )
        .join(User, User.id == CareTeamMember.client_id)
        .where(
            CareTeamMember.practitioner_id == practitioner_id,
            CareTeamMember.state == MembershipState.ACTIVE,
            *([CareTeamMember.client_id == client_id] if client_id is not None else []),
        )
        .order_by(CareTeamMember.id)
    )
    reviews: dict[int, ClientReview] = {}
    client_zones: dict[int, ZoneInfo] = {}
    for user_id, alias, role, user_status, timezone in rows:
        reviews[user_id] = ClientReview(user_id, alias, role, user_status)
        client_zones[user_id] = zone_or_default(timezone, zone.key)
    if not reviews:
        return []
    series_start = week.chart_start
    if history_weeks is not None:
        series_start = min(series_start, week.end - timedelta(days=7 * history_weeks - 1))
    since, until = utc_range(week.start, week.end, zone)
    text_since = datetime(1970, 1, 1, tzinfo=zone) if all_texts else since
    # Texts and safety flags are read up to the end of ``through`` (/client: today), so
    # nothing written or flagged today is hidden by the counting window.
    text_until = utc_range(week.start, through, zone)[1] if through is not None else until

    # Goals numbered per client as everywhere else (NUMBER_ORDER).
    goals: dict[int, GoalReview] = {}
    for goal_id, user_id, title, goal_status in await session.execute(
        select(Goal.id, Goal.user_id, Goal.title, Goal.status)
        .where(Goal.user_id.in_(clients), Goal.status.in_(REVIEWED))
        .order_by(Goal.user_id, *NUMBER_ORDER)
    ):
        review = reviews[user_id]
        entry = GoalReview(goal_id, len(review.goals) + 1, title or "", goal_status)
        review.goals.append(entry)
        goals[goal_id] = entry

    # Ratings over the longest window needed (chart, or baseline + week), in no order:
    # sorting each goal's few dozen days here is cheaper than an ORDER BY on SQLite.
    first_day = min(series_start, week.baseline_start)
    read: dict[int, list[tuple[date, int]]] = defaultdict(list)
    # On the session's connection (same transaction): plain column rows skip the ORM's
    # result layer, a quarter of the cost of tens of thousands of ratings.
    connection = await session.connection()
    for goal_id, day, value in await connection.execute(
        select(GoalRating.goal_id, GoalRating.local_date, GoalRating.value).where(
            GoalRating.user_id.in_(clients),
            GoalRating.local_date >= first_day,
            GoalRating.local_date <= week.end,
        )
    ):
        read[goal_id].append((day, value))
    # Each goal's first rated days (the trend's baseline) before that window, however long
    # ago; a goal with fewer there takes the rest from the window (days are unique per
    # goal, so these are its first days overall). One query, which reads only the ratings
    # older than the window (numbering every rating cost as much as reading the window).
    numbered = (
        select(
            GoalRating.goal_id,
            GoalRating.local_date,
            GoalRating.value,
            func.row_number()
            .over(partition_by=GoalRating.goal_id, order_by=GoalRating.local_date)
            .label("position"),
        )
        .where(GoalRating.user_id.in_(clients), GoalRating.local_date < first_day)
        .subquery()
    )
    for goal_id, day, value in await session.execute(
        select(numbered.c.goal_id, numbered.c.local_date, numbered.c.value)
        .where(numbered.c.position <= rules.baseline_days)
        .order_by(numbered.c.goal_id, numbered.c.local_date)
    ):
        if goal_id in goals:
            goals[goal_id].first_days.append((day, value))
    week_start, baseline_start = week.start, week.baseline_start
    for goal_id, entry in goals.items():
        ratings = sorted(read.get(goal_id, ()))
        entry.first_days += ratings[: max(0, rules.baseline_days - len(entry.first_days))]
        entry.series = [(day, value) for day, value in ratings if day >= series_start]
        # The week ends the read (local_date <= week.end).
        entry.week_mean = mean(value for day, value in ratings if day >= week_start)
        entry.baseline_mean = mean(
            value for day, value in ratings if baseline_start <= day < week_start
        )
        entry.trend = trend(entry.week_mean, entry.baseline_mean)

    # Check-ins: adherence in the week, the run of missed ones, the last answered.
    statuses: dict[int, list[tuple[date, str]]] = defaultdict(list)
    for user_id, day, status in await connection.execute(
        select(Checkin.user_id, Checkin.local_date, Checkin.status).where(
            Checkin.user_id.in_(clients),
            Checkin.local_date >= week.baseline_start,
            Checkin.local_date <= week.end,
        )
    ):
        statuses[user_id].append((day, str(status.value)))
    # The status as a FILTER, not in WHERE: PostgreSQL otherwise intersects the client
    # index with the status index, which holds every answered check-in of everyone.
    last_answered = dict(
        (
            await session.execute(
                select(
                    Checkin.user_id,
                    func.max(Checkin.local_date).filter(Checkin.status == CheckinStatus.ANSWERED),
                )
                .where(Checkin.user_id.in_(clients))
                .group_by(Checkin.user_id)
            )
        ).all()
    )
    for user_id, review in reviews.items():
        days = statuses.get(user_id, [])
        review.adherence = adherence(s for d, s in days if week.contains(d))
        review.missed_in_week = sum(1 for d, s in days if week.contains(d) and s == "missed")
        review.missed_in_row = missed_run(days)[0]
        review.last_checkin = last_answered.get(user_id)

    for user_id, current, best in await session.execute(
        select(StreakState.user_id, StreakState.current, StreakState.best).where(
            StreakState.user_id.in_(clients)
        )
    ):
        reviews[user_id].streak = current
        reviews[user_id].best_streak = best

    # The newest GAS level of each goal.
    newest = (
        select(GasScore.goal_id, func.max(GasScore.id).label("last_id"))
        .join(Goal, Goal.id == GasScore.goal_id)
        .where(Goal.user_id.in_(clients))
        .group_by(GasScore.goal_id)
        .subquery()
    )
    for goal_id, level, rated_at in await session.execute(
        select(GasScore.goal_id, GasScore.level, GasScore.rated_at).join(
            newest, newest.c.last_id == GasScore.id
        )
    ):
        if goal_id in goals:
            goals[goal_id].gas_level = level
            goals[goal_id].gas_recorded_on = rated_at.astimezone(zone).date()
    for review in reviews.values():
        levels = [g.gas_level for g in review.goals if g.gas_level is not None]
        review.gas_t = gas.t_score(levels) if levels else None

    if not light_only:
        await _activity(
            session,
            clients,
            reviews,
            week=week,
            zone=zone,
            client_zones=client_zones,
            statuses=statuses,
            texts=(text_since, text_until),
            words=words,
        )

    # Measures: first and latest totals, reliable change, cut-offs, item alerts.
    known = measures_by_id or {}
    for user_id, all_series in (
        await measures.measure_series(session, clients, week, known)
    ).items():
        reviews[user_id].measures = [
            measures.review_of(known[entry.measure_id], entry) for entry in all_series
        ]

    for review in reviews.values():
        review.assessment = assessment(review, week, measures_by_id or {}, rules)
    return list(reviews.values())


async def _activity(
    session: AsyncSession,
    clients: Select[int],
    reviews: Mapping[int, ClientReview],
    *,
    week: Week,
    zone: ZoneInfo,
    client_zones: Mapping[int, ZoneInfo],
    statuses: Mapping[int, list[tuple[date, str]]],
    texts: tuple[datetime, datetime],
    words: bool,
) -> None:
    """What the clients did besides rating and checking in: strategies, lessons and
    reflections, their words, team notes, safety flags (the digest, /client, the export;
    not the traffic light)."""
    since, until = utc_range(week.start, week.end, zone)
    text_since, text_until = texts
    # Strategies: done of due on the days the client was asked, in the window (two
    # queries: the strategies as they stand, the answers since the window's first Monday).
    plans: dict[int, list[StrategyPlan]] = defaultdict(list)
    for (
        strategy_id,
        frequency,
        created_at,
        active,
        weekdays,
        times_per_week,
        user_id,
        goal_status,
    ) in await session.execute(
        select(
            Strategy.id,
            Strategy.frequency,
            Strategy.created_at,
            Strategy.active,
            Strategy.weekdays,
            Strategy.times_per_week,
            Goal.user_id,
            Goal.status,
        )
        .join(Goal, Goal.id == Strategy.goal_id)
        .where(Goal.user_id.in_(clients))
        .order_by(Strategy.id)
    ):
        plans[user_id].append(
            StrategyPlan(
                strategy_id,
                str(frequency.value),
                created_at.astimezone(client_zones[user_id]).date(),
                active and goal_status is GoalStatus.ACTIVE,
                weekdays=weekdays,
                times_per_week=times_per_week,
            )
        )
    strategy_answers: dict[int, dict[tuple[int, date], bool]] = defaultdict(dict)
    for user_id, day, strategy_id, done in await session.execute(
        select(Checkin.user_id, Checkin.local_date, StrategyAnswer.strategy_id, StrategyAnswer.done)
        .join(Checkin, Checkin.id == StrategyAnswer.checkin_id)
        .where(
            Checkin.user_id.in_(clients),
            Checkin.local_date >= week.start - timedelta(days=week.start.weekday()),
            Checkin.local_date <= week.end,
        )
    ):
        strategy_answers[user_id][(strategy_id, day)] = done
    for user_id, review in reviews.items():
        asked = [d for d, s in statuses.get(user_id, []) if s in ("answered", "missed")]
        counted = strategies(plans.get(user_id, []), asked, strategy_answers.get(user_id, {}), week)
        review.strategies_done, review.strategies_due = counted.done, counted.due

    # Lessons delivered (then opened, finished) and finished in the week; reflections.
    events: dict[int, list[LessonEvents]] = defaultdict(list)
    for delivery in await session.scalars(
        select(LessonDelivery)
        .where(
            LessonDelivery.user_id.in_(clients),
            (
                and_(LessonDelivery.finished_at >= since, LessonDelivery.finished_at < until)
                | and_(LessonDelivery.delivered_at >= since, LessonDelivery.delivered_at < until)
                | and_(
                    LessonDelivery.reflection_answered_at >= text_since,
                    LessonDelivery.reflection_answered_at < text_until,
                )
            ),
        )
        .order_by(LessonDelivery.id)
    ):
        review = reviews[delivery.user_id]
        events[delivery.user_id].append(
            LessonEvents(
                delivery.delivered_at.astimezone(zone).date(),
                _local_day(delivery.opened_at, zone),
                _local_day(delivery.finished_at, zone),
            )
        )
        if delivery.finished_at is not None and since <= delivery.finished_at < until:
            review.lessons_finished.append(delivery.lesson_id)
        answered = delivery.reflection_answered_at
        if (
            delivery.reflection_text
            and answered is not None
            and text_since <= answered < text_until
        ):
            review.reflections.append(
                Reflection(delivery.lesson_id, answered, delivery.reflection_text)
            )
            if words:
                review.words.append(
                    Words(
                        WordsKind.REFLECTION,
                        answered,
                        delivery.reflection_text,
                        delivery.lesson_id,
                        delivery.program_id,
                    )
                )
    for user_id, review in reviews.items():
        review.lessons = lessons(events.get(user_id, []), week)

    if words:
        await _read_words(session, clients, text_until, reviews)

    for user_id, found in (await engagement(session, list(reviews))).items():
        reviews[user_id].lesson_engagement = found

    for client, created_at, author_id, text in await session.execute(
        select(TeamNote.client_id, TeamNote.created_at, TeamNote.author_id, TeamNote.text)
        .where(TeamNote.client_id.in_(clients), TeamNote.created_at >= text_since)
        .where(TeamNote.created_at < text_until)
        .order_by(TeamNote.created_at, TeamNote.id)
    ):
        reviews[client].notes.append(Note(created_at, author_id, text))

    for user_id, created_at, severity in await session.execute(
        select(SafetyFlag.user_id, SafetyFlag.created_at, SafetyFlag.severity)
        .where(
            SafetyFlag.user_id.in_(clients),
            SafetyFlag.created_at >= since,
            SafetyFlag.created_at < text_until,
        )
        .order_by(SafetyFlag.created_at)
    ):
        if severity is Severity.DISTRESS:
            reviews[user_id].distress.append(created_at)  # for review; it raised no alert
        else:
            reviews[user_id].flags.append(created_at)


def _local_day(moment: datetime | None, zone: ZoneInfo) -> date | None:
    return moment.astimezone(zone).date() if moment is not None else None


async def _read_words(
    session: AsyncSession,
    clients: Select[int],
    until: datetime,
    reviews: Mapping[int, ClientReview],
) -> None:
    """Check-in notes and program answers up to the window's end (reflections are read
    with the lessons), then every client's words newest first. Two queries."""
    for user_id, answered_at, opened_at, note in await session.execute(
        select(Checkin.user_id, Checkin.answered_at, Checkin.opened_at, Checkin.note).where(
            Checkin.user_id.in_(clients), Checkin.note.is_not(None), Checkin.opened_at < until
        )
    ):
        # A note has no time of its own: it ends its check-in, dated by the first answer.
        written: datetime = answered_at or opened_at
        if note:
            reviews[user_id].words.append(Words(WordsKind.CHECKIN_NOTE, written, note))
    for user_id, lesson_id, program_id, question, answered_at, text in await session.execute(
        select(
            LessonDelivery.user_id,
            LessonDelivery.lesson_id,
            LessonDelivery.program_id,
            ProgramAnswer.question,
            ProgramAnswer.answered_at,
            ProgramAnswer.answer_text,
        )
        .join(LessonDelivery, LessonDelivery.id == ProgramAnswer.delivery_id)
        .where(
            LessonDelivery.user_id.in_(clients),
            ProgramAnswer.answer_text.is_not(None),
            ProgramAnswer.answered_at < until,
        )
    ):
        if text and answered_at is not None:
            reviews[user_id].words.append(
                Words(WordsKind.PROGRAM_ANSWER, answered_at, text, lesson_id, program_id, question)
            )
    for review in reviews.values():
        review.words.sort(key=lambda words: words.written_at, reverse=True)


def assessment(
    review: ClientReview, week: Week, measures_by_id: Mapping[str, Measure], rules: DecisionRules
) -> Assessment:
    """The traffic light of one client at the end of the week read (pure: from what
    :func:`load_review` read). A goal's ratings are its first rated days and the chart's
    weeks (the middle of a long, sparse history is not read)."""
    histories = [
        GoalHistory(
            goal.number,
            goal.title,
            tuple(dict([*goal.first_days, *goal.series]).items()),
            gas_level=goal.gas_level,
            gas_recorded_on=goal.gas_recorded_on,
        )
        for goal in review.goals
    ]
    results = [
        MeasureResult(
            measure.outcome.measure_id,
            measure.outcome.latest,
            measure.outcome.first if measure.outcome.count >= 2 else None,
            measure.outcome.direction,
            None
            if measure.outcome.clinical_latest is None
            else not measure.outcome.clinical_latest,
            tuple(ItemAlert(item, answer) for item, answer in measure.item_alerts),
            measure.outcome.crossing,
            measure.outcome.cutoff,
        )
        for measure in review.measures
    ]
    return assess(
        histories,
        week.end,
        missed_in_a_row=review.missed_in_row,
        measures=results,
        rules=rules,
    )
