"""Access control, proven for every command and every kind of button the bot registers.

Three intruders — a second practitioner (with a client of their own), a practitioner of
another practice (with a client of their own) and a client — send
every command (with arguments naming someone else's client) and press forged buttons for
every callback pattern (with ids of someone else's rows). After each attempt:

* nothing the intruder can see (messages, edits, callback answers, files) holds the
  victims' secrets (a reflection, a client's alias, a colleague's name);
* no row about a victim changed (rows found from the schema's foreign keys, as /delete
  finds them; read again whenever anything was written since the last read), and nothing
  was queued for a victim.

The tables below must name every command and every callback pattern registered in
``bot/app.py``: a new handler without a case fails ``test_every_handler_has_a_case``.

Adding a case is one line:

    COMMANDS["goal"] = ("/goal {alias}", "/goal {client}")
    CALLBACKS[r"^gl:"] = ("gl:{client}:1", "gl:{goal}")   # key: the pattern, as registered

Placeholders: {client} {alias} {delivery} {membership} {pending} {invite} {team_link}
{outbox} {lead} {colleague} {intruder_practitioner} {elsewhere_practitioner}; add a victim
row in ``world()`` when a new kind of id is needed (e.g. a goal of the victim client) and
put its id in ``World.ids``.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import ColumnElement, select
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.app import BotApplication
from bot.db.base import Base
from bot.db.models import (
    AdministrationStatus,
    CareTeamMember,
    Checkin,
    CheckinSource,
    Goal,
    GoalStatus,
    Invite,
    InviteKind,
    LessonDelivery,
    LessonReview,
    MeasureAdministration,
    MembershipState,
    OutboxMessage,
    OutboxStatus,
    SafetyFlag,
    Strategy,
    StrategyFrequency,
    TeamRole,
    User,
)
from bot.delivery import checkin_reminder
from bot.delivery.outbox import enqueue
from bot.domain.crisis import Severity
from bot.offline.fake_bot_api import FakeBotApi, FakeUser
from bot.privacy.graph import Link, links
from tests.enrollment_helpers import (
    new_invite,
    onboard_client,
    practitioner,
    press_forged,
    user_row,
)
from tests.safety_support import Writes, bot_with

# ------------------------------------------------------------------ the tables (one line each)

# command -> what an intruder types (each is tried by both intruders)
COMMANDS: dict[str, tuple[str, ...]] = {
    "start": ("/start",),
    "help": ("/help",),
    "learn": ("/learn",),
    "invite": ("/invite {alias}",),
    "colleague": ("/colleague",),
    "clients": ("/clients",),
    "assign": ("/assign {alias} calm-skills", "/assign {client} calm-skills", "/assign {client}"),
    "lessons": ("/lessons {alias}", "/lessons {client}"),
    "team": ("/team", "/team {alias}", "/team {client}"),
    "settings": ("/settings",),
    "pause": ("/pause 3",),
    "resume": ("/resume",),
    "stop": ("/stop",),
    "mydata": ("/mydata",),
    "delete": ("/delete",),
    "goals": ("/goals", "/goals {alias}", "/goals {client}"),
    "goal": (
        "/goal {alias} A plan of mine",
        "/goal {client} edit 1 Hijacked",
        "/goal {alias} drop 1",
    ),
    "gas": ("/gas {alias} 1 +1 Takeover", "/gas {alias} 1 +1", "/gas {client} 1 -2"),
    "strategy": ("/strategy {alias} 1 daily Walk", "/strategy {client} 1 3/week Run"),
    "checkin": ("/checkin",),
    "progress": ("/progress",),
    "intake": ("/intake {alias}", "/intake {client}"),
    "measure": (
        "/measure {alias}",
        "/measure {alias} wellbeing weekly",
        "/measure {client} wellbeing stop",
    ),
    "client": ("/client {alias}", "/client {client}"),
    "digest": ("/digest", "/digest friday 17:30"),
    "note": ("/note {alias} An intruder's note", "/note {client} Another"),
    "export": ("/export {alias}", "/export {client}", "/export {client} fhir"),
    # A practitioner's own default set: nobody else's rows (a client is refused).
    "measures": ("/measures phq9 weekly", "/measures none"),
    "audit": ("/audit {alias}", "/audit {client}"),
}

# callback pattern (as registered; None: the catch-all) -> forged callback data
CALLBACKS: dict[str | None, tuple[str, ...]] = {
    r"^ob:(agree|later):": ("ob:agree:{invite}", "ob:later:{invite}"),
    r"^st:open:": ("st:open:timezone",),
    r"^(ob|st):": ("ob:lang:de", "st:ci:0900", "ob:tzok:Europe/Berlin"),
    r"^ct:c:": ("ct:c:{client}",),
    r"^ct:a:": ("ct:a:{client}",),
    r"^ct:p:": (
        "ct:p:{client}:{intruder_practitioner}",
        "ct:p:{client}:{colleague}",
        "ct:p:{client}:{elsewhere_practitioner}",
    ),
    r"^ct:l:": ("ct:l:{client}",),
    r"^ct:t[yn]:": ("ct:ty:{team_link}", "ct:tn:{team_link}", "ct:ty:{invite}"),
    r"^ct:[yn]:": ("ct:y:{pending}", "ct:n:{pending}", "ct:y:{membership}"),
    r"^ct:rm:": ("ct:rm:{membership}", "ct:rm:{pending}"),
    r"^pa:": ("pa:{client}:calm-skills", "pa:{client}:foundations"),
    r"^pz:": ("pz:3",),
    r"^stop:": ("stop:yes",),
    r"^l[podsqk]:": (
        "lp:{delivery}:1",
        "lo:{delivery}",
        "ld:{delivery}",
        "ls:{delivery}",
        "lq:{delivery}:0:0",
        "lk:{delivery}:0",
    ),
    rf"^{checkin_reminder.SKIP_PREFIX}": ("cr:skip:{outbox}",),
    r"^gl:": ("gl:c:{goal}:5", "gl:x:{goal}", "gl:m:{goal}", "gl:s:{goal}:low", "gl:new"),
    r"^ck:": ("ck:{today}:g:{goal}:3", "ck:{today}:s:{strategy}:1", "ck:{today}:n", "ck:{today}:x"),
    r"^cb:": ("cb:{today}:g:{goal}", "cb:{today}:s:{strategy}", "cb:{today}:n"),
    r"^mq:": ("mq:{administration}:0:3", "mq:{administration}:0:s", "mq:{administration}:8:d"),
    r"^sf:": ("sf:{flag}",),  # "Show message": the victim's flagged words
    r"^lm:": ("lm:x:{client}", "lm:r:{client}"),
    r"^r[vk]:": ("rv:{review}:0", "rk:{review}"),
    r"^del:": ("del:yes",),  # erases the intruder's own data only: tried last
    None: ("zz:{client}", "ct:{client}"),
}
LAST = ("del:",)  # data that ends the intruder's own account: run after everything else

# --------------------------------------------------------------------------------- the world

REFLECTION = "Lantern-7: my private reflection"
FLAGGED = "Harbour-3: the words of a flagged message"
GOAL = "Lantern-8: a goal of my own"
STRATEGY = "Lantern-9: a step of my own"
ALIAS = "Anna Q."
COLLEAGUE_NAME = "Dr. Hidden"


@dataclass
class World:
    victims: list[FakeUser]
    victim_ids: list[int]
    ids: dict[str, Any]
    secrets: tuple[str, ...] = (
        REFLECTION,
        ALIAS,
        COLLEAGUE_NAME,
        "Dr. Pending",
        GOAL,
        STRATEGY,
        FLAGGED,
    )
    help_text: dict[int, str] = field(default_factory=dict)


async def world(fake_api: FakeBotApi, bot: BotApplication) -> tuple[World, list[FakeUser]]:
    services = bot.bot_data["services"]
    lead, lead_row = await practitioner(fake_api, bot, 9301, name="Dr. Weber")
    victim = await onboard_client(fake_api, lead, 9303, alias=ALIAS)
    victim_row = await user_row(bot, 9303)
    other, other_row = await practitioner(fake_api, bot, 9302, name="Dr. Other")
    own_client = await onboard_client(fake_api, other, 9304, alias="Ben")
    colleague, colleague_row = await practitioner(fake_api, bot, 9305, name=COLLEAGUE_NAME)
    invited, invited_row = await practitioner(fake_api, bot, 9306, name="Dr. Pending")
    elsewhere, elsewhere_row = await practitioner(
        fake_api, bot, 9307, name="Dr. Elsewhere", practice="Another practice"
    )
    await onboard_client(fake_api, elsewhere, 9308, alias="Cleo")
    await new_invite(bot, InviteKind.CLIENT, created_by_id=lead_row.id, alias="Zed")
    # A team link the lead made for the victim, opened (so held) by a victim colleague.
    await new_invite(bot, InviteKind.TEAM, created_by_id=lead_row.id, client_id=victim_row.id)
    now = datetime.now(UTC)
    async with services.sessions() as session, session.begin():
        delivery = LessonDelivery(
            user_id=victim_row.id,
            lesson_id="thoughts-feelings-actions",
            delivered_at=now,
            reflection_text=REFLECTION,
            reflection_answered_at=now,
            reflection_asked_at=now,  # a question open too: a forged answer must not land
        )
        active = CareTeamMember(
            client_id=victim_row.id,
            practitioner_id=colleague_row.id,
            role=TeamRole.MEMBER,
            state=MembershipState.ACTIVE,
            alias="Sam",
        )
        pending = CareTeamMember(
            client_id=victim_row.id,
            practitioner_id=invited_row.id,
            role=TeamRole.MEMBER,
            state=MembershipState.PENDING,
            alias="Pat",
        )
        goal = Goal(
            user_id=victim_row.id,
            status=GoalStatus.ACTIVE,
            title=GOAL,
            anchor_low="nothing",
            anchor_high="everything",
            confidence=8,
        )
        session.add_all([delivery, active, pending, goal])
        await session.flush()
        strategy = Strategy(goal_id=goal.id, title=STRATEGY, frequency=StrategyFrequency.DAILY)
        today = now.date()
        checkin = Checkin(
            user_id=victim_row.id,
            local_date=today,
            source=CheckinSource.SCHEDULED,
            opened_at=now,
            closes_at=now + timedelta(hours=12),
            step=f"goal:{goal.id}",
        )
        administration = MeasureAdministration(
            user_id=victim_row.id,
            measure_id="wellbeing",
            measure_version=1,
            status=AdministrationStatus.OPEN,
            opened_at=now,
            closes_at=now + timedelta(days=3),
        )
        flag = SafetyFlag(
            user_id=victim_row.id,
            created_at=now,
            severity=Severity.HIGH,
            rule_id="test",
            locale="en",
            source="message:9303:1",
            text=FLAGGED,
        )
        review = LessonReview(delivery_id=delivery.id, asked_at=now)
        session.add_all([strategy, checkin, administration, flag, review])
        await enqueue(
            session,
            user_id=victim_row.id,
            chat_id=9303,
            kind=checkin_reminder.KIND,
            key=f"test-reminder:{victim_row.id}",
            payload={},
            due_at=now + timedelta(days=1),
            expires_at=now + timedelta(days=2),
        )
        await session.flush()
        invite_id = await session.scalar(
            select(Invite.id).where(
                Invite.created_by_id == lead_row.id,
                Invite.used_at.is_(None),
                Invite.kind == InviteKind.CLIENT,
            )
        )
        team_link = await session.scalar(select(Invite).where(Invite.kind == InviteKind.TEAM))
        team_link.opened_by_telegram_id = 9306
        outbox_id = await session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.user_id == victim_row.id)
        )
        ids = {
            "client": victim_row.id,
            "alias": ALIAS,
            "delivery": delivery.id,
            "review": review.id,
            "membership": active.id,
            "pending": pending.id,
            "invite": invite_id,
            "team_link": team_link.id,
            "outbox": outbox_id,
            "lead": lead_row.id,
            "colleague": colleague_row.id,
            "intruder_practitioner": other_row.id,
            "elsewhere_practitioner": elsewhere_row.id,
            "goal": goal.id,
            "strategy": strategy.id,
            "today": today.strftime("%Y%m%d"),
            "administration": administration.id,
            "flag": flag.id,
        }
    victims = [lead, victim, colleague, invited]
    victim_ids = [lead_row.id, victim_row.id, colleague_row.id, invited_row.id]
    return World(victims, victim_ids, ids), [other, elsewhere, own_client]


# ----------------------------------------------------------------------- what "changed" means


def _about(link: Link, ids: list[int]) -> ColumnElement[bool]:
    if link.parent is None:
        return link.column.in_(ids)
    (foreign_key,) = link.column.foreign_keys
    parent_key = link.parent.table.c[foreign_key.column.name]
    return link.column.in_(select(parent_key).where(_about(link.parent, ids)))


async def victims_rows(bot: BotApplication, ids: list[int]) -> dict[str, list[tuple]]:
    """Every row about the victims, as the ORM reads it (decrypted), without updated_at."""
    users = User.__table__
    found: dict[str, list[tuple]] = {}
    async with bot.bot_data["services"].sessions() as session:
        for link in [Link(users, users.c.id), *links(Base.metadata, users)]:
            columns = [c for c in link.table.columns if c.name != "updated_at"]
            rows = (await session.execute(select(*columns).where(_about(link, ids)))).all()
            found[f"{link.table.name}.{link.column.name}"] = sorted(map(repr, rows))
    return found


async def settled_outbox(bot: BotApplication) -> None:
    """Wait until what is due has been sent (so the sender does not change rows mid-test)."""
    import asyncio

    for _ in range(200):
        async with bot.bot_data["services"].sessions() as session:
            busy = await session.scalar(
                select(OutboxMessage.id).where(
                    OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
                    OutboxMessage.due_at <= datetime.now(UTC),
                )
            )
        if busy is None:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the outbox did not settle")


# ------------------------------------------------------------------------------- the runner


def registered(bot: BotApplication) -> tuple[set[str], set[str | None]]:
    commands: set[str] = set()
    patterns: set[str | None] = set()
    for handlers in bot.handlers.values():
        for handler in handlers:
            if isinstance(handler, CommandHandler):
                commands |= set(handler.commands)
            elif isinstance(handler, CallbackQueryHandler):
                pattern = handler.pattern
                patterns.add(pattern.pattern if isinstance(pattern, re.Pattern) else pattern)
    return commands, patterns


def attempts(ids: dict[str, Any]) -> list[tuple[str, str]]:
    """("command" | "callback", filled-in text), the account-ending ones last."""
    tries = [("command", t.format(**ids)) for texts in COMMANDS.values() for t in texts]
    tries += [("callback", d.format(**ids)) for datas in CALLBACKS.values() for d in datas]
    return sorted(tries, key=lambda attempt: attempt[1].startswith(LAST))


async def settle(intruder: FakeUser, world: World) -> None:
    """Send /help and read until its answer: with one update at a time, all before it is done."""
    intruder.send("/help")
    for _ in range(20):
        for message in await intruder.expect(1, timeout=10):
            if message.plain_text == world.help_text[intruder.id]:
                return
    raise AssertionError("no answer to /help")


def _visible(message: Any) -> list[str]:
    parts = [message.text or "", getattr(message, "caption", None) or ""]
    if message.file and (message.filename or "").endswith(".zip"):
        archive = zipfile.ZipFile(io.BytesIO(message.file))
        parts.extend(archive.read(name).decode() for name in archive.namelist())
    elif message.file:
        parts.append(message.file.decode(errors="replace"))
    return parts


def seen_by(fake_api: FakeBotApi, intruder: FakeUser) -> set[str]:
    """Everything the intruder can see now: messages (as edited), files, button answers."""
    seen = {part for message in intruder.messages() for part in _visible(message)}
    seen |= {str(answer) for answer in fake_api.callback_answers}
    return seen


# ------------------------------------------------------------------------------------ tests


async def test_every_handler_has_a_case(fake_api: FakeBotApi, migrated_url: str):
    async with bot_with(fake_api, migrated_url) as bot:
        commands, patterns = registered(bot)
    missing_commands = sorted(commands - set(COMMANDS))
    missing_patterns = sorted(map(str, patterns - set(CALLBACKS)))
    assert not missing_commands, (
        f"commands without an access-control case: {missing_commands} — add a line to "
        "COMMANDS in tests/test_access_control.py"
    )
    assert not missing_patterns, (
        f"callback patterns without an access-control case: {missing_patterns} — add a "
        "line to CALLBACKS in tests/test_access_control.py"
    )
    ids = dict.fromkeys(
        [
            "client",
            "alias",
            "delivery",
            "membership",
            "pending",
            "invite",
            "team_link",
            "outbox",
            "lead",
            "colleague",
            "intruder_practitioner",
            "elsewhere_practitioner",
            "goal",
            "strategy",
            "today",
            "administration",
            "flag",
            "review",
        ],
        1,
    )
    for pattern, datas in CALLBACKS.items():  # each case exercises the pattern it names
        for data in datas:
            filled = data.format(**ids)
            assert len(filled.encode()) <= 64
            if pattern is not None:
                assert re.match(pattern, filled), (pattern, data)


async def test_nobody_reaches_data_they_do_not_own(fake_api: FakeBotApi, migrated_url: str):
    # One update at a time, so that "/help answered" means "everything before it handled";
    # no scheduler tick after the first, so that digest schedules made for the victims by
    # the tick (not by an intruder) do not count as a change mid-run.
    async with bot_with(
        fake_api, migrated_url, concurrent_updates=1, scheduler_tick_seconds=3600
    ) as bot:
        the_world, intruders = await world(fake_api, bot)
        for intruder in intruders:
            intruder.send("/help")
            the_world.help_text[intruder.id] = (await intruder.expect_one()).plain_text
        await settled_outbox(bot)
        writes = Writes(bot)
        writes.since_last_read()
        before = await victims_rows(bot, the_world.victim_ids)
        victim_counts = {v.id: len(fake_api.sent(v.id)) for v in the_world.victims}

        for intruder in intruders:
            typed = ""  # what the intruder wrote is theirs (an alias they gave their own invite)
            for kind, attempt in attempts(the_world.ids):
                typed += attempt
                earlier = seen_by(fake_api, intruder)
                if kind == "command":
                    intruder.send(attempt)
                else:
                    anchor = intruder.messages()[-1]
                    press_forged(fake_api, intruder, anchor, attempt)
                await settle(intruder, the_world)
                seen = "\n".join(seen_by(fake_api, intruder) - earlier)  # what is new
                leaked = [s for s in the_world.secrets if s in seen and s not in typed]
                assert not leaked, f"{intruder.id} {attempt!r} revealed {leaked}"
                if writes.since_last_read():  # else no row can differ from `before`
                    after = await victims_rows(bot, the_world.victim_ids)
                    changed = [k for k in before if before[k] != after[k]]
                    assert not changed, f"{intruder.id} {attempt!r} changed {changed}"
                sent = {v.id: len(fake_api.sent(v.id)) for v in the_world.victims}
                assert sent == victim_counts, f"{intruder.id} {attempt!r} made the bot write"
        for victim in the_world.victims:
            await victim.expect_nothing(0.2)


@pytest.mark.parametrize("placeholder", ["{client}", "{alias}"])
def test_the_tables_name_someone_elses_rows(placeholder: str):
    """A table of cases that never names a victim would prove nothing."""
    texts = [t for ts in COMMANDS.values() for t in ts] + [
        d for ds in CALLBACKS.values() for d in ds
    ]
    assert any(placeholder in text for text in texts)
