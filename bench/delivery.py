"""Delivery benchmarks: fan-out (one tick writing the outbox) and the sender's rate.

    python -m bench.delivery            # everything (PostgreSQL parts skip without a server)
    python -m bench.delivery --quick    # smaller runs

Prints its figures and writes bench/results/delivery.json. Figures, not tests: they
depend on the machine. The fake Bot API runs in its own process, so it does not
share the bot's interpreter (and GIL). Memory and start-up with many clients:
``bench/scale.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select  # noqa: E402

from bench.common import (  # noqa: E402
    ROUNDS,
    Figure,
    command_line,
    paired_ratio,
    print_figures,
    save,
    spread,
)
from bot.app import build_application, planning, running  # noqa: E402
from bot.db import migrate  # noqa: E402
from bot.db.base import utcnow  # noqa: E402
from bot.db.models import OutboxMessage, OutboxStatus, Role, Schedule, User, UserStatus  # noqa: E402
from bot.db.session import create_engine, create_session_factory  # noqa: E402
from bot.delivery import checkin_reminder  # noqa: E402
from bot.delivery import engine as delivery_engine  # noqa: E402
from bot.settings import load_settings  # noqa: E402

POSTGRES_SERVER = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
FIRST_ID = 1_000_000


# --------------------------------------------------------------------------- the fake, apart


def _fake_server(connection: Any, users: int, overall: float | None) -> None:
    """Child process: a FakeBotApi, answering a few commands over a pipe."""
    from bot.offline.fake_bot_api import FakeBotApi

    with FakeBotApi(single_poller=False) as fake:
        for user_id in range(FIRST_ID, FIRST_ID + users):
            fake.user(user_id)
        fake.limit_rate(overall)
        connection.send((fake.url, fake.token))
        while True:
            command = connection.recv()
            if command == "calls":
                calls = fake.calls("sendMessage")
                connection.send([(call.time, call.status) for call in calls])
            elif command == "first_poll":
                polls = fake.calls("getUpdates")
                connection.send(polls[0].time if polls else None)
            elif command == "stop":
                connection.send(None)
                return


class FakeProcess:
    def __init__(self, users: int, overall: float | None) -> None:
        context = multiprocessing.get_context("spawn")
        self._parent, child = context.Pipe()
        self._process = context.Process(target=_fake_server, args=(child, users, overall))

    def __enter__(self) -> FakeProcess:
        self._process.start()
        self.url, self.token = self._parent.recv()
        return self

    def ask(self, command: str) -> Any:
        self._parent.send(command)
        return self._parent.recv()

    def __exit__(self, *exc: object) -> None:
        self.ask("stop")
        self._process.join(10)


# --------------------------------------------------------------------------- databases


class Database:
    """A throwaway database: a SQLite file, or a PostgreSQL database on the local server."""

    def __init__(self, backend: str, folder: Path) -> None:
        self.backend = backend
        self._folder = folder
        self._name: str | None = None
        self.url = ""

    async def __aenter__(self) -> Database:
        if self.backend == "sqlite":
            self.url = f"sqlite+aiosqlite:///{self._folder / f'bench-{time.time_ns()}.db'}"
        else:
            import asyncpg

            self._name = f"between_bench_{os.getpid()}_{time.time_ns()}"
            connection = await asyncpg.connect(POSTGRES_SERVER)
            await connection.execute(f'CREATE DATABASE "{self._name}"')
            await connection.close()
            base = POSTGRES_SERVER.rsplit("/", 1)[0].removeprefix("postgresql")
            self.url = f"postgresql+asyncpg{base}/{self._name}"
        engine = create_engine(self.url)
        await migrate.upgrade(engine)
        await engine.dispose()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._name:
            import asyncpg

            connection = await asyncpg.connect(POSTGRES_SERVER)
            await connection.execute(f'DROP DATABASE IF EXISTS "{self._name}" WITH (FORCE)')
            await connection.close()


async def postgres_available() -> bool:
    try:
        import asyncpg

        connection = await asyncpg.connect(POSTGRES_SERVER, timeout=3)
        await connection.close()
        return True
    except Exception:
        return False


async def seed(url: str, clients: int, *, due_now: bool, chunk: int = 10_000) -> None:
    """Active clients with a daily check-in; due now, or spread over tomorrow."""
    engine = create_engine(url)
    sessions = create_session_factory(engine)
    now = utcnow()
    try:
        for start in range(0, clients, chunk):
            ids = range(FIRST_ID + start, FIRST_ID + min(start + chunk, clients))
            async with sessions() as session, session.begin():
                await session.execute(
                    insert(User),
                    [
                        {
                            "telegram_id": i,
                            "role": Role.CLIENT,
                            "status": UserStatus.ACTIVE,
                            "locale": ("en", "de", "es")[i % 3],
                            "timezone": "Europe/Berlin",
                        }
                        for i in ids
                    ],
                )
                user_ids = (
                    await session.scalars(select(User.id).where(User.telegram_id.in_(list(ids))))
                ).all()
                due = now - timedelta(seconds=1)
                await session.execute(
                    insert(Schedule),
                    [
                        {
                            "user_id": user_id,
                            "kind": checkin_reminder.KIND,
                            "weekdays": 127,
                            "next_due_at": due
                            if due_now
                            else now + timedelta(days=1, seconds=user_id % 86400),
                            "next_slot_date": due.date(),
                        }
                        for user_id in user_ids
                    ],
                )
    finally:
        await engine.dispose()


async def queue_notices(url: str) -> None:
    """One plain notice (text only, worded when queued) for every seeded client, due now:
    what the sender costs without a renderer that reads the database."""
    from bot.delivery import notices
    from bot.delivery.outbox import OutboxItem, enqueue_many

    engine = create_engine(url)
    now = utcnow()
    try:
        async with create_session_factory(engine)() as session, session.begin():
            users = (await session.execute(select(User.id, User.telegram_id))).all()
            await enqueue_many(
                session,
                [
                    OutboxItem(
                        user_id=user_id,
                        chat_id=telegram_id,
                        kind=notices.KIND,
                        key=f"bench:{user_id}",
                        payload=notices.payload("Your practitioner shared a note.", []),
                        due_at=now - timedelta(seconds=1),
                        expires_at=now + timedelta(hours=1),
                    )
                    for user_id, telegram_id in users
                ],
            )
    finally:
        await engine.dispose()


def settings_for(url: str, fake_url: str = "http://127.0.0.1:9", token: str = "1:x", **extra: Any):
    return load_settings(
        _env_file=None,
        bot_token=token,
        telegram_api_url=fake_url,
        database_url=url,
        polling_timeout=1,
        log_level="WARNING",
        **extra,
    )


# --------------------------------------------------------------------------- the figures


async def fanout(backend: str, folder: Path, clients: int) -> dict[str, Any]:
    """Clients due in the same minute → seconds until every outbox row is written."""
    async with Database(backend, folder) as database:
        await seed(database.url, clients, due_now=True)
        settings = settings_for(database.url)
        engine = create_engine(database.url)
        sessions = create_session_factory(engine)
        try:
            started = time.perf_counter()
            result = await delivery_engine.tick(sessions, planning(settings))
            seconds = time.perf_counter() - started
            async with sessions() as session:
                rows = await session.scalar(select(func.count()).select_from(OutboxMessage))
        finally:
            await engine.dispose()
    assert result.scheduled == clients == rows, (result, rows)
    return {"backend": backend, "clients": clients, "seconds": round(seconds, 3)}


async def sender_rate(
    backend: str, folder: Path, rate: float, messages: int, kind: str = "checkin"
) -> dict[str, Any]:
    """The sender's achieved rate against the fake (whose flood control is set to ``rate``):
    check-in prompts (rendered from the database), or plain ``notice`` messages."""
    async with Database(backend, folder) as database:
        await seed(database.url, messages, due_now=kind == "checkin")
        if kind == "notice":
            await queue_notices(database.url)
        with FakeProcess(messages, overall=rate) as fake:
            settings = settings_for(
                database.url,
                fake.url,
                fake.token,
                rate_limit_per_second=rate,
                # Beyond Telegram's 30/s only as a paid broadcast (allow_paid_broadcast)
                paid_broadcast=rate > 30,
                delivery_poll_seconds=0.05,
                delivery_batch_size=1000,
            )
            application = build_application(settings)
            sessions = application.bot_data["services"].sessions
            async with running(application, poll_timeout=1):
                deadline = time.monotonic() + messages / rate * 3 + 30
                while time.monotonic() < deadline:
                    async with sessions() as session:
                        sent = await session.scalar(
                            select(func.count()).where(OutboxMessage.status == OutboxStatus.SENT)
                        )
                    if sent >= messages:
                        break
                    await asyncio.sleep(0.2)
            calls = fake.ask("calls")
    times = sorted(t for t, status in calls if status == 200)
    flood = sum(1 for _t, status in calls if status == 429)
    span = times[-1] - times[0] if len(times) > 1 else float("nan")
    achieved = (len(times) - 1) / span if span else float("nan")
    return {
        "backend": backend,
        "configured_per_second": rate,
        "messages": len(times),
        "achieved_per_second": round(achieved, 1),
        "share_of_configured": round(achieved / rate, 3),
        "most_in_any_second": most_in_window(times, 1.0),
        "flood_control_429s": flood,
    }


async def bare_ptb_rate(
    messages: int, concurrency: int = 16, *, reminder: bool = False
) -> dict[str, Any]:
    """The ceiling on this machine: a bare PTB client sending as fast as it can to the same
    fake (no rate limiter, no database), with the sender's concurrency. It sends "hi", or
    with ``reminder`` the same message the sender's check-in prompts are in the bench (the
    reminder's text and its "Skip today" button, each with its own callback data): a
    keyboard costs PTB a quarter more per message to encode, send and read back."""
    from telegram.ext import ExtBot
    from telegram.request import HTTPXRequest

    from bot.callbacks import SkipReminder
    from bot.delivery.renderers import Button
    from bot.flows.keyboards import markup

    with FakeProcess(messages, overall=None) as fake:
        bot = ExtBot(
            fake.token,
            base_url=f"{fake.url}/bot",
            request=HTTPXRequest(connection_pool_size=concurrency + 4),
        )
        await bot.initialize()
        gate = asyncio.Semaphore(concurrency)

        async def send(n: int) -> None:
            async with gate:
                if reminder:
                    skip = Button(checkin_reminder.SKIP_BUTTON, SkipReminder(n + 1).pack())
                    keyboard = markup(((skip,),))
                    await bot.send_message(
                        FIRST_ID + n, checkin_reminder.TEXT, reply_markup=keyboard
                    )
                else:
                    await bot.send_message(FIRST_ID + n, "hi")

        started = time.perf_counter()
        await asyncio.gather(*(send(n) for n in range(messages)))
        seconds = time.perf_counter() - started
        await bot.shutdown()
    return {"messages": messages, "per_second": round(messages / seconds, 1)}


async def bare_round(bare: dict[str, list[float]], messages: int) -> None:
    """One run of the bare client sending "hi" and one sending the prompts' message."""
    for yardstick, reminder in (("hi", False), ("reminder", True)):
        rate = await bare_ptb_rate(messages, reminder=reminder)
        bare[yardstick].append(rate["per_second"])


