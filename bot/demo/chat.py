"""``python -m bot demo --chat``: you are the client, in this terminal, against the real flows.

Dr. Weber has already invited you; you answer her invite as a new client would.
Type as you would in Telegram; a line starting with ``#`` presses a button of the
newest message that has buttons (``#2`` is its second button); ``:next`` moves
the clock to your next check-in time (the scheduled messages come then);
``:quit`` ends. The database is thrown away at the end.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.db.base import utcnow
from bot.db.models import InviteKind, User
from bot.demo.transcript import Person, Transcript
from bot.demo.world import world
from bot.enrollment import invites
from bot.offline.clock import run_due_work

HELP = (
    "Type a message and press Enter. #1, #2 … press a button of the newest message with "
    "buttons; :next jumps to your next check-in time; :quit ends."
)


async def chat() -> int:
    async with world() as (fake, application, clock):
        transcript = Transcript(fake, print)
        eva = transcript.add(
            Person(fake.user(601, first_name="Eva", language_code="en"), "Dr. Weber", "en", "UTC")
        )
        you = transcript.add(Person(fake.user(602, first_name="You"), "You", "en", "UTC"))
        services = application.bot_data["services"]
        async with services.sessions() as session, session.begin():
            made = await invites.create(
                session,
                InviteKind.PRACTITIONER,
                now=utcnow(),
                valid_for=timedelta(days=7),
                display_name="Dr. Weber",
            )
        eva.user.send(f"/start {made.payload}")
        await transcript.settle()
        eva.user.send("/invite you")
        await transcript.settle()
        link = next(
            line.split("?start=")[1]
            for line in (fake.sent(eva.chat_id)[-1].plain_caption or "").split("\n")
            if "?start=" in line
        )
        transcript.people.remove(eva)  # from now on, only your chat is shown
        print("\n" + HELP + "\nDr. Weber has invited you. Her link opens this chat:\n")
        you.user.send(f"/start {link}")
        await transcript.settle()
        while True:
            try:
                line = (await asyncio.to_thread(input, "you> ")).strip()
            except EOFError:
                break
            if line in (":quit", ":q"):
                break
            if line == ":next":
                moment = await _next_checkin(services, you.chat_id, clock.now())
                clock.advance_to(moment)
                print(f"(the clock moves to {moment:%a %d %b, %H:%M} UTC)")
                await run_due_work(application)
                await transcript.settle(expect_reply=False, quiet=0.3)
            elif line.startswith("#") and line[1:].isdigit():
                await _press(transcript, you, int(line[1:]))
            elif line:
                you.user.send(line)
                await transcript.settle()
    return 0


async def _press(transcript: Transcript, you: Person, number: int) -> None:
    for message in reversed(transcript.fake.sent(you.chat_id)):
        buttons = [data for _text, data in message.buttons if data]
        if buttons:
            if 1 <= number <= len(buttons):
                you.user.press(message, buttons[number - 1])
                await transcript.settle()
            else:
                print(f"(that message has {len(buttons)} buttons)")
            return
    print("(no message with buttons yet)")


async def _next_checkin(services, chat_id: int, now: datetime) -> datetime:
    """The next time of day the client chose, in their zone (tomorrow 09:00 if none yet)."""
    from sqlalchemy import select

    async with services.sessions() as session:
        user = await session.scalar(select(User).where(User.telegram_id == chat_id))
    zone = ZoneInfo((user.timezone if user else None) or "UTC")
    at = (user.checkin_time if user else None) or time(9, 0)
    local = now.astimezone(zone)
    moment = datetime.combine(local.date(), at, zone)
    if moment <= local:
        moment = datetime.combine(local.date() + timedelta(days=1), at, zone)
    return moment + timedelta(seconds=5)
