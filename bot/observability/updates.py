"""PTB's update processor, timing each update for the metrics (only with METRICS_PORT)."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from telegram.ext import SimpleUpdateProcessor

from bot.observability.metrics import timed_update


class TimedUpdateProcessor(SimpleUpdateProcessor):
    """PTB's own processor (the same concurrency), each update counted and timed by kind."""

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        await timed_update(update, coroutine)
