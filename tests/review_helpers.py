"""A practitioner's caseload made directly in the database, with numbers chosen so the
digest can be checked by hand (see the comments next to each value)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import update

from bot.app import BotApplication
from bot.db.models import (
    CareTeamMember,
    Checkin,
    CheckinSource,
    CheckinStatus,
    GasLevel,
    GasScore,
    Goal,
    GoalRating,
    GoalRevision,
    GoalStatus,
    LessonDelivery,
    MembershipState,
    Role,
    SafetyFlag,
    Strategy,
    StrategyAnswer,
    StrategyFrequency,
    StreakState,
    TeamNote,
    TeamRole,
    User,
    UserStatus,
)
from bot.domain.crisis import Severity

LESSON = "thoughts-feelings-actions"
REFLECTION = "I sleep better <b>after</b> walks"
NOTE = "Discussed sleep hygiene & routines"
GAS_PLUS_ONE = "Asleep by midnight 5 nights of 7"


def services(bot: BotApplication):
    return bot.bot_data["services"]


def today() -> date:
    return datetime.now(UTC).date()


def at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), UTC)


@dataclass
class Caseload:
    anna: int
    ben: int
    cleo: int
    dan: int
    anna_goals: list[int]


async def set_utc(bot: BotApplication, user_id: int) -> None:
    async with services(bot).sessions() as session, session.begin():
        await session.execute(update(User).where(User.id == user_id).values(timezone="UTC"))


async def client(
    session,
    practitioner_id: int,
    telegram_id: int,
    alias: str | None,
    *,
    status: UserStatus = UserStatus.ACTIVE,
    role: TeamRole = TeamRole.LEAD,
) -> int:
    user = User(telegram_id=telegram_id, role=Role.CLIENT, status=status, locale="en")
    session.add(user)
    await session.flush()
    session.add(
        CareTeamMember(
            client_id=user.id,
            practitioner_id=practitioner_id,
            role=role,
            state=MembershipState.ACTIVE,
            alias=alias,
        )
    )
    return user.id


async def goal(session, user_id: int, title: str) -> int:
    row = Goal(user_id=user_id, status=GoalStatus.ACTIVE, title=title)
    session.add(row)
    await session.flush()
    return row.id


async def day(
    session,
    user_id: int,
    local_date: date,
    status: CheckinStatus,
    ratings: dict[int, int] | None = None,
    *,
    answered_at: datetime | None = None,
) -> int:
    checkin = Checkin(
        user_id=user_id,
        local_date=local_date,
        source=CheckinSource.SCHEDULED,
        status=status,
        opened_at=at(local_date, 8),
        closes_at=at(local_date, 20),
    )
    session.add(checkin)
    await session.flush()
    for goal_id, value in (ratings or {}).items():
        session.add(
            GoalRating(
                checkin_id=checkin.id,
                goal_id=goal_id,
                user_id=user_id,
                local_date=local_date,
                goal_version=1,
                value=value,
                answered_at=answered_at or at(local_date, 9),
            )
        )
    return checkin.id


async def caseload(bot: BotApplication, practitioner_id: int, base_telegram_id: int) -> Caseload:
    """Four clients; the week is the 7 days before today, the baseline the 28 before that.

    Anna: a safety flag; goal 1 week 3,4,2,3 (mean 3.0) vs baseline 6,7,6,5 (6.0) ↓;
          goal 2 week 5,6 (5.5) vs 5,5 (5.0) →; GAS +1, +1 → T = 50 + 20/√2.6 = 62.4;
          check-ins 4 answered of 7 (57 %), 2 missed, 1 skipped; streak 4 (best 9);
          strategies 3 done of 4; one lesson finished with a reflection; one team note.
    Ben:  goal 1 week 7,7 vs 7 (steady); 2 of 2 answered; nothing else.
    Cleo: no goals, nothing asked.
    Dan:  unreachable (blocked the bot).
    """
    now_day = today()
    d = [now_day - timedelta(days=n) for n in range(0, 40)]  # d[n] = n days ago
    async with services(bot).sessions() as session, session.begin():
        anna = await client(session, practitioner_id, base_telegram_id + 1, "Anna")
        ben = await client(session, practitioner_id, base_telegram_id + 2, "Ben")
        cleo = await client(session, practitioner_id, base_telegram_id + 3, "Cleo")
        dan = await client(
            session, practitioner_id, base_telegram_id + 4, "Dan", status=UserStatus.UNREACHABLE
        )
        g1 = await goal(session, anna, "Sleep before midnight")
        g2 = await goal(session, anna, "Walk daily")
        week = {1: (3, 5), 2: (4, 6), 3: (2, None), 4: (3, None)}
        for n, (v1, v2) in week.items():
            ratings = {g1: v1} | ({g2: v2} if v2 is not None else {})
            await day(session, anna, d[n], CheckinStatus.ANSWERED, ratings)
        await day(session, anna, d[5], CheckinStatus.MISSED)
        await day(session, anna, d[6], CheckinStatus.MISSED)
        skipped = await day(session, anna, d[7], CheckinStatus.SKIPPED)
        for n, (v1, v2) in {8: (6, 5), 9: (7, 5), 10: (6, None), 11: (5, None)}.items():
            ratings = {g1: v1} | ({g2: v2} if v2 is not None else {})
            await day(session, anna, d[n], CheckinStatus.ANSWERED, ratings)
        # an old rating outside the baseline (36 days ago) counts for nothing
        await day(session, anna, d[36], CheckinStatus.ANSWERED, {g1: 0})
        session.add(StreakState(user_id=anna, current=4, best=9, milestone=3))
        session.add(
            GoalRevision(
                goal_id=g1, version=1, changed_at=at(d[30]), snapshot='{"title": "Sleep earlier"}'
            )
        )
        # Reworded once: the goal is at version 2, as the use case leaves it.
        await session.execute(update(Goal).where(Goal.id == g1).values(version=2))
        session.add(GasLevel(goal_id=g1, level=1, description=GAS_PLUS_ONE))
        session.add_all(
            [
                GasScore(goal_id=g1, level=0, rated_at=at(d[20])),  # superseded
                GasScore(goal_id=g1, level=1, rated_at=at(d[2])),
                GasScore(goal_id=g2, level=1, rated_at=at(d[2])),
            ]
        )
        strategy = Strategy(goal_id=g2, title="10-minute walk", frequency=StrategyFrequency.DAILY)
        session.add(strategy)
        await session.flush()
        checkin_ids = [
            c
            for c in (
                await session.execute(
                    Checkin.__table__.select().where(
                        Checkin.user_id == anna, Checkin.local_date.in_(d[1:5])
                    )
                )
            ).all()
        ]
        for index, row in enumerate(sorted(checkin_ids, key=lambda r: r.local_date)):
            session.add(StrategyAnswer(checkin_id=row.id, strategy_id=strategy.id, done=index > 0))
        del skipped
        session.add(
            LessonDelivery(
                user_id=anna,
                lesson_id=LESSON,
                delivered_at=at(d[3], 8),
                opened_at=at(d[3], 9),
                finished_at=at(d[3], 10),
                reflection_text=REFLECTION,
                reflection_answered_at=at(d[3], 11),
            )
        )
        session.add(
            TeamNote(client_id=anna, author_id=practitioner_id, text=NOTE, created_at=at(d[2]))
        )
        session.add(
            SafetyFlag(
                user_id=anna,
                created_at=at(d[1]),
                severity=Severity.HIGH,
                rule_id="test",
                locale="en",
                source="message:1:1",
            )
        )
        b1 = await goal(session, ben, "Read")
        await day(session, ben, d[1], CheckinStatus.ANSWERED, {b1: 7})
        await day(session, ben, d[2], CheckinStatus.ANSWERED, {b1: 7})
        await day(session, ben, d[9], CheckinStatus.ANSWERED, {b1: 7})
    return Caseload(anna, ben, cleo, dan, [g1, g2])
