"""Memory and start-up with 100,000 clients: a real `python -m bot run` over a full database.

    python -m bench.scale                 # 100,000 clients, 10,000 of them due at once
    python -m bench.scale --quick         # 10,000 clients, 1,000 due
    python -m bench.scale --clients 50000 --due 5000

For SQLite (a file), and PostgreSQL when a server answers (``TEST_POSTGRES_URL``):

1. populate: onboarded clients as onboarding leaves them (a user with language, time
   zone, check-in time and quiet hours, a lead practitioner, the default program, a
   daily check-in schedule), one practitioner per 100 clients, written with Core
   executemany in chunks;
2. one scheduler tick, in this process, over the ``--due`` clients whose check-in is
   due now (the fan-out: due schedules → outbox rows);
3. the due batch is made due again, and ``python -m bot run`` starts against the fake
   Bot API with a ``/help`` already waiting: the time until it polls, until it has
   answered that ``/help``, until its own first tick has written the due batch, and
   five seconds later the process's resident memory (VmRSS) and its peak so far
   (VmHWM) from /proc.

Its own start-up work (lesson planning over every client) runs then too, as after any
restart. The sender runs at the default 30 messages/s. Figures go to
bench/results/scale.json.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select, text, update

from bench.common import (
    ROOT,
    Figure,
    bot_environment,
    command_line,
    postgres_database,
    print_figures,
    save,
    wait_for,
)
from bot.app import planning
from bot.db import migrate
from bot.db.models import (
    CareTeamMember,
    MembershipState,
    OutboxMessage,
    Practice,
    Practitioner,
    ProgramEnrollment,
    Role,
    Schedule,
    TeamRole,
    User,
    UserStatus,
)
from bot.db.session import create_engine, create_session_factory
from bot.delivery import checkin_reminder
from bot.delivery import engine as delivery_engine
from bot.offline.fake_bot_api import FakeBotApi
from bot.settings import load_settings
from tests.processes import stop

COMMAND = command_line("bench.scale")
CLIENTS_PER_PRACTITIONER = 100
CHUNK = 5_000
FIRST_TELEGRAM_ID = 10_000_000
SETTLE_SECONDS = 5
STRANGER = 9_999_999  # sends the /help that start-up is timed by
ZONES = ("Europe/Berlin", "Europe/Madrid", "America/Mexico_City", "Europe/London", "UTC")
LOCALES = ("en", "de", "es")


# --------------------------------------------------------------------------- the database


def _users(first_id: int, count: int, offset: int, role: Role) -> list[dict[str, Any]]:
    return [
        {
            "id": first_id + i,
            "telegram_id": FIRST_TELEGRAM_ID + offset + i,
            "role": role,
            "status": UserStatus.ACTIVE,
            "locale": LOCALES[(offset + i) % 3],
            "timezone": ZONES[(offset + i) % len(ZONES)],
            "checkin_time": clock(7 + (offset + i) % 14, (offset + i) * 7 % 60),
            "quiet_start": clock(22, 0),
            "quiet_end": clock(7, 0),
        }
        for i in range(count)
    ]


async def populate(url: str, clients: int, due: int, now: datetime) -> float:
    """Seconds to write ``clients`` onboarded clients; the first ``due`` are due now."""
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
        started = time.perf_counter()
        practitioners = max(1, clients // CLIENTS_PER_PRACTITIONER)
        async with engine.begin() as connection:
            await connection.execute(
                User.__table__.insert(), _users(1, practitioners, 0, Role.PRACTITIONER)
            )
            # Every practitioner in the installation's default practice (the lowest id,
            # the one the migrations create).
            practice_id = await connection.scalar(select(func.min(Practice.id)))
            await connection.execute(
                Practitioner.__table__.insert(),
                [
                    {
                        "user_id": 1 + i,
                        "display_name": f"Practitioner {i}",
                        "practice_id": practice_id,
                    }
                    for i in range(practitioners)
                ],
            )
        first_client = practitioners + 1
        for start in range(0, clients, CHUNK):
            count = min(CHUNK, clients - start)
            ids = range(first_client + start, first_client + start + count)
            async with engine.begin() as connection:
                await connection.execute(
                    User.__table__.insert(),
                    _users(first_client + start, count, practitioners + start, Role.CLIENT),
                )
                await connection.execute(
                    CareTeamMember.__table__.insert(),
                    [
                        {
                            "client_id": user_id,
                            "practitioner_id": 1 + user_id % practitioners,
                            "role": TeamRole.LEAD,
                            "state": MembershipState.ACTIVE,
                            "alias": f"client {user_id}",
                            "invited_by_id": 1 + user_id % practitioners,
                            "decided_at": now,
                        }
                        for user_id in ids
                    ],
                )
                await connection.execute(
                    ProgramEnrollment.__table__.insert(),
                    [
                        {
                            "user_id": user_id,
                            "program_id": "foundations",
                            "started_on": (now - timedelta(days=user_id % 28)).date(),
                        }
                        for user_id in ids
                    ],
                )
                await connection.execute(
                    Schedule.__table__.insert(),
                    [_schedule(user_id, user_id - first_client < due, now) for user_id in ids],
                )
        if not url.startswith("sqlite"):
            # Ids were given explicitly: move the sequence past them for the bot's own rows.
            async with engine.begin() as connection:
                await connection.execute(
                    text("SELECT setval(pg_get_serial_sequence('users', 'id'), max(id)) FROM users")
                )
        return time.perf_counter() - started
    finally:
        await engine.dispose()


def _schedule(user_id: int, is_due: bool, now: datetime) -> dict[str, Any]:
    # Not due: some time in the next day, never during the benchmark.
    at = (
        now - timedelta(minutes=1) if is_due else now + timedelta(hours=2, seconds=user_id % 79_000)
    )
    return {
        "user_id": user_id,
        "kind": checkin_reminder.KIND,
        "weekdays": 127,
        "next_due_at": at,
        "next_slot_date": at.date(),
    }


async def make_due_again(url: str, clients_due: int, now: datetime) -> None:
    """Undo the measured tick: the due batch is due again, its outbox rows are gone."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(delete(OutboxMessage))
            due_ids = (
                select(Schedule.id)
                .order_by(Schedule.id)
                .offset(0)
                .limit(clients_due)
                .scalar_subquery()
            )
            at = now - timedelta(minutes=1)
            await connection.execute(
                update(Schedule)
                .where(Schedule.id.in_(due_ids))
                .values(next_due_at=at, next_slot_date=at.date(), last_slot_date=None)
            )
    finally:
        await engine.dispose()