async def sender_phases(backend: str, folder: Path, prompts: int, goals: bool) -> dict[str, Any]:
    """The sender's database work for ``prompts`` check-in prompts claimed together, in
    this process and without HTTP (the sender's own steps, driven directly): rendering
    them (``_render_all``) and recording them sent (one recorder transaction), in
    seconds and statements. Clients without goals (as ``sender_rate``), or each with a
    goal and a daily strategy (the check-in opens when sent)."""
    from sqlalchemy import event

    from bot.app import build_services
    from bot.db.models import Goal, GoalStatus, Strategy
    from bot.delivery import outbox
    from bot.delivery.outbox import OutboxItem, enqueue_many
    from bot.delivery.sender import Sender, SenderConfig

    async with Database(backend, folder) as database:
        await seed(database.url, prompts, due_now=False)
        services = build_services(settings_for(database.url))
        sessions = services.sessions
        now = utcnow()
        today = now.date().isoformat()
        async with sessions() as session, session.begin():
            users = (await session.execute(select(User.id, User.telegram_id))).all()
            if goals:
                await session.execute(
                    insert(Goal),
                    [
                        {"user_id": u, "title": "Sleep", "status": GoalStatus.ACTIVE}
                        for u, _ in users
                    ],
                )
                goal_ids = (await session.scalars(select(Goal.id))).all()
                await session.execute(
                    insert(Strategy),
                    [{"goal_id": g, "title": "Lights out", "frequency": "daily"} for g in goal_ids],
                )
            await enqueue_many(
                session,
                [
                    OutboxItem(
                        user_id=user_id,
                        chat_id=telegram_id,
                        kind=checkin_reminder.KIND,
                        key=f"{checkin_reminder.KIND}:{user_id}:0:{today}",
                        payload={"schedule_id": 0, "local_date": today},
                        due_at=now - timedelta(seconds=1),
                        expires_at=now + timedelta(hours=1),
                    )
                    for user_id, telegram_id in users
                ],
            )
        sender = Sender(None, sessions, services.renderers, services.catalogs, SenderConfig())  # type: ignore[arg-type]
        statements = 0

        def count(*_args: Any) -> None:
            nonlocal statements
            statements += 1

        try:
            async with sessions() as session:
                async with session.begin():
                    batch = await outbox.claim(
                        session,
                        now=utcnow(),
                        limit=prompts,
                        instance=sender.instance,
                        lease=timedelta(minutes=5),
                    )
                event.listen(services.engine.sync_engine, "before_cursor_execute", count)
                started = time.perf_counter()
                rendered = await sender._render_all(session, batch)
                render_seconds = time.perf_counter() - started
                render_statements, statements = statements, 0
            recorder = asyncio.create_task(sender._record_outcomes())
            started = time.perf_counter()
            await asyncio.gather(
                *(
                    sender._sent(row, 1000 + n, getattr(rendered[row.id], "hook_data", None))
                    for n, row in enumerate(batch)
                )
            )
            record_seconds = time.perf_counter() - started
            recorder.cancel()
        finally:
            event.remove(services.engine.sync_engine, "before_cursor_execute", count)
            await services.engine.dispose()
    assert len(batch) == prompts
    return {
        "render_ms": round(render_seconds * 1000),
        "render_statements": render_statements,
        "record_ms": round(record_seconds * 1000),
        "record_statements": statements,
    }


