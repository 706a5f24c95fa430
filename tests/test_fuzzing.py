"""Fuzzing every handler over the fake Bot API: hypothesis-generated text, commands with
arguments, callback data and deep-link payloads, from a stranger, a client (with a question
open) and a practitioner.

For every example: the error handler is never reached (no ERROR log line, no apology sent)
and no row about anyone but the sender changes (rows found from the schema's foreign keys).

One running bot per test function: hypothesis runs in a worker thread and hands each example
to the bot's event loop (``run_coroutine_threadsafe``), so fixtures stay async and the bot is
started once. Examples are few (``EXAMPLES``) to keep the suite fast; raise it locally with
``FUZZ_EXAMPLES=500``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import string
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.app import BotApplication
from bot.db.models import LessonDelivery, User
from bot.offline.fake_bot_api import FakeBotApi, FakeUser
from tests.enrollment_helpers import onboard_client, practitioner, press_forged, user_row
from tests.safety_support import bot_with
from tests.test_access_control import COMMANDS, victims_rows

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
APOLOGY = "Sorry, something went wrong on my side. Please try again in a moment."
# Queued messages *about* the sender to their care team (a crisis alert, "stopped") are the
# sender's own doing; the access-control tests prove nobody else can cause them.
ABOUT_SENDER = ("outbox_messages.user_id",)
# A practitioner's reads of their own client are written to the access log by design
# (/digest, /client …); the access-control tests prove nobody else's reads reach it.
OWN_ACCESS_LOG = ("audit_events.client_user_id",)

PREFIXES = ("ob:", "st:", "ct:c:", "ct:a:", "ct:p:", "ct:y:", "ct:rm:", "pa:", "pz:", "stop:")
PREFIXES += ("del:", "lp:", "lo:", "ld:", "ls:", "lq:", "lk:", "cr:skip:", "")


def _fits(data: str) -> bool:
    return 0 < len(data.encode()) <= 64


def _typed(text: str) -> bool:
    return bool(text.strip()) and len(text) <= 4096


texts = st.one_of(
    st.text(min_size=1, max_size=300),
    st.builds(
        lambda command, args: f"/{command} {args}",
        st.sampled_from(sorted(COMMANDS)),
        st.text(max_size=80),
    ),
    st.sampled_from(sorted(COMMANDS)).map(lambda command: f"/{command}"),
).filter(_typed)

numbers = st.integers(min_value=-3, max_value=10**13).map(str)
callback_data = st.one_of(
    st.text(min_size=1, max_size=64),
    st.builds(
        lambda prefix, parts: prefix + ":".join(parts),
        st.sampled_from(PREFIXES),
        st.lists(st.one_of(numbers, st.text(max_size=8)), max_size=4),
    ),
).filter(_fits)

payloads = st.one_of(
    st.text(alphabet=string.ascii_letters + string.digits + "_-", min_size=1, max_size=64),
    st.text(min_size=1, max_size=64).filter(lambda p: p.strip() == p and " " not in p),
).filter(lambda p: _typed(f"/start {p}"))


class Errors(logging.Handler):
    """Every ERROR line logged while the bot runs (the error handler logs one per failure)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class Fuzzer:
    def __init__(self, fake_api: FakeBotApi, bot: BotApplication) -> None:
        self.fake_api, self.bot = fake_api, bot
        self.loop = asyncio.get_running_loop()
        self.users: dict[str, FakeUser] = {}
        self.ids: dict[int, int] = {}  # telegram id -> user id (none for the stranger)
        self.help_text: dict[int, str] = {}
        self.errors = Errors()
        catalogs = bot.bot_data["services"].catalogs
        self.apologies = {catalogs.translator(locale)._(APOLOGY) for locale in catalogs.locales}

    async def setup(self) -> None:
        doctor, doctor_row = await practitioner(self.fake_api, self.bot, 9401)
        client = await onboard_client(self.fake_api, doctor, 9402, alias="Fuzz")
        client_row = await user_row(self.bot, 9402)
        async with self.bot.bot_data["services"].sessions() as session, session.begin():
            now = datetime.now(UTC)
            session.add(  # a reflection question open: typed text is taken as its answer
                LessonDelivery(
                    user_id=client_row.id,
                    lesson_id="values",
                    delivered_at=now,
                    reflection_asked_at=now,
                )
            )
        self.users = {
            "practitioner": doctor,
            "client": client,
            "stranger": self.fake_api.user(9403, language_code="es"),
        }
        self.ids = {9401: doctor_row.id, 9402: client_row.id}
        for user in self.users.values():
            user.send("/help")
            self.help_text[user.id] = (await user.expect_one()).plain_text
        logging.getLogger().addHandler(self.errors)

    def close(self) -> None:
        logging.getLogger().removeHandler(self.errors)

    async def everyone_else(self, sender: FakeUser) -> list[int]:
        async with self.bot.bot_data["services"].sessions() as session:
            ids = list(await session.scalars(select(User.id)))
        return [i for i in ids if i != self.ids.get(sender.id)]

    async def settle(self, user: FakeUser) -> list[str]:
        """/help, then read until its answer (one update at a time: all before it is done)."""
        user.send("/help")
        seen = []
        for _ in range(30):
            for message in await user.expect(1, timeout=10):
                if message.plain_text == self.help_text[user.id]:
                    return seen
                seen.append(message.plain_text or "")
        raise AssertionError("no answer to /help")

    async def one(self, who: str, act: Callable[[FakeUser], object]) -> None:
        sender = self.users[who]
        self.errors.records.clear()
        others = await self.everyone_else(sender)
        before = await victims_rows(self.bot, others)
        act(sender)
        replies = await self.settle(sender)
        assert not self.errors.records, [r.getMessage() for r in self.errors.records]
        assert not any(apology in reply for apology in self.apologies for reply in replies)
        after = await victims_rows(self.bot, others)
        allowed = ABOUT_SENDER + (OWN_ACCESS_LOG if who == "practitioner" else ())
        changed = [k for k in before if before[k] != after[k] and k not in allowed]
        assert not changed, changed

    def run(self, coroutine: Awaitable[None]) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=60)

    async def drive(self, test: Callable[[], None]) -> None:
        await asyncio.to_thread(test)


