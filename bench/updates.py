"""Updates handled per second, end to end: Between against a bare PTB echo bot, same fake, same run.

Each bot runs as its own process (as in production) and long-polls the in-process
fake Bot API. Once it is polling, N messages are queued at once and the clock
runs until N replies have reached the fake.

Usage: python -m bench.updates [--updates 2000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from bench.common import (
    Figure,
    bot_environment,
    command_line,
    pinned,
    postgres_database,
    print_figures,
    process,
    save,
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


def run(updates: int) -> list[Figure]:
    figures = []
    bare = [sys.executable, "-m", "bench.bare_echo_bot", "{url}", "{token}"]
    for concurrency in (1, 16):
        rate = measure(
            [*bare, str(concurrency)], updates, lambda fake: bot_environment(fake, "sqlite://")
        )
        figures.append(
            Figure(
                "updates", f"bare PTB echo bot, {concurrency} at once", rate, "updates/s", COMMAND
            )
        )
    between = [sys.executable, "-m", "bot", "run", "--upgrade"]
    with tempfile.TemporaryDirectory() as scratch:
        sqlite_url = f"sqlite:///{Path(scratch) / 'bench.db'}"
        rate = measure(between, updates, lambda fake: bot_environment(fake, sqlite_url))
        figures.append(Figure("updates", "Between /help, SQLite", rate, "updates/s", COMMAND))
    with postgres_database() as postgres_url:
        if postgres_url:
            rate = measure(between, updates, lambda fake: bot_environment(fake, postgres_url))
            figures.append(
                Figure("updates", "Between /help, PostgreSQL", rate, "updates/s", COMMAND)
            )
    bare_rate = max(f.value for f in figures if f.measure.startswith("bare"))
    for figure in [f for f in figures if f.measure.startswith("Between")]:
        figures.append(
            Figure(
                "updates",
                f"{figure.measure} ÷ best bare",
                figure.value / bare_rate,
                "ratio",
                COMMAND,
            )
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=2000)
    args = parser.parse_args()
    figures = run(args.updates)
    print_figures(figures)
    print(f"written to {save('updates', figures)}")


if __name__ == "__main__":
    main()
