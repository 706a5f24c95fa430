"""``python -m bot demo``: the real bot against the built-in fake Telegram, no token, no network.

It plays a short scripted scene with simulated people and prints both sides
of every conversation. It grows with the bot: each new flow adds a scene.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.app import build_application, running
from bot.crypto import generate_key
from bot.db import migrate
from bot.db.session import create_engine
from bot.offline.fake_bot_api import FakeBotApi, FakeUser, SentMessage
from bot.settings import load_settings


@dataclass(frozen=True)
class Step:
    who: str
    says: str
    act: Callable[[FakeUser], object]


def _steps() -> list[tuple[int, str, str, Step]]:
    """(telegram id, name, language, step) in the order they are played."""
    return [
        (501, "Ana", "en", Step("Ana", "/start", lambda user: user.send("/start"))),
        (501, "Ana", "en", Step("Ana", "/help", lambda user: user.send("/help"))),
        (502, "Jonas", "de", Step("Jonas", "/start", lambda user: user.send("/start"))),
        (502, "Jonas", "de", Step("Jonas", "[a sticker]", lambda user: user.send_sticker())),
        (503, "Lucía", "es", Step("Lucía", "/start", lambda user: user.send("/start"))),
        (
            503,
            "Lucía",
            "es",
            Step("Lucía", "hoy fue un día largo", lambda user: user.send("hoy fue un día largo")),
        ),
    ]


def _print_reply(message: SentMessage, out: Callable[[str], None]) -> None:
    for paragraph in message.plain_text.split("\n"):
        out(textwrap.fill(paragraph, 76, initial_indent="    ", subsequent_indent="    "))


async def play(out: Callable[[str], None] = print, workdir: Path | None = None) -> int:
    """Play the demo; returns the number of bot replies shown."""
    logging.getLogger().setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as scratch, FakeBotApi() as fake:
        folder = workdir or Path(scratch)
        settings = load_settings(
            _env_file=None,
            bot_token=fake.token,
            telegram_api_url=fake.url,
            database_url=f"sqlite:///{folder / 'demo.db'}",
            polling_timeout=1,
            encryption_keys=generate_key(),  # a throwaway database needs a throwaway key
        )
        engine = create_engine(settings.database_url)
        await migrate.upgrade(engine)
        await engine.dispose()

        replies = 0
        out("Between — offline demo (a fake Telegram on this machine; nothing leaves it)\n")
        async with running(build_application(settings), poll_timeout=1):
            for user_id, name, language, step in _steps():
                user = fake.user(user_id, first_name=name, language_code=language)
                out(f"{step.who} ({language}) → {step.says}")
                step.act(user)
                for message in await user.expect(1, timeout=10):
                    out("Between →")
                    _print_reply(message, out)
                    replies += 1
                out("")
            group = fake.group(-900, title="Family chat")
            out("Ana adds Between to a group chat")
            group.add_bot(by=fake.user(501, first_name="Ana", language_code="en"))
            left = await group.wait_until_left()
            for message in fake.sent(-900):
                out("Between (in the group) →")
                _print_reply(message, out)
                replies += 1
            out("Between left the group." if left else "Between did not leave the group!")
        return replies


def main() -> int:
    asyncio.run(play())
    return 0
