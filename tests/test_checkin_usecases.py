"""The check-in's use cases called directly (no bot, no Telegram), on both databases:
the state machine's steps, idempotent and changed answers, refusals, the window, the
nudge, the note, the streak, /progress's data, and that a use case never commits."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import crypto
from bot.checkins import answers, core, delivery, streaks
from bot.checkins.answers import NoteTaken, Op, Press, Rules, Show, Toast
from bot.checkins.progress import progress
from bot.db.models import (
    Checkin,
    CheckinSource,
    CheckinStatus,
    Goal,
    GoalRating,
    GoalStatus,
    OutboxMessage,
    OutboxStatus,
    RatingChange,
    Role,
    Strategy,
    StrategyAnswer,
    StrategyFrequency,
    StreakState,
    User,
    UserStatus,
)

RULES = Rules(window=timedelta(hours=12), grace_days=1, default_timezone="Europe/Berlin")
ZONE = "Europe/Berlin"
# Morning in Berlin: the local date is NOW's date, also at the end of the window.
NOW = datetime(2027, 3, 10, 8, 0, tzinfo=UTC)
TODAY = date(2027, 3, 10)

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture(autouse=True)
def cipher() -> Iterator[crypto.Cipher]:
    """Goal titles and notes are encrypted columns: a key, as the app would configure."""
    before = crypto._active
    configured = crypto.Cipher([crypto.generate_key()])
    crypto.configure(configured)
    yield configured
    crypto._active = before


@pytest.fixture
def sessions(migrated_sessions: Sessions) -> Sessions:
    return migrated_sessions


async def _client(sessions: Sessions, telegram_id: int) -> int:
    async with sessions() as session, session.begin():
        user = User(
            telegram_id=telegram_id,
            role=Role.CLIENT,
            status=UserStatus.ACTIVE,
            locale="en",
            timezone=ZONE,
            checkin_time=time(20, 0),
        )
        session.add(user)
        await session.flush()
        return user.id


async def _goal(
    sessions: Sessions, user_id: int, title: str, status: GoalStatus = GoalStatus.ACTIVE
) -> int:
    async with sessions() as session, session.begin():
        goal = Goal(user_id=user_id, title=title, anchor_low="no", anchor_high="yes", status=status)
        session.add(goal)
        await session.flush()
        return goal.id


async def _strategy(sessions: Sessions, goal_id: int, title: str) -> int:
    async with sessions() as session, session.begin():
        strategy = Strategy(goal_id=goal_id, title=title, frequency=StrategyFrequency.DAILY)
        session.add(strategy)
        await session.flush()
        return strategy.id


async def _press(
    sessions: Sessions,
    user_id: int,
    op: str,
    ident: int | None = None,
    value: int | None = None,
    *,
    day: date = TODAY,
    now: datetime = NOW,
) -> answers.Outcome:
    async with sessions() as session, session.begin():
        return await answers.answer(
            session, user_id=user_id, press=Press(day, op, ident, value), now=now, rules=RULES
        )


async def _start(sessions: Sessions, user_id: int, now: datetime = NOW) -> answers.Outcome:
    async with sessions() as session, session.begin():
        return await answers.start(session, user_id=user_id, now=now, zone=ZONE, rules=RULES)


async def _checkin(sessions: Sessions, user_id: int, day: date = TODAY) -> Checkin | None:
    async with sessions() as session:
        return await core.find(session, user_id, day)


async def _count(sessions: Sessions, model: type) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _nudge(sessions: Sessions, user_id: int, checkin_id: int) -> int:
    async with sessions() as session, session.begin():
        row = OutboxMessage(
            user_id=user_id,
            chat_id=1,
            kind="checkin_nudge",
            key=f"checkin_nudge:{checkin_id}",
            payload={},
            status=OutboxStatus.PENDING,
            due_at=NOW + timedelta(hours=1),
            expires_at=NOW + timedelta(hours=6),
            available_at=NOW + timedelta(hours=1),
        )
        session.add(row)
        # As the sweep queues one: the check-in says it was nudged.
        await session.execute(update(Checkin).where(Checkin.id == checkin_id).values(nudged_at=NOW))
        await session.flush()
        return row.id


async def _outbox_status(sessions: Sessions, outbox_id: int) -> OutboxStatus:
    async with sessions() as session:
        row = await session.get(OutboxMessage, outbox_id)
        assert row is not None
        return row.status


# --- the steps


async def test_a_check_in_walks_goals_then_strategies_then_the_note_then_thanks(
    sessions: Sessions,
):
    user = await _client(sessions, 7001)
    sleep = await _goal(sessions, user, "Sleep")
    walk = await _goal(sessions, user, "Walk")
    stretch = await _strategy(sessions, walk, "Stretch")

    first = await _start(sessions, user)
    assert (first.show, first.step, first.back) == (Show.QUESTION, f"goal:{sleep}", False)
    assert first.local_date == TODAY
    opened = await _checkin(sessions, user)
    assert opened is not None
    assert (opened.source, opened.status, opened.step) == (
        CheckinSource.EARLY,
        CheckinStatus.OPEN,
        f"goal:{sleep}",
    )
    assert opened.closes_at == NOW + RULES.window

    second = await _press(sessions, user, Op.RATE, sleep, 7)
    assert (second.show, second.step, second.back) == (Show.QUESTION, f"goal:{walk}", True)
    third = await _press(sessions, user, Op.RATE, walk, 4)
    assert (third.show, third.step) == (Show.QUESTION, f"strategy:{stretch}")
    fourth = await _press(sessions, user, Op.STRATEGY, stretch, 1)
    assert (fourth.show, fourth.step) == (Show.QUESTION, core.NOTE)
    done = await _press(sessions, user, Op.NO_NOTE)
    assert done.show is Show.THANKS
    assert done.celebration is not None and done.celebration.current == 1

    checkin = await _checkin(sessions, user)
    assert checkin is not None
    assert (checkin.status, checkin.step, checkin.note) == (
        CheckinStatus.ANSWERED,
        core.DONE,
        None,
    )
    async with sessions() as session:
        ratings = dict((await session.execute(select(GoalRating.goal_id, GoalRating.value))).all())
        assert ratings == {sleep: 7, walk: 4}
        assert (await session.scalars(select(StrategyAnswer.done))).all() == [True]
        streak = await session.get(StreakState, user)
        assert streak is not None and (streak.current, streak.best) == (1, 1)

    again = await _start(sessions, user)
    assert again.show is Show.ALREADY_DONE
    assert again.summary is not None
    assert [(goal.title, value) for goal, value in again.summary.ratings] == [
        ("Sleep", 7),
        ("Walk", 4),
    ]
    assert (await _press(sessions, user, Op.NO_NOTE)).toast is Toast.ALREADY_NOTED


async def test_check_in_again_mid_way_shows_the_open_question_and_no_second_row(
    sessions: Sessions,
):
    user = await _client(sessions, 7002)
    sleep = await _goal(sessions, user, "Sleep")
    walk = await _goal(sessions, user, "Walk")
    await _start(sessions, user)
    await _press(sessions, user, Op.RATE, sleep, 5)
    again = await _start(sessions, user, NOW + timedelta(minutes=5))
    assert (again.show, again.step, again.back) == (Show.QUESTION, f"goal:{walk}", True)
    shown = await _press(sessions, user, Op.SHOW)
    assert (shown.show, shown.step) == (Show.QUESTION, f"goal:{walk}")
    assert await _count(sessions, Checkin) == 1


async def test_without_an_active_goal_there_is_nothing_to_rate_and_no_check_in(
    sessions: Sessions,
):
    user = await _client(sessions, 7003)
    await _goal(sessions, user, "Draft", status=GoalStatus.DRAFT)
    outcome = await _start(sessions, user)
    assert outcome.show is Show.NOTHING_TO_RATE
    assert await _checkin(sessions, user) is None


# --- idempotence and changes


async def test_the_same_answer_again_changes_nothing(sessions: Sessions):
    user = await _client(sessions, 7011)
    sleep = await _goal(sessions, user, "Sleep")
    await _goal(sessions, user, "Walk")
    await _start(sessions, user)
    await _press(sessions, user, Op.RATE, sleep, 6)
    twice = await _press(sessions, user, Op.RATE, sleep, 6)
    assert twice.show is None and twice.toast is Toast.ALREADY_NOTED and not twice.refused
    assert await _count(sessions, GoalRating) == 1
    assert await _count(sessions, RatingChange) == 0
    checkin = await _checkin(sessions, user)
    assert checkin is not None and checkin.step != f"goal:{sleep}"  # not moved back


async def test_a_changed_answer_is_recorded_as_a_change_and_keeps_the_open_question(
    sessions: Sessions,
):
    user = await _client(sessions, 7012)
    sleep = await _goal(sessions, user, "Sleep")
    walk = await _goal(sessions, user, "Walk")
    await _start(sessions, user)
    await _press(sessions, user, Op.RATE, sleep, 6)
    changed = await _press(sessions, user, Op.RATE, sleep, 9)
    assert changed.toast is Toast.CHANGED and changed.show is None
    async with sessions() as session:
        change = (await session.scalars(select(RatingChange))).one()
        assert (change.previous_value, change.new_value) == (6, 9)
        rating = (await session.scalars(select(GoalRating))).one()
        assert rating.value == 9
    checkin = await _checkin(sessions, user)
    assert checkin is not None and checkin.step == f"goal:{walk}"


# --- refusals


async def test_presses_that_are_not_theirs_or_make_no_sense_are_refused_and_change_nothing(
    sessions: Sessions,
):
    anna = await _client(sessions, 7021)
    ben = await _client(sessions, 7022)
    annas_goal = await _goal(sessions, anna, "Anna's goal")
    annas_strategy = await _strategy(sessions, annas_goal, "Anna's step")
    bens_goal = await _goal(sessions, ben, "Ben's goal")
    await _start(sessions, anna)
    await _start(sessions, ben)

    refused = [
        await _press(sessions, ben, Op.RATE, annas_goal, 5),  # Anna's goal, in Ben's check-in
        await _press(sessions, ben, Op.STRATEGY, annas_strategy, 1),
        await _press(sessions, anna, Op.RATE, 999_999, 5),  # no such goal
        await _press(sessions, anna, Op.RATE, annas_goal, 11),  # off the scale
        await _press(sessions, anna, Op.RATE, annas_goal),  # no value
        await _press(sessions, anna, Op.STRATEGY, annas_strategy, 2),
        await _press(sessions, anna, "z", annas_goal, 5),  # no such op
        await _press(sessions, anna, Op.RATE, annas_goal, 5, day=TODAY - timedelta(days=3)),
    ]
    assert all(outcome.refused for outcome in refused)
    assert await _count(sessions, GoalRating) == 0
    assert await _count(sessions, StrategyAnswer) == 0
    for user, goal in ((anna, annas_goal), (ben, bens_goal)):
        checkin = await _checkin(sessions, user)
        assert checkin is not None
        assert (checkin.status, checkin.step) == (CheckinStatus.OPEN, f"goal:{goal}")


# --- the window, skipping, the nudge


async def test_after_the_window_an_answer_says_expired_and_records_nothing(sessions: Sessions):
    user = await _client(sessions, 7031)
    goal = await _goal(sessions, user, "Sleep")
    await _start(sessions, user)
    late = await _press(sessions, user, Op.RATE, goal, 5, now=NOW + RULES.window)
    assert late.show is Show.EXPIRED
    assert await _count(sessions, GoalRating) == 0
    assert (await _start(sessions, user, NOW + RULES.window)).show is Show.MISSED_TODAY


async def test_skipping_before_any_answer_skips_the_day_and_withdraws_the_nudge(
    sessions: Sessions,
):
    user = await _client(sessions, 7032)
    goal = await _goal(sessions, user, "Sleep")
    await _start(sessions, user)
    checkin = await _checkin(sessions, user)
    assert checkin is not None
    nudge = await _nudge(sessions, user, checkin.id)
    skipped = await _press(sessions, user, Op.SKIP)
    assert skipped.show is Show.SKIPPED
    assert await _outbox_status(sessions, nudge) is OutboxStatus.EXPIRED
    checkin = await _checkin(sessions, user)
    assert checkin is not None and checkin.status is CheckinStatus.SKIPPED
    assert (await _press(sessions, user, Op.RATE, goal, 5)).show is Show.SKIPPED
    assert await _count(sessions, GoalRating) == 0
    assert (await _start(sessions, user)).show is Show.SKIPPED_TODAY


async def test_skipping_after_an_answer_finishes_the_check_in_and_it_counts(sessions: Sessions):
    user = await _client(sessions, 7033)
    goal = await _goal(sessions, user, "Sleep")
    await _goal(sessions, user, "Walk")
    await _start(sessions, user)
    await _press(sessions, user, Op.RATE, goal, 5)
    finished = await _press(sessions, user, Op.SKIP)
    assert finished.show is Show.THANKS
    assert finished.celebration is not None and finished.celebration.current == 1
    checkin = await _checkin(sessions, user)
    assert checkin is not None
    assert (checkin.status, checkin.step) == (CheckinStatus.ANSWERED, core.DONE)


async def test_the_first_answer_withdraws_the_queued_nudge(sessions: Sessions):
    user = await _client(sessions, 7034)
    goal = await _goal(sessions, user, "Sleep")
    await _goal(sessions, user, "Walk")
    await _start(sessions, user)
    checkin = await _checkin(sessions, user)
    assert checkin is not None
    nudge = await _nudge(sessions, user, checkin.id)
    await _press(sessions, user, Op.RATE, goal, 5)
    assert await _outbox_status(sessions, nudge) is OutboxStatus.EXPIRED


async def test_two_very_low_ratings_in_a_row_are_flagged_once(sessions: Sessions):
    user = await _client(sessions, 7035)
    goal = await _goal(sessions, user, "Mood")
    await _goal(sessions, user, "Walk")
    yesterday = TODAY - timedelta(days=1)
    async with sessions() as session, session.begin():
        past = Checkin(
            user_id=user,
            local_date=yesterday,
            source=CheckinSource.SCHEDULED,
            status=CheckinStatus.ANSWERED,
            opened_at=NOW - timedelta(days=1),
            closes_at=NOW - timedelta(hours=12),
            step=core.DONE,
        )
        session.add(past)
        await session.flush()
        session.add(
            GoalRating(
                checkin_id=past.id,
                goal_id=goal,
                user_id=user,
                local_date=yesterday,
                goal_version=1,
                value=1,
                answered_at=NOW - timedelta(days=1),
            )
        )
    await _start(sessions, user)
    low = await _press(sessions, user, Op.RATE, goal, 2)
    assert low.low_twice and low.show is Show.QUESTION
    assert not (await _press(sessions, user, Op.RATE, goal, 2)).low_twice  # a double tap


# --- the note


async def test_the_note_is_stored_encrypted_once_and_only_when_asked(
    sessions: Sessions, cipher: crypto.Cipher
):
    user = await _client(sessions, 7041)
    goal = await _goal(sessions, user, "Sleep")

    async def note(message_id: int, words: str) -> answers.Note:
        async with sessions() as session, session.begin():
            return await answers.take_note(
                session, user_id=user, message_id=message_id, text=words, now=NOW, rules=RULES
            )

    assert (await note(10, "not asked yet")).taken is NoteTaken.NOT_ASKED
    await _start(sessions, user)
    await _press(sessions, user, Op.RATE, goal, 8)
    saved = await note(11, "slept well")
    assert saved.taken is NoteTaken.SAVED and saved.outcome.show is Show.THANKS
    assert (await note(11, "slept well")).taken is NoteTaken.AGAIN  # redelivered
    assert (await note(12, "something else")).taken is NoteTaken.NOT_ASKED
    checkin = await _checkin(sessions, user)
    assert checkin is not None
    assert (checkin.note, checkin.note_message_id, checkin.step) == ("slept well", 11, core.DONE)
    async with sessions() as session:
        stored = await session.scalar(
            text("SELECT note FROM checkins WHERE id = :id"), {"id": checkin.id}
        )
    assert stored and "slept well" not in stored and cipher.decrypt(stored) == "slept well"


# --- the edge owns the transaction


async def test_a_use_case_never_commits(sessions: Sessions):
    user = await _client(sessions, 7051)
    goal = await _goal(sessions, user, "Sleep")
    await _start(sessions, user)
    async with sessions() as session:  # closed without a commit: what was not committed goes
        outcome = await answers.answer(
            session, user_id=user, press=Press(TODAY, Op.RATE, goal, 5), now=NOW, rules=RULES
        )
        assert (outcome.show, outcome.step) == (Show.QUESTION, core.NOTE)
    assert await _count(sessions, GoalRating) == 0
    checkin = await _checkin(sessions, user)
    assert checkin is not None and checkin.status is CheckinStatus.OPEN


# --- /progress


async def test_progress_is_the_clients_own_last_four_weeks(sessions: Sessions):
    anna = await _client(sessions, 7061)
    ben = await _client(sessions, 7062)
    sleep = await _goal(sessions, anna, "Sleep")
    bens = await _goal(sessions, ben, "Ben's")
    async with sessions() as session, session.begin():
        for user, goal, days in ((anna, sleep, (1, 2, 3, 40)), (ben, bens, (1,))):
            for back in days:
                day = TODAY - timedelta(days=back)
                checkin = Checkin(
                    user_id=user,
                    local_date=day,
                    source=CheckinSource.SCHEDULED,
                    status=CheckinStatus.ANSWERED,
                    opened_at=NOW - timedelta(days=back),
                    closes_at=NOW - timedelta(days=back) + RULES.window,
                    step=core.DONE,
                )
                session.add(checkin)
                await session.flush()
                session.add(
                    GoalRating(
                        checkin_id=checkin.id,
                        goal_id=goal,
                        user_id=user,
                        local_date=day,
                        goal_version=1,
                        value=10 - back if back < 10 else 2,
                        answered_at=NOW,
                    )
                )
        session.add(StreakState(user_id=anna, current=3, best=8, milestone=3))
    async with sessions() as session:
        found = await progress(session, user_id=anna, today=TODAY)
        empty = await progress(session, user_id=await _client(sessions, 7063), today=TODAY)
    assert (found.current, found.best, found.has_ratings) == (3, 8, True)
    assert [(s.goal_id, s.title) for s in found.series] == [(sleep, "Sleep")]
    assert found.series[0].points == tuple(
        (TODAY - timedelta(days=back), 10 - back) for back in (3, 2, 1)
    )
    assert found.goal_titles == {sleep: "Sleep"}
    assert (found.encouragement.kind, found.encouragement.goal_id) == ("best_day", sleep)
    assert (found.encouragement.day, found.encouragement.value) == (TODAY - timedelta(days=1), 9)
    assert (empty.has_ratings, empty.current, empty.series) == (False, 0, ())


async def test_a_streak_behind_an_answered_check_in_is_counted_once(
    sessions: Sessions,
):
    """A press leaves the streak to the end of the check-in; a day answered and then left
    is counted by ``refresh`` (what /progress and the sweep call), and only once."""
    user = await _client(sessions, 7091)
    sleep = await _goal(sessions, user, "Sleep")
    await _goal(sessions, user, "Walk")
    await _start(sessions, user)
    await _press(sessions, user, Op.RATE, sleep, 6)  # then nothing more today

    later = NOW + timedelta(minutes=5)
    async with sessions() as session, session.begin():
        assert await streaks.refresh(session, now=later, grace_days=1, user_id=user) == 1
    async with sessions() as session:
        assert await streaks.current(session, user) == (1, 1)
    result = await delivery.sweep(
        sessions,
        now=later,
        nudge_after=timedelta(hours=3),
        grace_days=1,
        default_timezone="Europe/Berlin",
    )
    assert result.missed == 0
    async with sessions() as session, session.begin():
        # Counted already: neither the sweep nor a second look recomputes it again.
        assert await streaks.refresh(session, now=later, grace_days=1) == 0
    async with sessions() as session:
        assert await streaks.current(session, user) == (1, 1)


async def test_the_sweep_counts_an_unfinished_check_in_for_the_streak(sessions: Sessions):
    user = await _client(sessions, 7092)
    sleep = await _goal(sessions, user, "Sleep")
    await _goal(sessions, user, "Walk")
    await _start(sessions, user)
    await _press(sessions, user, Op.RATE, sleep, 6)
    async with sessions() as session:
        assert await streaks.current(session, user) == (0, 0)  # not yet: no thanks yet

    await delivery.sweep(
        sessions,
        now=NOW + timedelta(minutes=5),
        nudge_after=timedelta(hours=3),
        grace_days=1,
        default_timezone="Europe/Berlin",
    )
    async with sessions() as session:
        assert await streaks.current(session, user) == (1, 1)
