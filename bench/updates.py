"""Updates handled per second, end to end: Between against a bare PTB echo bot, same fake, same run.

Each bot runs as its own process (as in production) and long-polls the in-process
fake Bot API. Once it is polling, N messages are queued at once and the clock
runs until N replies have reached the fake. Every bot runs once per round, in
turn, for ``--rounds`` rounds: each figure is the median of its runs, each ratio
the median of the rounds' ratios (Between against the better echo bot of the same
round, the target's yardstick, and against the echo bot handling 16 at once as Between
does), so one disturbed run on a shared machine does not decide it.

Usage: python -m bench.updates [--updates 2000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path

from bench.common import (
    ROUNDS,
    Figure,
    bot_environment,
    command_line,
    paired_ratio,
    pinned,
    postgres_database,
    print_figures,
    process,
    save,
    spread,
    wait_for,
)
from bot.offline.fake_bot_api import FakeBotApi

COMMAND = command_line("bench.updates")
USERS = 400


def measure(
    command: list[str], updates: int, env_for: Callable[[FakeBotApi], dict[str, str]]
) -> float:
    with FakeBotApi() as fake:
        env = env_for(fake)
        command = pinned([c.format(url=fake.url, token=fake.token) for c in command])
        with process(command, env) as child:
            wait_for(lambda: bool(fake.calls("getUpdates")), 60, "the bot to start polling")
            if child.poll() is not None:
                raise RuntimeError(child.stderr.read().decode()[-2000:])
            users = [
                fake.user(10_000 + i, language_code=("en", "de", "es")[i % 3]) for i in range(USERS)
            ]
            for i in range(updates):
                users[i % USERS].send("/help")
            seconds = wait_for(lambda: fake.sent_count() >= updates, 300, "all replies")
    return updates / seconds


def run(updates: int, rounds: int = ROUNDS) -> list[Figure]:
    """Every bot once per round, in turn; each ratio is the median over rounds of Between
    against the better echo bot of the same round."""
    bare = [sys.executable, "-m", "bench.bare_echo_bot", "{url}", "{token}"]
    between = [sys.executable, "-m", "bot", "run", "--upgrade"]
    runs: dict[str, list[float]] = {}
    for _round in range(rounds):
        for concurrency in (1, 16):
            rate = measure(
                [*bare, str(concurrency)], updates, lambda fake: bot_environment(fake, "sqlite://")
            )
            runs.setdefault(f"bare PTB echo bot, {concurrency} at once", []).append(rate)
        with tempfile.TemporaryDirectory() as scratch:
            sqlite_url = f"sqlite:///{Path(scratch) / 'bench.db'}"
            rate = measure(between, updates, partial(bot_environment, database_url=sqlite_url))
            runs.setdefault("Between /help, SQLite", []).append(rate)
        with postgres_database() as postgres_url:
            if postgres_url:
                rate = measure(
                    between, updates, partial(bot_environment, database_url=postgres_url)
                )
                runs.setdefault("Between /help, PostgreSQL", []).append(rate)
    figures = [
        Figure("updates", name, statistics.median(rates), "updates/s", COMMAND, spread(rates))
        for name, rates in runs.items()
    ]
    best_bare = [
        max(pair) for pair in zip(*(runs[m] for m in runs if m.startswith("bare")), strict=True)
    ]
    same_concurrency = runs["bare PTB echo bot, 16 at once"]
    for name, rates in runs.items():
        if name.startswith("Between"):
            ratio, note = paired_ratio(rates, best_bare)
            figures.append(
                Figure(
                    "updates",
                    f"{name} ÷ best bare (target ≥ 0.7)",
                    ratio,
                    "ratio",
                    COMMAND,
                    note,
                )
            )
            # Between handles 16 updates at once (CONCURRENT_UPDATES), as it must with
            # Telegram's real latency; PTB itself costs more per update that way.
            ratio, note = paired_ratio(rates, same_concurrency)
            figures.append(
                Figure(
                    "updates",
                    f"{name} ÷ bare echo at 16 at once, as Between runs",
                    ratio,
                    "ratio",
                    COMMAND,
                    note,
                )
            )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="each bot measured this often")
    args = parser.parse_args()
    figures = run(args.updates, args.rounds)
    print_figures(figures)
    print(f"written to {save('updates', figures)}")


if __name__ == "__main__":
    main()
