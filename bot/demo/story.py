"""Two weeks with Between, played at accelerated time against the real application.

Dr. Eva Weber joins from the operator's link and invites Lucía, who answers in
Spanish: consent, time zone, check-in time, quiet hours, the intake, two SMART
goals. Eva adds a strategy and describes what success looks like (GAS levels).
Then the days pass: each evening a check-in (most answered, a couple missed, one
skipped), a lesson every second day, streak milestones; each Monday morning
Eva's digest. At the end Lucía asks for her progress, and Eva for the client view
and an export for the clinical record.

Everything goes through the fake Telegram, the real handlers, the real database
and the real delivery engine; only the wall clock is moved (bot/offline/clock.py).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.app import BotApplication
from bot.db.base import utcnow
from bot.db.models import InviteKind
from bot.demo.transcript import Person, Transcript
from bot.enrollment import invites
from bot.offline.clock import SimulatedClock, run_due_work
from bot.offline.fake_bot_api import FakeBotApi, SentMessage

MADRID = "Europe/Madrid"
BERLIN = "Europe/Berlin"
EVA_TELEGRAM_ID = 601  # the demo practitioner (the web view opens as her)
# Monday 30 November 2026, nine in the morning in Valencia.
START = datetime(2026, 11, 30, 9, 0, tzinfo=ZoneInfo(MADRID))
CHECKIN_TIME = time(20, 30)

# Lucía's evenings: (worry goal, sleep goal, strategy done, a note) or what happens instead.
MISSED = "missed"  # she doesn't answer: a nudge in the morning, then the check-in closes
SKIPPED = "skipped"  # she taps "Skip today"
EVENINGS: tuple[tuple[int, int, bool, str | None] | str, ...] = (
    (4, 3, False, None),
    (5, 4, True, None),
    (5, 5, True, "Hoy me acosté a las 23:40. Casi."),  # 3 in a row: a first milestone
    (6, 5, True, None),
    MISSED,  # forgiven: one grace day a week
    MISSED,  # a second one ends the streak; the digest will flag the week
    (5, 6, False, None),  # welcomed back, never blamed
    (6, 6, True, "El rato de las 18:00 me ayudó."),
    (6, 7, True, None),
    SKIPPED,  # a skipped day neither breaks nor counts
    (7, 7, True, None),
    (6, 7, True, None),
    (7, 8, True, None),
    (8, 7, True, "Semana tranquila."),  # 7 in a row
)
# Lessons she reads to the end (by day), and the one reflection she writes.
READS_ON = {0, 2, 4, 8, 12}
REFLECTION = "Que lo que pienso cambia cómo me siento, y al revés."


@dataclass
class Cast:
    eva: Person
    lucia: Person


Step = Callable[[], Awaitable[None]]


class Story:
    def __init__(
        self,
        fake: FakeBotApi,
        application: BotApplication,
        clock: SimulatedClock,
        transcript: Transcript,
    ) -> None:
        self.fake = fake
        self.application = application
        self.clock = clock
        self.transcript = transcript
        self.cast = Cast(
            eva=transcript.add(
                Person(
                    fake.user(EVA_TELEGRAM_ID, first_name="Eva", language_code="en"),
                    "Eva",
                    "en",
                    BERLIN,
                )
            ),
            lucia=transcript.add(
                Person(
                    fake.user(602, first_name="Lucía", language_code="es"), "Lucía", "es", MADRID
                )
            ),
        )

    # --- time

    def at(self, day: int, clock_time: time) -> datetime:
        local = datetime.combine(START.date() + timedelta(days=day), clock_time, ZoneInfo(MADRID))
        return local

    async def time_passes(self, day: int, clock_time: time, what: str) -> None:
        self.clock.advance_to(self.at(day, clock_time))
        self.transcript.heading(self.clock.now(), what)
        await run_due_work(self.application)
        await self.transcript.settle(expect_reply=False, quiet=0.2)

    # --- day 0

    async def enrollment(self) -> None:
        t, eva, lucia = self.transcript, self.cast.eva, self.cast.lucia
        t.heading(self.clock.now(), "Eva joins and invites Lucía")
        services = self.application.bot_data["services"]
        async with services.sessions() as session, session.begin():
            made = await invites.create(
                session,
                InviteKind.PRACTITIONER,
                now=utcnow(),
                valid_for=timedelta(days=7),
                display_name="Dr. Weber",
            )
        t.note('The operator ran `python -m bot practitioner invite --name "Dr. Weber"`.')
        t.line(f"{eva.name} → opens the link")
        eva.user.send(f"/start {made.payload}")
        await t.settle()
        await t.says(eva, "/invite Lucía")
        qr = self.fake.sent(eva.chat_id)[-1]
        payload = next(
            line.split("?start=")[1]
            for line in (qr.plain_caption or "").split("\n")
            if "?start=" in line
        )
        t.line(f"{lucia.name} → scans the QR code")
        lucia.user.send(f"/start {payload}")
        await t.settle()
        agree = await t.latest(lucia, r"^ob:agree:")
        await t.taps(lucia, agree, _button(agree, r"^ob:agree:"))
        await t.taps(lucia, await t.latest(lucia, r"^ob:lang:"), "ob:lang:es")
        await t.says(lucia, "Valencia")
        confirm = await t.latest(lucia, r"^ob:tz")
        spain = next(data for text, data in confirm.buttons if "España" in text and data)
        await t.taps(lucia, confirm, spain)
        zone_ok = await t.latest(lucia, r"^ob:tzok:")
        await t.taps(lucia, zone_ok, _button(zone_ok, r"^ob:tzok:"))
        await t.says(lucia, "20:30")
        await t.says(lucia, "22-7")

    async def intake(self) -> None:
        t, lucia = self.transcript, self.cast.lucia
        t.heading(self.clock.now(), "Lucía's intake: where she is today")
        for value in (5, 3, 4, 5, 7, 6, 5, 7):  # mood, worry, sleep, energy, … health
            message = await t.latest(lucia, r"^mq:\d+:\d+:\d+$")
            await t.taps(lucia, message, _button(message, rf"^mq:\d+:\d+:{value}$"))
        areas = await t.latest(lucia, r"^mq:\d+:\d+:t\d+$")
        await t.taps(lucia, areas, _button(areas, r"^mq:\d+:\d+:t2$"))  # worry and stress
        areas = await t.latest(lucia, r"^mq:\d+:\d+:t\d+$")
        await t.taps(lucia, areas, _button(areas, r"^mq:\d+:\d+:t3$"))  # sleep
        areas = await t.latest(lucia, r"^mq:\d+:\d+:d$")
        await t.taps(lucia, areas, _button(areas, r"^mq:\d+:\d+:d$"))

    async def goals(self) -> None:
        """The intake started a goal about worry; she finishes it, then sets one about sleep."""
        t, lucia = self.transcript, self.cast.lucia
        t.heading(self.clock.now(), "Lucía's first goal, made SMART")
        await t.says(lucia, "Darle a mis preocupaciones solo un rato fijo cada tarde")
        await t.says(lucia, "Me preocupo todo el día sin parar")
        await t.says(lucia, "Me preocupo solo en mi rato de las 18:00")
        await self._confidence(5)
        offer = await t.latest(lucia, r"^gl:m:")
        await t.taps(lucia, offer, _button(offer, r"^gl:m:"))
        await t.says(lucia, "Probar el rato de preocupación tres tardes por semana")
        await self._confidence(8)
        await t.says(lucia, "Quiero estar más presente con mis hijos")
        await t.says(lucia, "en 6 semanas")
        t.heading(self.clock.now(), "and a second one, about sleep")
        await t.says(lucia, "/goals")
        listing = await t.latest(lucia, r"^gl:new$")
        await t.taps(lucia, listing, "gl:new")
        await t.says(lucia, "Acostarme antes de las 23:30 entre semana")
        for _step in ("low", "high"):
            skip = await t.latest(lucia, r"^gl:s:")
            await t.taps(lucia, skip, _button(skip, r"^gl:s:"))
        await self._confidence(7)
        skip = await t.latest(lucia, r"^gl:s:")
        await t.taps(lucia, skip, _button(skip, r"^gl:s:"))  # why: skipped
        await t.says(lucia, "el 31 de enero")

    async def _confidence(self, value: int) -> None:
        t, lucia = self.transcript, self.cast.lucia
        message = await t.latest(lucia, r"^gl:c:")
        await t.taps(lucia, message, _button(message, rf"^gl:c:\d+:{value}$"))

    async def practitioner_plan(self) -> None:
        t, eva = self.transcript, self.cast.eva
        t.heading(self.clock.now(), "Eva adds a strategy and what success looks like")
        await t.says(eva, "/goals Lucía")
        await t.says(eva, "/strategy Lucía 2 daily Pantallas apagadas a las 23:00")
        for level, text in (
            ("-1", "Se acuesta después de la 1 casi todas las noches"),
            ("0", "Se acuesta antes de las 23:30 dos noches por semana"),
            ("+1", "Se acuesta antes de las 23:30 cuatro noches por semana"),
        ):
            await t.says(eva, f"/gas Lucía 2 {level} {text}")
        await t.says(eva, "/gas Lucía 2 -1")  # where she is today

    # --- the days

    async def evening(self, day: int) -> None:
        t, lucia = self.transcript, self.cast.lucia
        await self.time_passes(day, CHECKIN_TIME, "evening: check-in time")
        plan = EVENINGS[day]
        if day in READS_ON:
            await self.read_lesson(with_reflection=day == 2)
        if plan == MISSED:
            t.note("(Lucía doesn't answer tonight.)")
            return
        prompt = await t.latest(lucia, r"^ck:\d+:")
        if isinstance(plan, str):  # SKIPPED
            await t.taps(lucia, prompt, _button(prompt, r"^ck:\d+:x$"))
            return
        worry, sleep, done, note = plan
        for value in (worry, sleep):
            prompt = await t.latest(lucia, r"^ck:\d+:g:")
            await t.taps(lucia, prompt, _button(prompt, rf"^ck:\d+:g:\d+:{value}$"))
        prompt = await t.latest(lucia, r"^ck:\d+:s:")
        await t.taps(lucia, prompt, _button(prompt, rf"^ck:\d+:s:\d+:{int(done)}$"))
        if note:
            await t.says(lucia, note)
        else:
            prompt = await t.latest(lucia, r"^ck:\d+:n$")
            await t.taps(lucia, prompt, _button(prompt, r"^ck:\d+:n$"))

    async def read_lesson(self, *, with_reflection: bool) -> None:
        """Read the newest lesson page by page, finish it, and answer what follows."""
        t, lucia = self.transcript, self.cast.lucia
        lesson = _latest_or_none(t, lucia, r"^l[pd]:\d+")
        if lesson is None:
            return
        while (forward := _next_page(lesson)) is not None:
            await t.taps(lucia, lesson, forward)
            lesson = self._now_showing(lesson)
        finish = _button_or_none(lesson, r"^ld:\d+")
        if finish is None:
            return
        await t.taps(lucia, lesson, finish)
        question = _latest_or_none(t, lucia, r"^ls:\d+")
        if question is None:
            return
        if with_reflection:
            await t.says(lucia, REFLECTION)
        else:
            await t.taps(lucia, question, _button(question, r"^ls:\d+"))
        quiz = _latest_or_none(t, lucia, r"^lq:\d+")
        if quiz is not None:
            await t.taps(lucia, quiz, _button(quiz, r"^lq:\d+"))

    def _now_showing(self, message: SentMessage) -> SentMessage:
        """A message as it looks after its edits."""
        for current in self.fake.sent(message.chat_id):
            if current.message_id == message.message_id:
                return current
        return message

    async def morning(self, day: int) -> None:
        """A nudge after an unanswered evening, closed check-ins, on Mondays the digest."""
        if EVENINGS[day - 1] == MISSED:
            await self.time_passes(day, time(7, 5), "early morning, after an evening missed")
        monday = (START.date() + timedelta(days=day)).weekday() == 0
        await self.time_passes(
            day, time(8, 45), "morning: the weekly digest" if monday else "morning"
        )

    async def ending(self, day: int) -> None:
        t, eva, lucia = self.transcript, self.cast.eva, self.cast.lucia
        await self.time_passes(day, time(21, 0), "two weeks in")
        await t.says(lucia, "/progress")
        await t.says(
            eva, "/note Lucía Dice que el rato de preocupación le ayuda. Hablarlo en sesión."
        )
        await t.says(eva, "/client Lucía")
        await t.says(eva, "/export Lucía")


def _button(message: SentMessage, pattern: str) -> str:
    wanted = re.compile(pattern)
    for _text, data in message.buttons:
        if data and wanted.search(data):
            return data
    raise LookupError(f"no button matching {pattern!r}")


def _next_page(message: SentMessage) -> str | None:
    """The data of a lesson's "Next »" button, if it has one."""
    for text, data in message.buttons:
        if data and data.startswith("lp:") and text.rstrip().endswith("»"):
            return data
    return None


def _button_or_none(message: SentMessage, pattern: str) -> str | None:
    try:
        return _button(message, pattern)
    except LookupError:
        return None


def _latest_or_none(t: Transcript, person: Person, pattern: str) -> SentMessage | None:
    # Asked after the bot has gone quiet, where the message may rightly not exist.
    return t.latest_now(person, pattern)


def local_day(day: int) -> date:
    return START.date() + timedelta(days=day)
