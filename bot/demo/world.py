"""The demo's world: the fake Telegram, a migrated throwaway database and the running
bot, at the story's start (used by the played story and by ``--chat``)."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.app import BotApplication, build_application, running
from bot.crypto import generate_key
from bot.db import migrate
from bot.db.session import create_engine
from bot.demo.story import START
from bot.offline.clock import SimulatedClock
from bot.offline.fake_bot_api import FakeBotApi
from bot.settings import load_settings

# The periodic jobs are run by the demo itself after each jump in time
# (run_due_work); their own timers are set far apart so they do not interfere.
_QUIET_JOBS = 3600


@asynccontextmanager
async def world() -> AsyncIterator[tuple[FakeBotApi, BotApplication, SimulatedClock]]:
    """The fake Telegram, a migrated throwaway database and the running bot, at START."""
    logging.getLogger().setLevel(logging.WARNING)
    with (
        SimulatedClock(START) as clock,
        tempfile.TemporaryDirectory() as scratch,
        FakeBotApi() as fake,
    ):
        settings = load_settings(
            _env_file=None,
            bot_token=fake.token,
            telegram_api_url=fake.url,
            database_url=f"sqlite:///{Path(scratch) / 'demo.db'}",
            polling_timeout=1,
            encryption_keys=generate_key(),  # a throwaway database needs a throwaway key
            default_timezone="Europe/Berlin",
            scheduler_tick_seconds=_QUIET_JOBS,
            lesson_planning_seconds=_QUIET_JOBS,
            checkin_sweep_seconds=_QUIET_JOBS,
        )
        engine = create_engine(settings.database_url)
        await migrate.upgrade(engine)
        await engine.dispose()
        application = build_application(settings)
        async with running(application, poll_timeout=1):
            yield fake, application, clock
