"""Every statement about who sees what is true (issue 16, item 6).

The table below pairs each statement the bot or its documentation makes — a catalog
msgid (the English text, which every translation says too), a lesson, the README — with
the code path that decides it: who may read a client's data is the access policy
(``bot/access/policy.py``, as the practitioner commands declare it in
``bot/flows/practitioner_router.py``), what a client's ``/mydata`` holds is
``bot/privacy/export.py``, what ``/delete`` erases is ``bot/privacy/erase.py``. A statement
whose check fails is untrue; a new statement about who sees what must join the table
(``test_every_statement_about_who_sees_what_is_in_the_table``).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.access.policy import LEAD_READ, TEAM_READ, Allowed, Refusal, Refused, authorize_id
from bot.app import BotApplication
from bot.db.models import (
    CareTeamMember,
    Checkin,
    CheckinSource,
    CheckinStatus,
    LessonDelivery,
    MembershipState,
    Role,
    TeamNote,
    TeamRole,
    User,
    UserStatus,
)
from bot.flows.practitioner_router import COMMANDS
from bot.offline.fake_bot_api import FakeBotApi
from bot.privacy.erase import erase_user
from bot.privacy.export import export_user_data
from bot.review import export as practitioner_export
from bot.review import usecases as review
from tests.checkin_helpers import services_of
from tests.enrollment_helpers import onboard_client, practitioner

ROOT = Path(__file__).resolve().parents[1]
CATALOG = "catalog"  # the English catalog: msgids are the statements

CHECKIN_NOTE = "slept badly, argued with my sister"
REFLECTION = "walking helps more than I thought"
TEAM_NOTE = "talked about the sister; follow up next week"
ALIAS = "Anna from Tuesdays"


@dataclass
class World:
    """One client and everyone who might want to read about them."""

    session: AsyncSession
    client: int
    lead: int
    member: int  # on the team with the client's agreement
    pending: int  # proposed, the client has not answered
    declined: int  # the client said no
    removed: int  # was on the team, removed
    outsider: int  # a practitioner of the same installation, never on the team


Check = Callable[[World], Awaitable[None]]


@dataclass(frozen=True)
class Statement:
    where: str  # CATALOG, or a file under the repository root
    says: str  # the words, found exactly there
    check: str  # the name of the check in CHECKS


STATEMENTS: tuple[Statement, ...] = (
    # Consent, and the lesson about how Between works.
    Statement(
        CATALOG,
        "• Who sees it: {practitioner}, and other professionals only if you agree to each one.",
        "only_the_agreed_team_reads",
    ),
    Statement(
        CATALOG,
        "• What I keep: your settings, your goals, your answers (check-ins, lessons, "
        "questionnaires) and what you write.",
        "mydata_holds_everything",
    ),
    Statement(
        CATALOG,
        "• You can see and delete everything I keep at any time (/mydata, /delete)",
        "mydata_holds_everything_and_delete_erases_it",
    ),
    Statement(
        "content/psychoeducation/en/how-between-works.md",
        "shared only with your practitioner, and with others in your care team only if you agree",
        "only_the_agreed_team_reads",
    ),
    Statement(
        "content/psychoeducation/en/how-between-works.md",
        "Your practitioner sees your answers later, when they review your progress.",
        "an_agreed_member_reads",
    ),
    Statement(
        "content/measures/intake.yaml",
        "so that you and your practitioner can see where you are today",
        "the_team_reads_the_intake",
    ),
    Statement(
        CATALOG,
        "/team shows who sees your data",
        "only_the_agreed_team_reads",
    ),
    Statement(CATALOG, "<b>Who sees your data</b>", "only_the_agreed_team_reads"),
    Statement(
        CATALOG,
        "so that what you share stays between you and your care team",
        "only_the_agreed_team_reads",
    ),
    # The check-in note, reflections.
    Statement(
        CATALOG,
        "Just type a short note: your practitioner can read it, and it is stored encrypted.",
        "the_lead_reads_checkin_notes_stored_encrypted",
    ),
    Statement(
        CATALOG,
        "Your practitioner, and anyone you agreed to add to your care team, can read it",
        "the_team_reads_reflections",
    ),
    Statement(
        CATALOG,
        "your practitioner, and anyone you agreed to add to your care team, can read it.",
        "the_team_reads_reflections",
    ),
    # Team notes.
    Statement(
        CATALOG,
        "The client doesn't see team notes in the chat, but finds them in their copy of their "
        "data (/mydata).",
        "team_notes_are_in_mydata_not_in_the_chat",
    ),
    Statement(
        CATALOG,
        "Their care team sees it, and so does the client in their copy of their data (/mydata).",
        "team_notes_are_in_mydata_not_in_the_chat",
    ),
    Statement(  # the web view's note form
        CATALOG,
        "never in the client's chat; the client finds it in their copy of their data, /mydata",
        "team_notes_are_in_mydata_not_in_the_chat",
    ),
    Statement(
        "README.md",
        "never in Anna's chat, but in her `/mydata` archive",
        "team_notes_are_in_mydata_not_in_the_chat",
    ),
    Statement(
        "README.md",
        "the client's own `/mydata` archive does include them",
        "team_notes_are_in_mydata_not_in_the_chat",
    ),
    # The practitioner's name for a client.
    Statement(
        CATALOG,
        "The client can see that name in their copy of their data (/mydata).",
        "the_alias_is_in_mydata",
    ),
    Statement(
        "README.md",
        "the client sees that name only in their `/mydata` copy",
        "the_alias_is_in_mydata",
    ),
    # Care-team consent.
    Statement(
        CATALOG,
        "{name} would then see your check-ins, your progress and the notes shared in the team.",
        "an_agreed_member_reads",
    ),
    Statement(CATALOG, "Until they agree, {name} sees nothing.", "nobody_reads_before_agreeing"),
    Statement(
        CATALOG, "until they agree, you see nothing about them.", "nobody_reads_before_agreeing"
    ),
    Statement(CATALOG, "Until they agree, you see nothing.", "nobody_reads_before_agreeing"),
    Statement(
        CATALOG, "until they agree, your colleague sees nothing.", "nobody_reads_before_agreeing"
    ),
    Statement(CATALOG, "until then they see nothing", "nobody_reads_before_agreeing"),
    Statement(
        CATALOG, "Understood. {name} won't see anything.", "a_declined_colleague_reads_nothing"
    ),
    Statement(CATALOG, "{name} no longer sees your data.", "a_removed_member_reads_nothing"),
    # /mydata and /delete.
    Statement(
        CATALOG,
        "Everything I store about you, as JSON and CSV files.",
        "mydata_holds_everything",
    ),
    Statement(
        CATALOG,
        "This erases everything I store about you: settings, check-ins, lessons, reflections "
        "and notes.",
        "mydata_holds_everything_and_delete_erases_it",
    ),
)

# Catalog entries that mention seeing or reading but say nothing about who may read a
# client's data: a practitioner's own view, or expired check-ins.
NOT_ABOUT_ACCESS = (
    "Only the lead practitioner of {client} can change their goals. You can see them",
    "Only the lead practitioner of {client} can schedule questionnaires. You can see",
    "Schedule questionnaires, see their results",
    "This check-in has expired.",
    "Today's check-in has closed.",
    "Welcome back!",
    "You skipped today's check-in",
    # The web view's 404 page: which clients a practitioner may see is the access policy's,
    # shown by tests/test_web_http.py (another team's client is 404).
    "There is nothing here for you. Your caseload lists every client you can see.",
)
WHO_SEES = re.compile(
    r"\b(?:sees?|see your|see anything|see nothing|can read|private|encrypted|/mydata"
    r"|stays between|store about you|I keep)\b",
    re.IGNORECASE,
)


def english_msgids() -> list[str]:
    with (ROOT / "locales/en/LC_MESSAGES/messages.po").open("rb") as file:
        catalog = read_po(file, locale="en")
    return [m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id]


def test_every_statement_is_where_the_table_says():
    msgids = english_msgids()
    for statement in STATEMENTS:
        if statement.where == CATALOG:
            assert any(statement.says in msgid for msgid in msgids), statement.says
        else:
            text = (ROOT / statement.where).read_text(encoding="utf-8")
            assert statement.says in " ".join(text.split()), statement


def test_every_statement_about_who_sees_what_is_in_the_table():
    unchecked = [
        msgid
        for msgid in english_msgids()
        if WHO_SEES.search(msgid)
        and not any(s.says in msgid for s in STATEMENTS if s.where == CATALOG)
        and not msgid.startswith(NOT_ABOUT_ACCESS)
    ]
    assert unchecked == []


def test_the_untrue_statements_are_gone():
    said = " ".join(english_msgids())
    assert "stays private and encrypted" not in said
    assert "The client doesn't see team notes." not in said
    assert "a name only you will see" not in said


# --------------------------------------------------------------------------- the checks


async def may_read(world: World, practitioner_id: int, access=TEAM_READ) -> Allowed | Refused:
    return await authorize_id(
        world.session,
        await world.session.get(User, practitioner_id),
        world.client,
        access,
    )


async def mydata(world: World) -> dict[str, list[dict]]:
    archive = zipfile.ZipFile(io.BytesIO(await export_user_data(world.session, world.client)))
    return {
        name.removesuffix(".json"): json.loads(archive.read(name))
        for name in archive.namelist()
        if name.endswith(".json")
    }


def declared(command: str):
    (found,) = [c for c in COMMANDS if c.name == command]
    return found.access


async def only_the_agreed_team_reads(world: World) -> None:
    for who in (world.lead, world.member):
        assert isinstance(await may_read(world, who), Allowed)
    for who in (world.pending, world.declined, world.removed, world.outsider):
        refused = await may_read(world, who)
        assert isinstance(refused, Refused) and refused.reason is Refusal.NOT_FOUND


async def an_agreed_member_reads(world: World) -> None:
    # /client (check-ins, the chart, team notes) and the digest are any member's.
    assert declared("client") == TEAM_READ and declared("digest") == TEAM_READ
    assert isinstance(await may_read(world, world.member), Allowed)
    view = await client_view(world, world.member)
    assert TEAM_NOTE in view


async def the_team_reads_the_intake(world: World) -> None:
    assert declared("intake") == TEAM_READ
    await only_the_agreed_team_reads(world)


async def nobody_reads_before_agreeing(world: World) -> None:
    refused = await may_read(world, world.pending)
    assert isinstance(refused, Refused) and refused.reason is Refusal.NOT_FOUND
    assert await client_view(world, world.pending) == ""


async def a_declined_colleague_reads_nothing(world: World) -> None:
    assert isinstance(await may_read(world, world.declined), Refused)
    assert await client_view(world, world.declined) == ""


async def a_removed_member_reads_nothing(world: World) -> None:
    assert isinstance(await may_read(world, world.removed), Refused)
    assert await client_view(world, world.removed) == ""


async def the_lead_reads_checkin_notes_stored_encrypted(world: World) -> None:
    # At rest, the database holds no readable note.
    stored = await world.session.scalar(
        text("SELECT note FROM checkins WHERE user_id = :user"), {"user": world.client}
    )
    assert stored and CHECKIN_NOTE not in str(stored)
    # The lead's /export carries it; a team member may not export.
    assert declared("export") == LEAD_READ
    assert isinstance(await may_read(world, world.lead, LEAD_READ), Allowed)
    refused = await may_read(world, world.member, LEAD_READ)
    assert isinstance(refused, Refused) and refused.reason is Refusal.NOT_LEAD
    files = await practitioner_export.tables(world.session, world.client)
    assert CHECKIN_NOTE in files["checkins.csv"].decode()


async def the_team_reads_reflections(world: World) -> None:
    assert declared("lessons") == TEAM_READ and declared("client") == TEAM_READ
    assert REFLECTION in await client_view(world, world.member)
    assert REFLECTION in await client_view(world, world.lead)
    assert await client_view(world, world.outsider) == ""


async def team_notes_are_in_mydata_not_in_the_chat(world: World) -> None:
    notes = (await mydata(world))["team_notes"]
    assert [note["text"] for note in notes] == [TEAM_NOTE]
    # Writing one tells nobody in a chat: no message, no notice for the client.
    t = services_of_world(world).catalogs.translator("en")
    result = await review.add_note(
        world.session, t, author_id=world.lead, client_id=world.client, label="A", text="x"
    )
    assert result.notices == [] and len(result.messages) == 1


async def the_alias_is_in_mydata(world: World) -> None:
    members = (await mydata(world))["care_team_members"]
    assert ALIAS in [member["alias"] for member in members]


async def mydata_holds_everything(world: World) -> None:
    tables = await mydata(world)
    assert [row["id"] for row in tables["users"]] == [world.client]
    assert tables["checkins"][0]["note"] == CHECKIN_NOTE  # decrypted for its owner
    assert tables["lesson_deliveries"][0]["reflection_text"] == REFLECTION
    assert tables["team_notes"][0]["text"] == TEAM_NOTE
    assert len(tables["care_team_members"]) == 5  # every membership, whatever its state


async def mydata_holds_everything_and_delete_erases_it(world: World) -> None:
    await mydata_holds_everything(world)
    assert await erase_user(world.session, world.client) > 0
    for model, column in (
        (Checkin, Checkin.user_id),
        (LessonDelivery, LessonDelivery.user_id),
        (TeamNote, TeamNote.client_id),
        (CareTeamMember, CareTeamMember.client_id),
        (User, User.id),
    ):
        left = await world.session.scalar(
            select(func.count()).select_from(model).where(column == world.client)
        )
        assert left == 0, model.__name__


CHECKS: dict[str, Check] = {
    check.__name__: check
    for check in (
        only_the_agreed_team_reads,
        an_agreed_member_reads,
        the_team_reads_the_intake,
        nobody_reads_before_agreeing,
        a_declined_colleague_reads_nothing,
        a_removed_member_reads_nothing,
        the_lead_reads_checkin_notes_stored_encrypted,
        the_team_reads_reflections,
        team_notes_are_in_mydata_not_in_the_chat,
        the_alias_is_in_mydata,
        mydata_holds_everything,
        mydata_holds_everything_and_delete_erases_it,
    )
}

_SERVICES: dict[int, object] = {}


def services_of_world(world: World):
    return _SERVICES[id(world)]


async def client_view(world: World, practitioner_id: int) -> str:
    """What ``/client`` shows this practitioner (empty: nothing, the client is not theirs)."""
    services = services_of_world(world)
    result = await review.client_view(
        world.session,
        services.catalogs.translator("en"),
        practitioner_id=practitioner_id,
        client_id=world.client,
        today=datetime.now(UTC).date(),
        zone=ZoneInfo("UTC"),
        library=services.content,
        measures_by_id=services.measures,
    )
    return "\n".join(message for message, _buttons in result.messages)


async def build_world(session: AsyncSession) -> World:
    def person(telegram_id: int, role: Role) -> User:
        return User(telegram_id=telegram_id, role=role, status=UserStatus.ACTIVE, locale="en")

    client = person(7100, Role.CLIENT)
    staff = [person(7101 + n, Role.PRACTITIONER) for n in range(6)]
    session.add_all([client, *staff])
    await session.flush()
    lead, member, pending, declined, removed, outsider = (p.id for p in staff)
    for who, role, state in (
        (lead, TeamRole.LEAD, MembershipState.ACTIVE),
        (member, TeamRole.MEMBER, MembershipState.ACTIVE),
        (pending, TeamRole.MEMBER, MembershipState.PENDING),
        (declined, TeamRole.MEMBER, MembershipState.DECLINED),
        (removed, TeamRole.MEMBER, MembershipState.REMOVED),
    ):
        session.add(
            CareTeamMember(
                client_id=client.id,
                practitioner_id=who,
                role=role,
                state=state,
                alias=ALIAS if who == lead else f"C{who}",
            )
        )
    # The outsider has a client of their own (so they are a working practitioner).
    other = person(7199, Role.CLIENT)
    session.add(other)
    await session.flush()
    session.add(
        CareTeamMember(
            client_id=other.id,
            practitioner_id=outsider,
            role=TeamRole.LEAD,
            state=MembershipState.ACTIVE,
        )
    )
    now = datetime.now(UTC)
    session.add(
        Checkin(
            user_id=client.id,
            local_date=now.date() - timedelta(days=1),
            source=CheckinSource.SCHEDULED,
            status=CheckinStatus.ANSWERED,
            opened_at=now - timedelta(days=1),
            closes_at=now - timedelta(hours=12),
            step="done",
            note=CHECKIN_NOTE,
        )
    )
    session.add(
        LessonDelivery(
            user_id=client.id,
            lesson_id="how-between-works",
            delivered_at=now - timedelta(days=2),
            finished_at=now - timedelta(days=2),
            reflection_asked_at=now - timedelta(days=2),
            reflection_text=REFLECTION,
            reflection_answered_at=now - timedelta(days=2),
        )
    )
    session.add(TeamNote(client_id=client.id, author_id=lead, text=TEAM_NOTE))
    await session.flush()
    return World(session, client.id, lead, member, pending, declined, removed, outsider)


# The pairing of every statement with the check of what the code does, one test each.
@pytest.mark.parametrize(
    "statement", STATEMENTS, ids=[f"{s.check}:{s.says[:40]}" for s in STATEMENTS]
)
async def test_the_statement_matches_the_code(bot: BotApplication, statement: Statement):
    services = services_of(bot)
    async with services.sessions() as session, session.begin():
        world = await build_world(session)
        _SERVICES[id(world)] = services
        try:
            await CHECKS[statement.check](world)
        finally:
            del _SERVICES[id(world)]


# --------------------------------------------------------------------------- over Telegram


@pytest.mark.parametrize("language", ["en", "de", "es"])
async def test_a_team_note_is_not_in_the_clients_chat_but_in_their_mydata(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    """The lead writes /note: the reply says the client finds it in /mydata; the client's
    chat gets nothing; their /mydata archive holds the note."""
    doctor, _row = await practitioner(fake_api, bot, language=language)
    client = await onboard_client(fake_api, doctor, 7301, language=language, alias="Anna")
    t = services_of(bot).catalogs.translator(language)
    doctor.send("/note Anna Talked about the sister")
    reply = (await doctor.expect_one()).plain_text
    said = t._(
        "Noted for {client}'s care team. The client doesn't see team notes in the "
        "chat, but finds them in their copy of their data (/mydata).",
        client="Anna",
    )
    assert reply == said
    await client.expect_nothing()
    client.send("/mydata")
    document = await client.expect_one(timeout=20)
    archive = zipfile.ZipFile(io.BytesIO(document.file))
    notes = json.loads(archive.read("team_notes.json"))
    assert [note["text"] for note in notes] == ["Talked about the sister"]
    members = json.loads(archive.read("care_team_members.json"))
    assert [member["alias"] for member in members] == ["Anna"]