def fuzz_settings(test):
    return settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )(test)


@pytest.fixture
async def fuzzer(fake_api: FakeBotApi, migrated_url: str):
    # The periodic tick is kept out of the way: it makes the digest's schedule rows on its
    # own, which is no example's doing.
    async with bot_with(
        fake_api, migrated_url, concurrent_updates=1, scheduler_tick_seconds=3600
    ) as bot:
        fuzzer = Fuzzer(fake_api, bot)
        await fuzzer.setup()
        try:
            yield fuzzer
        finally:
            fuzzer.close()


WHO = st.sampled_from(["stranger", "client", "practitioner"])


async def test_typed_text_and_commands(fuzzer: Fuzzer):
    @fuzz_settings
    @given(who=WHO, text=texts)
    def typed(who: str, text: str) -> None:
        fuzzer.run(fuzzer.one(who, lambda user: user.send(text)))

    await fuzzer.drive(typed)


async def test_callback_data(fuzzer: Fuzzer):
    @fuzz_settings
    @given(who=WHO, data=callback_data)
    def pressed(who: str, data: str) -> None:
        def press(user: FakeUser) -> None:
            press_forged(fuzzer.fake_api, user, user.messages()[-1], data)

        fuzzer.run(fuzzer.one(who, press))

    await fuzzer.drive(pressed)


async def test_deep_link_payloads(fuzzer: Fuzzer):
    @fuzz_settings
    @given(who=WHO, payload=payloads)
    def opened(who: str, payload: str) -> None:
        fuzzer.run(fuzzer.one(who, lambda user: user.send(f"/start {payload}")))

    await fuzzer.drive(opened)
