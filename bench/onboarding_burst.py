"""How fast a normal onboarding sends updates: the figure the flood guard's limits stand on.

Plays the demo's new client (Lucía, `python -m bot demo`) through enrollment, the four
onboarding questions, the intake and her first two goals, against the in-process fake
Bot API, each tap or message sent as soon as the bot has answered the last one (and
gone quiet for 0.3 s): faster than any person taps. Every update she sends is timed
as the bot receives it. Printed: the most updates in any 10 s and any 60 s, counting
all of them and counting only those the flood guard counts (presses of a button that
answers the bot's question are not: `bot/callbacks.py` ANSWERS); the smallest
FLOOD_BURST that would not have slowed her down at the FLOOD_PER_MINUTE in force; and
how many "slow down" messages she got with the defaults (it must be 0).

Usage: python -m bench.onboarding_burst
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

from telegram import Update
from telegram.ext import TypeHandler

from bench.common import Figure, print_figures, save
from bot.callbacks import answers_a_question
from bot.context import SERVICES_KEY, BotContext
from bot.demo.story import Story
from bot.demo.transcript import Transcript
from bot.demo.world import world
from bot.enrollment import timezones
from bot.flood import FloodGuard, Verdict

COMMAND = "python -m bench.onboarding_burst"
WINDOWS = (10.0, 60.0)
QUIET = 0.3  # seconds without a new message or edit before the next tap


class _Transcript(Transcript):
    """The demo's transcript, printing nothing, with a little more quiet before the next
    tap than the demo's 0.15 s: on a loaded machine the bot's second message of an answer
    (an edit, then the next question) can come later than that."""

    async def settle(
        self, *, expect_reply: bool = True, first: float = 10.0, quiet: float = QUIET
    ) -> int:
        return await super().settle(expect_reply=expect_reply, first=first, quiet=max(quiet, QUIET))


def most_in_window(times: list[float], seconds: float) -> int:
    """The most of ``times`` (seconds, sorted) that fall in any window of ``seconds``."""
    best, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] > seconds:
            start += 1
        best = max(best, end - start + 1)
    return best


def smallest_burst(times: list[float], per_minute: float) -> int:
    """The smallest burst with which a :class:`FloodGuard` at ``per_minute`` lets every
    update in ``times`` through without flooding."""
    origin = datetime(2026, 1, 1, tzinfo=UTC)
    burst = 1
    while True:
        guard = FloodGuard(burst, per_minute)
        instants = (origin + timedelta(seconds=at) for at in times)
        if not any(guard.admit(1, instant).flooding for instant in instants):
            return burst
        burst += 1


async def play() -> tuple[list[float], list[float], int, float]:
    """(every update's time, the counted ones' times, "slow down"s sent, FLOOD_PER_MINUTE)."""
    async with world() as (fake, application, clock):
        story = Story(fake, application, clock, _Transcript(fake, lambda _line: None))
        client_id = story.cast.lucia.user.id
        every: list[float] = []
        counted: list[float] = []

        async def timed(update: Update, _context: BotContext) -> None:
            if update.effective_user is None or update.effective_user.id != client_id:
                return
            at = time.monotonic()
            every.append(at)
            query = update.callback_query
            if query is None or not answers_a_question(query.data):
                counted.append(at)

        application.add_handler(TypeHandler(Update, timed), group=-3)
        # The city index is built once at start, in a child process: wait for it, so a
        # slow start (a loaded machine) is not mistaken for a slow client.
        await asyncio.to_thread(timezones.city_index)
        services = application.bot_data[SERVICES_KEY]
        guard: FloodGuard = services.flood
        admit = guard.admit
        warnings = 0

        def admit_and_count(user_id: int, now: datetime) -> Verdict:
            nonlocal warnings
            verdict = admit(user_id, now)
            warnings += user_id == client_id and verdict.warn
            return verdict

        guard.admit = admit_and_count  # type: ignore[method-assign]
        await story.enrollment()
        await story.intake()
        await story.goals()
        start = every[0]
        return (
            [at - start for at in every],
            [at - start for at in counted],
            warnings,
            services.settings.flood_per_minute,
        )


def figures(every: list[float], counted: list[float], warnings: int, per_minute: float):
    result = [
        Figure("onboarding_burst", "updates in a fast onboarding", len(every), "", COMMAND),
        Figure(
            "onboarding_burst",
            "its duration",
            every[-1] if every else 0.0,
            "s",
            COMMAND,
        ),
    ]
    for seconds in WINDOWS:
        for name, times in (("all updates", every), ("counted by the guard", counted)):
            result.append(
                Figure(
                    "onboarding_burst",
                    f"most in any {seconds:.0f} s, {name}",
                    most_in_window(times, seconds),
                    "",
                    COMMAND,
                )
            )
    for name, times in (("all updates", every), ("counted by the guard", counted)):
        result.append(
            Figure(
                "onboarding_burst",
                f"smallest FLOOD_BURST not slowing it, {name}",
                smallest_burst(times, per_minute),
                "",
                COMMAND,
                f"at FLOOD_PER_MINUTE={per_minute:g}",
            )
        )
    result.append(
        Figure("onboarding_burst", '"slow down" sent with the defaults', warnings, "", COMMAND)
    )
    return result


if __name__ == "__main__":
    every, counted, warnings, per_minute = asyncio.run(play())
    results = figures(every, counted, warnings, per_minute)
    print_figures(results)
    print(f"written to {save('onboarding_burst', results)}")
