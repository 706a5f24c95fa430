"""CPU per Bot API call in the bot's process: python-telegram-bot's default client (httpx)
against the aiohttp client Between uses (``bot/telegram_http.py``), in the same run.

Usage: python -m bench.http_client [--calls N] [--rounds N]

``Bot.send_message`` to the fake Bot API, which runs in a process of its own so that only
the client's CPU is counted (``time.process_time`` of this process), 16 calls in flight
as Between handles updates, then one at a time. Each round measures both clients in turn.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

from telegram import Bot
from telegram.request import BaseRequest

from bench.common import ROOT, Figure, command_line, paired_ratio, print_figures, save, spread
from bot.telegram_http import request

NAME = "http_client"
USERS = 100
FIRST_USER = 1000
# The fake Bot API in a child process: prints its base URL and token, serves until killed.
_SERVE = f"""
import time
from bot.offline.fake_bot_api import FakeBotApi
with FakeBotApi() as fake:
    for user in range({FIRST_USER}, {FIRST_USER + USERS}):
        fake.user(user)
    print(fake.url, fake.token, flush=True)
    time.sleep(3600)
"""


async def cpu_per_call(
    url: str, token: str, make: Callable[[], BaseRequest], calls: int, at_once: int
) -> float:
    """Milliseconds of this process's CPU per ``send_message``, after a warm-up."""
    bot = Bot(token, base_url=f"{url}/bot", request=make())
    async with bot:
        gate = asyncio.Semaphore(at_once)

        async def send(number: int) -> None:
            async with gate:
                await bot.send_message(FIRST_USER + number % USERS, "hi")

        await asyncio.gather(*(send(number) for number in range(200)))
        started = time.process_time()
        await asyncio.gather(*(send(number) for number in range(calls)))
        return (time.process_time() - started) / calls * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    command = command_line("bench.http_client")
    fake = subprocess.Popen(
        [sys.executable, "-c", _SERVE], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    figures: list[Figure] = []
    try:
        assert fake.stdout is not None
        url, token = fake.stdout.readline().split()
        for at_once in (16, 1):
            measured: dict[str, list[float]] = {"httpx": [], "aiohttp": []}
            for _ in range(arguments.rounds):
                for client in measured:
                    make = functools.partial(request, client, pool_size=at_once + 4)
                    measured[client].append(
                        asyncio.run(cpu_per_call(url, token, make, arguments.calls, at_once))
                    )
            for client, values in measured.items():
                figures.append(
                    Figure(
                        NAME,
                        f"CPU per Bot.send_message, {client}, {at_once} in flight",
                        statistics.median(values),
                        "ms",
                        command,
                        f"median of {len(values)} rounds: {spread(values)}",
                    )
                )
            ratio, note = paired_ratio(measured["aiohttp"], measured["httpx"])
            figures.append(
                Figure(
                    NAME,
                    f"aiohttp ÷ httpx, CPU per call, {at_once} in flight",
                    ratio,
                    "ratio",
                    command,
                    note,
                )
            )
    finally:
        fake.kill()
        fake.wait()
    print_figures(figures)
    save(NAME, figures)


if __name__ == "__main__":
    main()
