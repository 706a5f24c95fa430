"""``python -m bot demo``: two weeks with Between in under a minute, no token, no network.

The real application runs against the built-in fake Telegram (bot/offline/) on a
throwaway SQLite database, while the wall clock is moved forward (bot/offline/clock.py).
The transcript shows both sides of every chat; the images and files the bot sent
(the digest's chart, Lucía's progress chart, Eva's export) are written to a folder.
``--chat`` lets a person play the client in the terminal instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sys
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from tqdm import tqdm

from bot.app import BotApplication
from bot.context import SERVICES_KEY
from bot.demo.story import EVA_TELEGRAM_ID, EVENINGS, Story
from bot.demo.transcript import Transcript
from bot.demo.world import world
from bot.offline.fake_bot_api import FakeBotApi

DEFAULT_FOLDER = Path("between-demo")
#: The most simulated days: the story has two weeks of evenings.
MAX_DAYS = len(EVENINGS)
#: The file that marks a folder as the demo's own (so a later run may empty it).
MARK = ".between-demo"


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
    days: int = MAX_DAYS,
    progress: bool = False,
    web_until: asyncio.Event | None = None,
    web_port: int = 0,
) -> DemoResult:
    """Play ``days`` simulated days (1 to :data:`MAX_DAYS`) and write the files to
    ``folder`` (see :func:`fresh_folder`: never mixed with an earlier run's); with
    ``web_until``, then serve the web view on ``web_port`` until that event is set."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"the demo plays 1 to {MAX_DAYS} days, not {days}")
    folder = fresh_folder(folder)
    lines: list[str] = []
    bar = tqdm(total=days, desc="simulated days", unit="day", file=sys.stderr, disable=not progress)

    def say(line: str) -> None:
        lines.append(line)
        if progress:
            bar.write(line)
        else:
            out(line)

    async with world() as (fake, application, clock):
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
        if web_until is not None:
            await serve_dashboard(fake, application, say, until=web_until, port=web_port)
    transcript_file = folder / "transcript.txt"
    transcript_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    files.append(transcript_file)
    say("")
    say(f"Files written to {folder}/:")
    for path in files:
        say(f"  {path.name}")
    return DemoResult(folder=folder, days=days, replies=transcript.replies, files=files)


def fresh_folder(folder: Path) -> Path:
    """An empty folder for this run's files, so two runs never mix.

    A folder an earlier demo wrote (it holds :data:`MARK`) is emptied of its files; a
    folder that holds anything else is left alone, and the files go to a new folder
    next to it (``between-demo-2``, ``-3`` …). Runs once, before the bot starts.
    """
    candidate, number = folder, 1
    while candidate.exists() and not _reusable(candidate):
        number += 1
        candidate = folder.with_name(f"{folder.name}-{number}")
    candidate.mkdir(parents=True, exist_ok=True)
    for path in candidate.iterdir():
        if path.is_file() or path.is_symlink():
            path.unlink()
    (candidate / MARK).touch()
    return candidate


def _reusable(folder: Path) -> bool:
    return folder.is_dir() and ((folder / MARK).exists() or not any(folder.iterdir()))


async def serve_dashboard(
    fake: FakeBotApi,
    application: BotApplication,
    say: Callable[[str], None],
    *,
    until: asyncio.Event,
    port: int = 0,
) -> None:
    """The practitioners' web view on this machine, opened as Eva: the address carries
    initData signed with the fake bot's token, the way Telegram hands it to a Mini App
    (``#tgWebAppData=…``), so the server checks it exactly as it would in production."""
    from bot.web.app import create_app
    from bot.web.initdata import sign
    from bot.web.server import WebServer

    services = application.bot_data[SERVICES_KEY]
    server = WebServer(create_app(services, bot_token=fake.token), host="127.0.0.1", port=port)
    await server.start()
    signed = sign(
        fake.token,
        telegram_id=EVA_TELEGRAM_ID,
        auth_date=int(time.time()),
        language_code="en",
        first_name="Eva",
    )
    try:
        say("")
        say("Eva's caseload in the web view (the Mini App), until Ctrl-C:")
        say(f"  http://127.0.0.1:{server.port}/#{urlencode({'tgWebAppData': signed})}")
        say("(Open it within the hour; without network the page just can't load")
        say("telegram.org's script, and reads the address instead.)")
        await until.wait()
    finally:
        await server.stop()


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


def run(
    *,
    folder: Path = DEFAULT_FOLDER,
    days: int = MAX_DAYS,
    chat: bool = False,
    web: bool = False,
    web_port: int = 8080,
) -> int:
    """``python -m bot demo [--out DIR] [--days N] [--chat] [--web [--port N]]``."""
    if chat:
        from bot.demo.chat import chat as play_in_terminal

        return asyncio.run(play_in_terminal())
    until = asyncio.Event() if web else None  # never set: Ctrl-C ends the demo
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            play(
                folder=folder,
                days=days,
                progress=sys.stderr.isatty(),
                web_until=until,
                web_port=web_port,
            )
        )
    return 0