def most_in_window(times: list[float], seconds: float) -> int:
    most, start = 0, 0
    for end, arrived in enumerate(times):
        while arrived - times[start] >= seconds:
            start += 1
        most = max(most, end - start + 1)
    return most


async def main(quick: bool, rounds: int = ROUNDS) -> list[Figure]:
    backends = ["sqlite"] + (["postgresql"] if await postgres_available() else [])
    figures: list[Figure] = []

    def figure(measure: str, value: float, unit: str, note: str = "") -> None:
        figures.append(Figure("delivery", measure, value, unit, COMMAND, note))

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        for backend in backends:
            row = await fanout(backend, folder, 2_000 if quick else 10_000)
            figure(f"fan-out: {row['clients']:,} due → outbox rows, {backend}", row["seconds"], "s")
        for backend in backends:
            for goals in (False, True):
                row = await sender_phases(backend, folder, 1000, goals)
                who = "each with a goal and a strategy" if goals else "without goals"
                for phase in ("render", "record"):
                    figure(
                        f"sender, 1,000 check-in prompts claimed together ({who}): "
                        f"{phase}{'ed' if phase == 'render' else 'ed sent'}, {backend}",
                        row[f"{phase}_ms"],
                        "ms",
                        f"{row[f'{phase}_statements']} statements, in-process, no HTTP",
                    )
        paid_messages = 1000 if quick else 5000
        bare_messages = 1000 if quick else 3000
        for backend in backends:
            row = await sender_rate(backend, folder, 30.0, 150 if quick else 300)
            figure(
                f"sender at a configured 30/s, {backend}",
                row["achieved_per_second"],
                "messages/s",
                f"{row['share_of_configured']:.0%} of configured, "
                f"most in any 1 s: {row['most_in_any_second']}, "
                f"429s: {row['flood_control_429s']}",
            )

            # Paid broadcast at 1,000/s. On a shared machine the ceiling moves by half from
            # one run to the next, so the bare client runs before the first round and after
            # each: a round's sender runs are read against the mean of the bare runs on
            # either side of them, and each ratio is the median over rounds.
            # Each kind against a bare client sending the same message: plain notices
            # against "hi", check-in prompts against the reminder with its button.
            bare: dict[str, list[float]] = {"hi": [], "reminder": []}
            await bare_round(bare, bare_messages)
            sent: dict[str, list[dict[str, Any]]] = {"check-in prompts": [], "plain notices": []}
            for _round in range(rounds):
                sent["check-in prompts"].append(
                    await sender_rate(backend, folder, 1000.0, paid_messages)
                )
                sent["plain notices"].append(
                    await sender_rate(backend, folder, 1000.0, paid_messages, kind="notice")
                )
                await bare_round(bare, bare_messages)
            ceilings = {
                yardstick: [(before + after) / 2 for before, after in pairwise(rates)]
                for yardstick, rates in bare.items()
            }
            for yardstick, what in (("hi", '"hi"'), ("reminder", "the prompts' message")):
                figure(
                    f"bare PTB client sending {what}, no limiter or database, same fake "
                    f"(ceiling), {backend} run",
                    round(statistics.median(bare[yardstick]), 1),
                    "messages/s",
                    f"median of {len(bare[yardstick])} runs: {spread(bare[yardstick])}",
                )
            for what, rows in sent.items():
                rates = [row["achieved_per_second"] for row in rows]
                figure(
                    f"sender at a configured 1,000/s (paid broadcast), {what}, {backend}",
                    statistics.median(rates),
                    "messages/s",
                    f"{spread(rates)}; most in any 1 s: "
                    f"{max(row['most_in_any_second'] for row in rows)}, "
                    f"429s: {sum(row['flood_control_429s'] for row in rows)}",
                )
                yardsticks = [("hi", '"hi"')]
                if what == "check-in prompts":
                    yardsticks.append(("reminder", "the same message"))
                for yardstick, label in yardsticks:
                    ratio, note = paired_ratio(rates, ceilings[yardstick])
                    figure(
                        f"sender at 1,000/s, {what}, {backend} ÷ the bare client sending "
                        f"{label} (target ≥ 0.8)",
                        ratio,
                        "ratio",
                        note,
                    )
    return figures


COMMAND = command_line("bench.delivery")

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs")
    parser.add_argument(
        "--rounds", type=int, default=ROUNDS, help="paid-broadcast rounds (sender and bare client)"
    )
    arguments = parser.parse_args()
    print(
        f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.1f} at start"
    )
    results = asyncio.run(main(arguments.quick, arguments.rounds))
    print_figures(results)
    print(f"written to {save('delivery', results)}")
