"""Two `python -m bot run --webhook` processes on one PostgreSQL database, behind one URL.

Telegram posts every update to the one webhook URL; a load balancer in front of several
instances hands each to any of them. Here a small round-robin forwarder (in the test
process) sends a client's updates to the two instances in turn, so every press of a
check-in lands on the other instance than the one before, and a double tap lands on
both at once. One press is also delivered to both instances at once (Telegram sending
an update again), and one note twice. Whatever one instance learnt from a press must
therefore be in the database, not in its memory. PostgreSQL only, as with several
instances in production.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from datetime import time as time_of_day
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import func, select
from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application, RequestHandler

from bot import crypto
from bot.checkins import messages
from bot.checkins.streaks import Celebration
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
    Strategy,
    StrategyAnswer,
    StrategyFrequency,
    StreakState,
)
from bot.db.session import create_engine, create_session_factory
from bot.offline.fake_bot_api import FakeBotApi, FakeUser, SentMessage
from tests.conftest import TEST_ENCRYPTION_KEY
from tests.delivery_support import add_clients, add_due_schedules
from tests.test_delivery_instances import bot_run
from tests.test_run_command import bot_environment, free_port

SECRET = "two-instances-secret"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
FIRST_CLIENT = 41_000
# The third client has answered the two days before: today is their third in a row.
VETERAN = FIRST_CLIENT + 2
# The steps each client taps twice (0: the first rating … 3: "No note today"). The first
# client's note is delivered twice instead. A second tap of the last step is the one
# most likely to hurt: the check-in finished twice (the veteran's milestone said, then
# overwritten by a thank-you without it).
DOUBLE_TAP = {FIRST_CLIENT: {0}, FIRST_CLIENT + 1: {2, 3}, VETERAN: {1, 3}}
NOTE = "Slept well, walked at noon"


class RoundRobin:
    """What a load balancer in front of the instances does, turn by turn per client:
    each update goes to the instance after the one that took the client's last update.
    The update's body and Telegram's secret header pass as they are; the instance's
    answer goes back to Telegram (a refused update is retried, to the same instance)."""

    def __init__(self, targets: list[str], *, to_both: tuple[int, int]) -> None:
        self.targets = targets
        # (client, n): their n-th update goes to both instances at once, as when Telegram
        # sends an update again and each copy reaches another instance.
        self.to_both = to_both
        self._turns: Counter[int] = Counter()
        self.routes: dict[int, list[int]] = defaultdict(list)  # client -> instances, in order
        self.forwarded: Counter[int] = Counter()  # instance -> updates it accepted
        self._client = AsyncHTTPClient(force_instance=True)

    async def forward(self, body: bytes, secret: str | None) -> tuple[int, bytes]:
        update = json.loads(body)
        sender = next(value for key, value in update.items() if key != "update_id")["from"]["id"]
        index = self._turns[sender] % len(self.targets)
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers[SECRET_HEADER] = secret
        copies = [index, 1 - index] if (sender, self._turns[sender]) == self.to_both else [index]
        response, *_copy = await asyncio.gather(
            *(
                self._client.fetch(
                    HTTPRequest(self.targets[to], method="POST", body=body, headers=headers),
                    raise_error=False,
                )
                for to in copies
            )
        )
        if 200 <= response.code < 300:
            self._turns[sender] += 1
            self.routes[sender].append(index)
            self.forwarded[index] += 1
        return (response.code if response.code < 599 else 502), response.body or b""

    def close(self) -> None:
        self._client.close()


class _Forward(RequestHandler):
    def initialize(self, balancer: RoundRobin) -> None:
        self.balancer = balancer

    async def post(self) -> None:
        status, body = await self.balancer.forward(
            self.request.body, self.request.headers.get(SECRET_HEADER)
        )
        self.set_status(status)
        self.finish(body)


@pytest.fixture
def migrated_postgres_url(postgres_template) -> str:
    """A migrated database (conftest's ``postgres_url`` is an empty one)."""
    return postgres_template.migrated_url()


@pytest.fixture
def cipher() -> Iterator[None]:
    """Goal and strategy titles are encrypted: the instances' key, to write them here."""
    before = crypto._active
    crypto.configure(crypto.Cipher(crypto.parse_keys(TEST_ENCRYPTION_KEY)))
    yield
    crypto._active = before


async def _add_plans(session, user_ids: dict[int, int], today) -> None:
    """Two goals each, the second with a daily strategy; the veteran's two days before."""
    for user_id in user_ids.values():
        sleep = Goal(user_id=user_id, title="Sleep", status=GoalStatus.ACTIVE)
        walk = Goal(user_id=user_id, title="Walk", status=GoalStatus.ACTIVE)
        session.add_all([sleep, walk])
        await session.flush()
        session.add(
            Strategy(goal_id=walk.id, title="Lunch walk", frequency=StrategyFrequency.DAILY)
        )
    now = datetime.now(UTC)
    for days_ago in (2, 1):
        at = now - timedelta(days=days_ago)
        session.add(
            Checkin(
                user_id=user_ids[VETERAN],
                local_date=today - timedelta(days=days_ago),
                source=CheckinSource.SCHEDULED,
                status=CheckinStatus.ANSWERED,
                opened_at=at,
                answered_at=at,
                closes_at=at + timedelta(hours=12),
                step="done",
            )
        )


async def _shows(client: FakeUser, message: SentMessage, wanted: str) -> SentMessage:
    """The check-in's message once it says ``wanted`` (each answer edits it)."""
    deadline = time.monotonic() + 15
    while True:
        current = next(m for m in client.messages() if m.message_id == message.message_id)
        if wanted in (current.plain_text or ""):
            return current
        if time.monotonic() > deadline:
            raise AssertionError(f"client {client.id} still sees {current.plain_text!r}")
        await asyncio.sleep(0.02)


async def _answered(client: FakeUser, query_id: str) -> dict:
    for _ in range(750):
        answer = client.callback_answer(query_id)
        if answer is not None:
            return answer
        await asyncio.sleep(0.02)
    raise AssertionError(f"client {client.id}: a press was not answered")


async def _listening(port: int, within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while True:
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            if time.monotonic() > deadline:
                raise AssertionError(f"no instance listens on port {port}") from None
            await asyncio.sleep(0.05)
        else:
            writer.close()
            return


async def _check_in(
    fake: FakeBotApi, client: FakeUser, prompt: SentMessage, tap_twice: set[int]
) -> tuple[list[dict], SentMessage]:
    """Rate both goals, do the strategy, then no note (or, for the first client, a note
    that Telegram delivers twice); the steps ``tap_twice`` are pressed twice at once.
    After each answer the client must see the next question; returns the answers to
    the presses and the thank-you."""
    steps = [
        ("7", "(2 of 2)"),
        ("8", "Did you do this in the last 24 hours?"),
        ("Done ✓", "Anything you'd like to add about today?"),
        ("No note today", "Thank you — your check-in is saved."),
    ]
    if client.id == FIRST_CLIENT:
        steps.pop()
    answers = []
    for number, (button, then) in enumerate(steps):
        queries = [client.press(prompt, button)]
        if number in tap_twice:
            queries.append(client.press(prompt, button))  # the same state, pressed again
        await _shows(client, prompt, then)
        answers += [await _answered(client, query) for query in queries]
    if client.id != FIRST_CLIENT:
        return answers, await _shows(client, prompt, "Thank you")
    note = client.send(NOTE)
    fake._world.publish("message", lambda: dict(note))  # the same message, delivered again
    return answers, await client.expect_one()


async def test_two_webhook_instances_take_turns_and_record_each_answer_once(
    migrated_postgres_url: str, cipher: None, tmp_path: Path
):
    engine = create_engine(migrated_postgres_url)
    sessions = create_session_factory(engine)
    telegram_ids = list(DOUBLE_TAP)
    ports = [free_port(), free_port()]
    balancer = RoundRobin(
        [f"http://127.0.0.1:{port}/telegram" for port in ports], to_both=(FIRST_CLIENT + 1, 0)
    )
    sockets = bind_sockets(0, "127.0.0.1")
    front = HTTPServer(Application([(r"/telegram", _Forward, {"balancer": balancer})]))
    front.add_sockets(sockets)
    front_port = sockets[0].getsockname()[1]
    today = datetime.now(UTC).date()  # the clients live in UTC
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    try:
        with FakeBotApi(single_poller=False) as fake, ExitStack() as processes:
            clients = {telegram_id: fake.user(telegram_id) for telegram_id in telegram_ids}
            async with sessions() as session, session.begin():
                ids = await add_clients(
                    session, telegram_ids, timezone="UTC", checkin=time_of_day(0, 0)
                )
                await _add_plans(session, ids, today)
                await add_due_schedules(session, list(ids.values()))
            instances: list[subprocess.Popen[bytes]] = []
            for port, log in zip(ports, logs, strict=True):
                env = bot_environment(
                    fake,
                    migrated_postgres_url,
                    WEBHOOK_URL=f"http://127.0.0.1:{front_port}/telegram",
                    WEBHOOK_LISTEN="127.0.0.1",
                    WEBHOOK_PORT=str(port),
                    WEBHOOK_SECRET_TOKEN=SECRET,
                    PER_CHAT_RATE_PER_SECOND="30",
                    SCHEDULER_TICK_SECONDS="0.5",
                    DELIVERY_POLL_SECONDS="0.1",
                )
                instances.append(processes.enter_context(bot_run(env, log, "--webhook")))
            for port in ports:
                await _listening(port)
            prompts = {tid: await client.expect_one(timeout=60) for tid, client in clients.items()}
            for prompt in prompts.values():
                assert "(1 of 2)" in prompt.plain_text and "Sleep" in prompt.plain_text

            done = await asyncio.gather(
                *(
                    _check_in(fake, clients[tid], prompts[tid], DOUBLE_TAP[tid])
                    for tid in telegram_ids
                )
            )
            for client in clients.values():
                await client.expect_nothing(0.5)  # no apology, no second thanks
            seen = {tid: client.messages() for tid, client in clients.items()}
            for instance in instances:
                assert instance.poll() is None, "an instance stopped"

        async with sessions() as session:
            checkins = (
                await session.scalars(select(Checkin).where(Checkin.local_date == today))
            ).all()
            ratings = (
                await session.execute(
                    select(GoalRating.user_id, GoalRating.goal_id, GoalRating.value)
                )
            ).all()
            changes = await session.scalar(select(func.count()).select_from(RatingChange))
            strategy_answers = (
                await session.execute(select(StrategyAnswer.checkin_id, StrategyAnswer.done))
            ).all()
            streaks = {
                row.user_id: (row.current, row.best, row.milestone)
                for row in await session.scalars(select(StreakState))
            }
            senders = {
                row.user_id: int(row.claimed_by.split(":")[1])
                for row in await session.scalars(
                    select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.SENT)
                )
            }
        await engine.dispose()
    finally:
        front.stop()
        balancer.close()

    by_user = {telegram_id: ids[telegram_id] for telegram_id in telegram_ids}
    # What each client saw: one message, each answer editing it into the next question,
    # and at the end the thank-you with the right streak (the veteran's third day: a
    # milestone, celebrated). The note's thank-you is a reply, once.
    english = _english()
    streaks_said = {tid: Celebration(1, 1, None, False) for tid in telegram_ids}
    streaks_said[VETERAN] = Celebration(3, 3, 3, False)
    for tid, (_answers, thanks) in zip(telegram_ids, done, strict=True):
        assert thanks.plain_text == messages.thanks(english, by_user[tid], streaks_said[tid])
        assert [m.message_id for m in seen[tid]] == [
            prompts[tid].message_id,
            *([thanks.message_id] if tid == FIRST_CLIENT else []),
        ]
    # Every press was answered; a second tap only ever says it was noted already.
    presses = [len(said) for said, _thanks in done]
    assert presses == [4, 6, 6]
    for said, _thanks in done:
        assert {answer.get("text") for answer in said} <= {None, "Already noted. ✓"}, said

    # What the database holds: one check-in each, done once; one row per answer.
    assert len(checkins) == 3
    for checkin in checkins:
        assert (checkin.status, checkin.step) == (CheckinStatus.ANSWERED, "done")
    assert {checkin.user_id: checkin.note for checkin in checkins} == {
        by_user[FIRST_CLIENT]: NOTE,
        by_user[FIRST_CLIENT + 1]: None,
        by_user[VETERAN]: None,
    }
    assert sorted(value for _user, _goal, value in ratings) == [7, 7, 7, 8, 8, 8]
    assert len({(user, goal) for user, goal, _value in ratings}) == 6  # none twice
    assert changes == 0  # a double tap of the same answer is no change
    assert sorted(strategy_answers) == sorted((c.id, True) for c in checkins)
    assert streaks == {
        by_user[FIRST_CLIENT]: (1, 1, 0),
        by_user[FIRST_CLIENT + 1]: (1, 1, 0),
        by_user[VETERAN]: (3, 3, 3),
    }
    # Completed once: one thank-you per check-in, whichever instance said it.
    finished = Counter(
        int(found)
        for log in logs
        for found in re.findall(r"event=checkin\.done checkin_id=(\d+)", log.read_text())
    )
    assert finished == Counter({checkin.id: 1 for checkin in checkins}), finished

    # The presses really alternated: each client's went A, B, A, … and both instances
    # took updates; the prompts were sent by the instances' senders.
    for tid, updates in zip(telegram_ids, [6, 6, 6], strict=True):  # presses (+ two notes)
        route = balancer.routes[tid]
        assert len(route) == updates and all(a != b for a, b in pairwise(route)), route
    assert set(balancer.forwarded) == {0, 1}
    assert set(senders.values()) <= {instance.pid for instance in instances}
    for log in logs:
        text = log.read_text()
        assert "Traceback" not in text and "event=update.failed" not in text, text[-3000:]
        assert "event=checkin.rated" in text  # each instance recorded answers


def _english():
    from bot.i18n import Catalogs
    from bot.settings import PROJECT_ROOT, SUPPORTED_LOCALES

    return Catalogs.load(PROJECT_ROOT / "locales", SUPPORTED_LOCALES, "en").translator("en")


pytestmark = pytest.mark.skipif(os.name != "posix", reason="subprocess signals need POSIX")
