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
from datetime import timedelta
from pathlib import Path

from bot.app import BotApplication, build_application, running
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
    if message.method == "sendPhoto":
        out("    [a QR code image]")
    for paragraph in (message.plain_text or message.plain_caption or "").split("\n"):
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
        application = build_application(settings)
        async with running(application, poll_timeout=1):
            replies += await _enrollment_scene(fake, application, out)
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


async def _enrollment_scene(
    fake: FakeBotApi, application: BotApplication, out: Callable[[str], None]
) -> int:
    """A practitioner joins from the operator's link, invites Lucía, and Lucía onboards."""
    from bot.db.base import utcnow
    from bot.db.models import InviteKind
    from bot.enrollment import invites

    async with application.bot_data["services"].sessions() as session, session.begin():
        made = await invites.create(
            session,
            InviteKind.PRACTITIONER,
            now=utcnow(),
            valid_for=timedelta(days=7),
            display_name="Dr. Weber",
        )
    shown = 0
    weber = fake.user(601, first_name="Eva", language_code="en")
    lucia = fake.user(602, first_name="Lucía", language_code="es")

    async def turn(who: str, user: FakeUser, says: str, act: Callable[[], object], count: int = 1):
        nonlocal shown
        out(f"{who} → {says}")
        act()
        for message in await user.expect(count, timeout=10):
            out("Between →")
            _print_reply(message, out)
            if message.buttons:
                out("    [" + "] [".join(text for text, _data in message.buttons) + "]")
            shown += 1
        out("")
        return user.messages()[-1]

    out('The operator ran `python -m bot practitioner invite --name "Dr. Weber"`.\n')
    await turn("Eva (en)", weber, "opens the link", lambda: weber.send(f"/start {made.payload}"))
    photo = await turn("Eva (en)", weber, "/invite Lucía", lambda: weber.send("/invite Lucía"))
    link = (photo.plain_caption or "").split("\n")
    payload = next(line for line in link if "?start=" in line).split("?start=")[1]
    consent = await turn(
        "Lucía (es)", lucia, "scans the QR code", lambda: lucia.send(f"/start {payload}")
    )
    agree = next(data for _text, data in consent.buttons if data and data.startswith("ob:agree"))
    language = await turn(
        "Lucía (es)", lucia, "Estoy de acuerdo", lambda: lucia.press(consent, agree)
    )
    await turn("Lucía (es)", lucia, "Español", lambda: lucia.press(language, "ob:lang:es"))
    confirm = await turn("Lucía (es)", lucia, "Valencia", lambda: lucia.send("Valencia"))
    spain = next(data for text, data in confirm.buttons if "España" in text)
    confirm = await turn(
        "Lucía (es)", lucia, "Valencia, España", lambda: lucia.press(confirm, spain)
    )
    await turn(
        "Lucía (es)", lucia, "Sí, es correcto", lambda: lucia.press(confirm, "Sí, es correcto"), 2
    )
    await turn("Lucía (es)", lucia, "8:30", lambda: lucia.send("8:30"))
    # "all set", then the first intake question
    await turn("Lucía (es)", lucia, "22-7", lambda: lucia.send("22-7"), 2)
    for message in await weber.expect(1, timeout=10):
        out("Between → Eva")
        _print_reply(message, out)
        shown += 1
    out("")
    return shown


def main() -> int:
    asyncio.run(play())
    return 0