async def count_checkins_queued(url: str) -> int:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.kind == checkin_reminder.KIND)
            )
    finally:
        await engine.dispose()


def settings_for(url: str) -> Any:
    return load_settings(_env_file=None, bot_token="1:x", database_url=url, log_level="WARNING")


async def one_tick(url: str) -> tuple[float, int]:
    """Seconds of one scheduler tick in this process, and how many slots it wrote."""
    engine = create_engine(url)
    try:
        sessions = create_session_factory(engine)
        started = time.perf_counter()
        result = await delivery_engine.tick(sessions, planning(settings_for(url)))
        return time.perf_counter() - started, result.scheduled
    finally:
        await engine.dispose()


# --------------------------------------------------------------------------- the bot process


def memory_mb(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (peak) of a running process, in MB, from /proc (Linux)."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(value.split()[0]) / 1024
    return values


@contextmanager
def bot_process(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as stderr:
        child = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        try:
            yield child
        finally:
            stop(child)


def run_bot(url: str, clients: int, due: int, log: Path) -> dict[str, float]:
    with FakeBotApi() as fake:
        for i in range(clients + clients // CLIENTS_PER_PRACTITIONER):
            fake.user(FIRST_TELEGRAM_ID + i, language_code=LOCALES[i % 3])
        stranger = fake.user(STRANGER, language_code="en")
        stranger.send("/help")
        env = bot_environment(fake, url)
        env["RATE_LIMIT_PER_SECOND"] = "30"
        started = time.perf_counter()
        with bot_process(env, log) as child:

            def alive(condition: Any) -> bool:
                if child.poll() is not None:
                    raise RuntimeError(log.read_text(errors="replace")[-3000:])
                return bool(condition())

            polling = wait_for(lambda: alive(lambda: fake.calls("getUpdates")), 120, "a poll")
            answered = wait_for(lambda: alive(lambda: fake.sent(STRANGER)), 120, "/help")
            wait_for(
                lambda: alive(lambda: asyncio.run(count_checkins_queued(url)) >= due),
                600,
                "the first tick to queue the due batch",
                interval=0.25,  # a query each time: do not load the machine
            )
            queued = time.perf_counter() - started
            time.sleep(SETTLE_SECONDS)  # the city index is built in the background at start
            alive(lambda: True)
            memory = memory_mb(child.pid)
    return {
        "polling": polling,
        "answered": polling + answered,
        "queued": queued,
        "rss": memory["VmRSS"],
        "peak": memory["VmHWM"],
    }


# --------------------------------------------------------------------------- the figures


def measure(backend: str, url: str, clients: int, due: int, folder: Path) -> list[Figure]:
    figures: list[Figure] = []

    def figure(measure: str, value: float, unit: str, note: str = "") -> None:
        figures.append(Figure("scale", f"{measure}, {backend}", value, unit, COMMAND, note))

    now = datetime.now(UTC)
    seconds = asyncio.run(populate(url, clients, due, now))
    figure(f"populate {clients:,} onboarded clients (Core executemany)", seconds, "s")
    if url.startswith("sqlite"):
        size = Path(url.partition(":///")[2]).stat().st_size / 1024 / 1024
        figure(f"database file with {clients:,} clients", size, "MB")
    seconds, scheduled = asyncio.run(one_tick(url))
    if scheduled != due:
        raise RuntimeError(f"the tick wrote {scheduled} slots, {due} were due")
    figure(f"one tick: {due:,} due check-ins → outbox rows (of {clients:,})", seconds, "s")
    asyncio.run(make_due_again(url, due, datetime.now(UTC)))
    result = run_bot(url, clients, due, folder / f"bot-{backend}.log")
    figure(f"start-up to first poll, {clients:,} clients", result["polling"], "s")
    figure(f"start-up to the first /help answered, {clients:,} clients", result["answered"], "s")
    figure(f"start-up to the due batch of {due:,} queued", result["queued"], "s")
    figure(f"resident memory (VmRSS) after that tick, {clients:,} clients", result["rss"], "MB")
    figure(f"peak resident memory (VmHWM), {clients:,} clients", result["peak"], "MB")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=None, help="due at once (default: 10 %%)")
    parser.add_argument("--quick", action="store_true", help="10,000 clients, 1,000 due")
    args = parser.parse_args()
    clients = 10_000 if args.quick else args.clients
    due = args.due if args.due is not None else clients // 10
    print(
        f"{clients:,} clients, {due:,} due at once; load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        figures += measure(
            "SQLite", f"sqlite+aiosqlite:///{folder / 'scale.db'}", clients, due, folder
        )
        with postgres_database() as postgres_url:
            if postgres_url:
                figures += measure("PostgreSQL", postgres_url, clients, due, folder)
    print_figures(figures)
    print(f"written to {save('scale', figures)}")


if __name__ == "__main__":
    main()
