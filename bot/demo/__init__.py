"""``python -m bot demo``: two weeks with Between in under a minute, no token, no network.

The real application runs against the built-in fake Telegram (bot/offline/) on a
throwaway SQLite database, while the wall clock is moved forward (bot/offline/clock.py).
The transcript shows both sides of every chat; the images and files the bot sent
(the digest's chart, Lucía's progress chart, Eva's export) are written to a folder.
``--chat`` lets a person play the client in the terminal instead.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
import tempfile
import unicodedata
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from bot.app import BotApplication, build_application, running
from bot.crypto import generate_key
from bot.db import migrate
from bot.db.session import create_engine
from bot.demo.story import EVENINGS, START, Story
from bot.demo.transcript import Transcript
from bot.offline.clock import SimulatedClock
from bot.offline.fake_bot_api import FakeBotApi
from bot.settings import load_settings

DEFAULT_FOLDER = Path("between-demo")
# The periodic jobs are run by the demo itself after each jump in time
# (run_due_work); their own timers are set far apart so they do not interfere.
_QUIET_JOBS = 3600


@dataclass
class DemoResult:
    folder: Path
    days: int
    replies: int
    files: list[Path] = field(default_factory=list)


async def play(
    out: Callable[[str], None] = print,
    *,
    folder: Path = DEFAULT_FOLDER,
    days: int = len(EVENINGS),
    progress: bool = False,
) -> DemoResult:
    """Play ``days`` simulated days (at most two weeks) and write the files to ``folder``."""
    days = max(1, min(days, len(EVENINGS)))
    folder.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - once, before the bot runs
    lines: list[str] = []
    bar = tqdm(total=days, desc="simulated days", unit="day", file=sys.stderr, disable=not progress)

    def say(line: str) -> None:
        lines.append(line)
        if progress:
            bar.write(line)
        else:
            out(line)

    async with _world() as (fake, application, clock):
        transcript = Transcript(fake, say)
        story = Story(fake, application, clock, transcript)
        say("Between — offline demo: two weeks at accelerated time, against a fake Telegram")
        say("on this machine (nothing leaves it). Dr. Eva Weber writes in English; Lucía,")
        say("her client in Valencia, in Spanish.")
        await story.enrollment()
        await story.intake()
        await story.goals()
        await story.practitioner_plan()
        for day in range(days):
            await story.evening(day)
            if day < days - 1:
                await story.morning(day + 1)
            bar.update(1)
        await story.ending(days - 1)
        bar.close()
        files = _save_attachments(transcript, folder)
    transcript_file = folder / "transcript.txt"
    transcript_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    files.append(transcript_file)
    say("")
    say(f"Files written to {folder}/:")
    for path in files:
        say(f"  {path.name}")
    return DemoResult(folder=folder, days=days, replies=transcript.replies, files=files)


@asynccontextmanager
async def _world() -> AsyncIterator[tuple[FakeBotApi, BotApplication, SimulatedClock]]:
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


def _save_attachments(transcript: Transcript, folder: Path) -> list[Path]:
    """Every image and file the bot sent, named by order, recipient and moment."""
    saved = []
    for number, (person, message, scene) in enumerate(transcript.attachments, start=1):
        if message.file is None:
            continue
        document = message.method == "sendDocument" and message.filename
        what = message.filename if document else f"{_slug(scene)}.png"
        path = folder / f"{number:02d}-{_slug(person.name)}-{what}"
        path.write_bytes(message.file)
        saved.append(path)
    return saved


def _slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.casefold()).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:40] or "image"


def run(*, folder: Path = DEFAULT_FOLDER, days: int = len(EVENINGS), chat: bool = False) -> int:
    """``python -m bot demo [--out DIR] [--days N] [--chat]``."""
    if chat:
        from bot.demo.chat import chat as play_in_terminal

        return asyncio.run(play_in_terminal())
    asyncio.run(play(folder=folder, days=days, progress=sys.stderr.isatty()))
    return 0
