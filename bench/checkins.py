"""Check-in answers per second, end to end: N clients each press a rating at once.

The bot runs as its own process (as in production) against the in-process fake Bot
API, on SQLite and, when reachable, PostgreSQL. Clients and their goals are written
to the database first; each client sends /checkin and gets the first question; then
all N press "7" at once, and the clock runs until N messages were edited into the
next question (each press: the sender checked, the rating upserted, the next step
stored, the message edited).

Three yardsticks run on the same fake in the same run: a bare PTB echo bot, a bare PTB
bot that does only the Telegram part of an answer (bench/bare_button_bot.py) — what any
PTB bot reaches before it stores anything — and, on each database, a minimal *storing*
PTB bot (bench/storing_button_bot.py: one ORM lookup and one insert per press, then the
same answer and edit). Between's target is 0.8 of the storing bot on each database.
The storing bot and Between run in turn, once per round, for ``--rounds`` rounds:
each figure is the median of its runs, the ratio to the storing bot the median of
the rounds' ratios (one disturbed run on a shared machine does not decide it).

``--profile DIR`` runs Between under cProfile and writes ``DIR/<database>.prof``.

Usage: python -m bench.checkins [--clients 400] [--rounds 3] [--profile DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from pathlib import Path

from sqlalchemy import insert, select

from bench import storing_button_bot, updates
from bench.common import (
    ROUNDS,
    Figure,
    bot_environment,
    paired_ratio,
    pinned,
    postgres_database,
    process,
    save,
    spread,
    wait_for,
)
from bot import crypto
from bot.db.migrate import upgrade
from bot.db.models import Goal, GoalStatus, Role, User, UserStatus
from bot.db.session import create_engine, create_session_factory
from bot.offline.fake_bot_api import FakeBotApi

COMMAND = "python -m bench.checkins"
FIRST_ID = 30_000


async def prepare(database_url: str, clients: int, key: str) -> None:
    """Migrated database, ``clients`` active clients with one active goal each."""
    crypto.configure(crypto.Cipher([key]))
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        sessions = create_session_factory(engine)
        async with sessions() as session, session.begin():
            await session.execute(
                insert(User),
                [
                    {
                        "telegram_id": FIRST_ID + i,
                        "role": Role.CLIENT,
                        "status": UserStatus.ACTIVE,
                        "locale": ("en", "de", "es")[i % 3],
                        "timezone": "Europe/Berlin",
                    }
                    for i in range(clients)
                ],
            )
            user_ids = list(await session.scalars(select(User.id)))
            session.add_all(
                Goal(user_id=user_id, title="Sleep", status=GoalStatus.ACTIVE)
                for user_id in user_ids
            )
    finally:
        await engine.dispose()


def measure(command: list[str], env: dict[str, str], fake: FakeBotApi, clients: int) -> float:
    """Answers per second: ``clients`` each send /checkin, then all press "7" at once."""
    with process(pinned(command), env) as child:
        wait_for(lambda: bool(fake.calls("getUpdates")), 60, "the bot to start polling")
        if child.poll() is not None:
            raise RuntimeError(child.stderr.read().decode()[-2000:])
        users = [fake.user(FIRST_ID + i) for i in range(clients)]
        for user in users:
            user.send("/checkin")
        wait_for(lambda: fake.sent_count() >= clients, 300, "every first question")
        prompts = [user.messages()[0] for user in users]
        for user, prompt in zip(users, prompts, strict=True):
            user.press(prompt, "7")
        try:
            seconds = wait_for(
                lambda: len(fake.calls("editMessageText")) >= clients, 300, "every answer"
            )
        except TimeoutError:
            # Reported, not raised: the other figures of the run still count.
            edits = len(fake.calls("editMessageText"))
            print(f"  ({command[-1]}: only {edits} of {clients} presses edited in 300 s)")
            return float("nan")
    rate = clients / seconds
    print(f"  {' '.join(command[1:3])} … {rate:.1f}/s", flush=True)
    return rate


def between(database_url: str, clients: int, profile: Path | None = None) -> float:
    with FakeBotApi() as fake:
        env = bot_environment(fake, database_url)
        asyncio.run(prepare(database_url, clients, env["ENCRYPTION_KEYS"]))
        command = [sys.executable, "-m", "bot", "run"]
        if profile is not None:
            command[1:1] = ["-m", "cProfile", "-o", str(profile)]
        return measure(command, env, fake, clients)


def storing(database_url: str, clients: int) -> float:
    """The minimal storing PTB bot on ``database_url`` (an empty database)."""
    asyncio.run(storing_button_bot.prepare(database_url, [FIRST_ID + i for i in range(clients)]))
    with FakeBotApi() as fake:
        command = [
            sys.executable,
            "-m",
            "bench.storing_button_bot",
            fake.url,
            fake.token,
            "16",
            database_url,
        ]
        return measure(command, bot_environment(fake, "sqlite://"), fake, clients)


def bare(module: str, clients: int) -> float:
    """A bare PTB bot (bench/bare_*.py), 16 updates at once like Between."""
    with FakeBotApi() as fake:
        command = [sys.executable, "-m", module, fake.url, fake.token, "16"]
        return measure(command, bot_environment(fake, "sqlite://"), fake, clients)


def run(clients: int, profile: Path | None = None, rounds: int = ROUNDS) -> list[Figure]:
    # The yardsticks, in the same run and on the same fake: a bare PTB echo bot answering
    # as many messages sent at once (bench/updates.py measures it the same way), and a
    # bare PTB bot doing only the Telegram part of an answer (answer the press, edit).
    echo = [sys.executable, "-m", "bench.bare_echo_bot", "{url}", "{token}", "16"]
    echo_rate = updates.measure(echo, clients, lambda fake: bot_environment(fake, "sqlite://"))
    button_rate = bare("bench.bare_button_bot", clients)
    figures = [
        Figure("checkins", "bare PTB echo bot, 16 at once", echo_rate, "updates/s", COMMAND),
        Figure(
            "checkins",
            "bare PTB button bot (answer + edit, no database)",
            button_rate,
            "answers/s",
            COMMAND,
        ),
        Figure(
            "checkins",
            "bare button bot ÷ bare echo (the ceiling of the 0.7 target)",
            button_rate / echo_rate,
            "ratio",
            COMMAND,
        ),
    ]
    # The storing bot and Between in turn, once per round: each ratio to the storing bot
    # is the median over rounds of the pair measured together (bench.common.paired_ratio).
    peers: dict[str, list[float]] = {}
    answers: dict[str, list[float]] = {}
    for round_number in range(rounds):
        with tempfile.TemporaryDirectory() as scratch:
            peer_url = f"sqlite+aiosqlite:///{Path(scratch) / 'peer.db'}"
            peers.setdefault("SQLite", []).append(storing(peer_url, clients))
            url = f"sqlite+aiosqlite:///{Path(scratch) / 'bench.db'}"
            sqlite_profile = profile / "sqlite.prof" if profile and round_number == 0 else None
            answers.setdefault("SQLite", []).append(between(url, clients, sqlite_profile))
        with postgres_database() as postgres_url:
            if postgres_url:
                peers.setdefault("PostgreSQL", []).append(storing(postgres_url, clients))
        with postgres_database() as postgres_url:
            if postgres_url:
                postgres_profile = (
                    profile / "postgresql.prof" if profile and round_number == 0 else None
                )
                answers.setdefault("PostgreSQL", []).append(
                    between(postgres_url, clients, postgres_profile)
                )
    for database, rates in answers.items():
        figures.append(
            Figure(
                "checkins",
                f"answers, {database}",
                statistics.median(rates),
                "answers/s",
                COMMAND,
                spread(rates),
            )
        )
    for database, rates in peers.items():
        figures.append(
            Figure(
                "checkins",
                f"storing PTB bot (ORM lookup + insert), {database}",
                statistics.median(rates),
                "answers/s",
                COMMAND,
                spread(rates),
            )
        )
    for database, rates in answers.items():
        answered = statistics.median(rates)
        for yardstick, rate in (("bare echo", echo_rate), ("bare button bot", button_rate)):
            figures.append(
                Figure(
                    "checkins",
                    f"answers, {database} ÷ {yardstick}",
                    answered / rate,
                    "ratio",
                    COMMAND,
                )
            )
        if database in peers:
            ratio, note = paired_ratio(rates, peers[database])
            figures.append(
                Figure(
                    "checkins",
                    f"answers, {database} ÷ storing PTB bot (target ≥ 0.8)",
                    ratio,
                    "ratio",
                    COMMAND,
                    note,
                )
            )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=400)
    parser.add_argument("--profile", type=Path, help="write cProfile output of Between here")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="each bot measured this often")
    args = parser.parse_args()
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    figures = run(args.clients, args.profile, args.rounds)
    for figure in figures:
        print(f"{figure.measure:<45} {figure.value:>10.2f} {figure.unit}")
    print(f"written to {save('checkins', figures)}")


if __name__ == "__main__":
    main()
