"""Practices kept apart: colleagues come from one's own practice, or through a team link.

A practitioner of practice B is never listed to practice A, cannot be proposed by a
forged button, and cannot reach A's client with any practitioner command. Someone from
elsewhere joins a team only through a single-use team invite they accept (and the
client agrees to, as always). Expired invites are purged in bulk by the check-in sweep.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot import cli
from bot.app import CHECKIN_JOB_NAME, BotApplication
from bot.db.models import (
    CareTeamMember,
    Goal,
    GoalStatus,
    Invite,
    InviteKind,
    MembershipState,
    Practice,
    Practitioner,
    Role,
    TeamRole,
    User,
)
from bot.enrollment import authorization, invites, tokens
from bot.offline.fake_bot_api import FakeBotApi, FakeUser
from bot.settings import Settings
from tests.enrollment_helpers import (
    LINK,
    answer_of,
    button_data,
    count,
    new_invite,
    onboard_client,
    practitioner,
    press_forged,
    services,
    user_row,
)
from tests.safety_support import bot_with, snapshot
from tests.test_access_control import victims_rows

ELSEWHERE = "Praxis Nord"


async def _picker(lead: FakeUser, client_id: int):
    """The lead opens the client's team and taps "Add a colleague": the colleague picker."""
    lead.send("/team")
    pick_client = await lead.expect_one()
    lead.press(pick_client, f"ct:c:{client_id}")
    team = await lead.expect_one()
    lead.press(team, f"ct:a:{client_id}")
    return await lead.expect_one()


async def _membership(bot: BotApplication, client_id: int, practitioner_id: int):
    async with services(bot).sessions() as session:
        return await session.scalar(
            select(CareTeamMember).where(
                CareTeamMember.client_id == client_id,
                CareTeamMember.practitioner_id == practitioner_id,
            )
        )


async def test_a_colleague_of_another_practice_is_not_listed(
    fake_api: FakeBotApi, bot: BotApplication
):
    lead, _lead_row = await practitioner(fake_api, bot, 7001, name="Dr. Weber")
    _near, near_row = await practitioner(fake_api, bot, 7002, name="Dr. Near")
    _far, far_row = await practitioner(fake_api, bot, 7003, name="Dr. Far", practice=ELSEWHERE)
    await onboard_client(fake_api, lead, 7004, alias="Anna")
    client_row = await user_row(bot, 7004)

    picker = await _picker(lead, client_row.id)
    labels = [label for label, _data in picker.buttons]
    assert "Dr. Near" in labels
    assert "Dr. Far" not in picker.plain_text and "Dr. Far" not in labels
    proposals = button_data(picker, "ct:p:")
    assert proposals == [f"ct:p:{client_row.id}:{near_row.id}"]
    assert all(str(far_row.id) != data.split(":")[-1] for data in proposals)
    assert button_data(picker, "ct:l:") == [f"ct:l:{client_row.id}"]  # the way to invite them

    # and the other way round: Dr. Far's practice lists nobody of ours
    async with services(bot).sessions() as session:
        from bot.enrollment import practitioners

        theirs = await practitioners.everyone_but(session, far_row.id)
    assert theirs == []


async def test_a_forged_proposal_naming_another_practice_is_refused(
    fake_api: FakeBotApi, bot: BotApplication
):
    lead, _lead_row = await practitioner(fake_api, bot, 7011, name="Dr. Weber")
    far, far_row = await practitioner(fake_api, bot, 7012, name="Dr. Far", practice=ELSEWHERE)
    client = await onboard_client(fake_api, lead, 7013, alias="Anna")
    client_row = await user_row(bot, 7013)
    picker = await _picker(lead, client_row.id)
    before = await snapshot(bot, skip_tables=("audit_events",))

    query = press_forged(fake_api, lead, picker, f"ct:p:{client_row.id}:{far_row.id}")
    answer = await answer_of(lead, query)
    assert "isn't for you" in answer["text"] and "Nothing was changed" in answer["text"]
    assert await snapshot(bot, skip_tables=("audit_events",)) == before
    assert await _membership(bot, client_row.id, far_row.id) is None
    await client.expect_nothing(0.3)  # the client was not asked
    await far.expect_nothing(0.1)


async def _team_link(lead: FakeUser, client_id: int) -> str:
    """The lead taps "Someone from another practice" in the picker; returns the payload."""
    picker = await _picker(lead, client_id)
    lead.press(picker, f"ct:l:{client_id}")
    made = await lead.expect_one()
    assert "works once" in made.plain_text
    match = LINK.search(made.plain_text)
    assert match, made.plain_text
    return match.group(1)


async def test_a_team_link_brings_in_someone_elsewhere_once(
    fake_api: FakeBotApi, bot: BotApplication
):
    lead, _lead_row = await practitioner(fake_api, bot, 7021, name="Dr. Weber")
    far, far_row = await practitioner(
        fake_api, bot, 7022, name="Dr. Far", practice=ELSEWHERE, language="de"
    )
    late, late_row = await practitioner(fake_api, bot, 7023, name="Dr. Late", practice=ELSEWHERE)
    client = await onboard_client(fake_api, lead, 7024, alias="Anna", language="es")
    client_row = await user_row(bot, 7024)
    payload = await _team_link(lead, client_row.id)
    assert payload.startswith("t-")

    far.send(f"/start {payload}")
    question = await far.expect_one()
    assert "Dr. Weber" in question.plain_text and "Anna" not in question.plain_text
    assert await _membership(bot, client_row.id, far_row.id) is None  # nothing yet

    # someone else of that practice cannot answer it: the link is Dr. Far's now
    late.send(f"/start {payload}")
    assert "already been used" in (await late.expect_one()).plain_text
    query = press_forged(fake_api, late, late.messages()[-1], button_data(question, "ct:ty:")[0])
    assert "isn't for you" in (await answer_of(late, query))["text"]
    assert await _membership(bot, client_row.id, late_row.id) is None

    far.press(question, button_data(question, "ct:ty:")[0])
    thanks = await far.expect_one()
    assert "Bis sie zustimmt, siehst du nichts" in thanks.plain_text
    told = await lead.expect_one()
    assert "Dr. Far accepted your invite" in told.plain_text and "Anna" in told.plain_text
    request = await client.expect_one()
    assert "<b>Dr. Weber</b>" in request.text and "<b>Dr. Far</b>" in request.text
    member = await _membership(bot, client_row.id, far_row.id)
    assert member.state == MembershipState.PENDING
    async with services(bot).sessions() as session:
        assert not await authorization.may_see(session, far_row.id, client_row.id)

    client.press(request, button_data(request, "ct:y:")[0])  # the client agrees, as today
    await client.expect_one()
    await lead.expect_one()
    joined = await far.expect_one()
    assert "Anna" in joined.plain_text
    async with services(bot).sessions() as session:
        assert await authorization.may_see(session, far_row.id, client_row.id)

    # not twice: the same button again, the link again, the link by someone else
    query = press_forged(fake_api, far, question, button_data(question, "ct:ty:")[0])
    assert "Es wurde nichts geändert" in (await answer_of(far, query))["text"]
    far.send(f"/start {payload}")
    assert "schon geantwortet" in (await far.expect_one()).plain_text  # "already answered"
    late.send(f"/start {payload}")
    assert "already been used" in (await late.expect_one()).plain_text
    assert await _membership(bot, client_row.id, late_row.id) is None
    await client.expect_nothing(0.3)


async def test_a_team_link_declined_or_expired_changes_nothing(
    fake_api: FakeBotApi, bot: BotApplication
):
    lead, lead_row = await practitioner(fake_api, bot, 7031, name="Dr. Weber")
    far, far_row = await practitioner(fake_api, bot, 7032, name="Dr. Far", practice=ELSEWHERE)
    client = await onboard_client(fake_api, lead, 7033, alias="Anna")
    client_row = await user_row(bot, 7033)

    expired = await new_invite(
        bot,
        InviteKind.TEAM,
        created_by_id=lead_row.id,
        client_id=client_row.id,
        valid_for=timedelta(seconds=-1),
    )
    far.send(f"/start {expired}")
    assert "has expired" in (await far.expect_one()).plain_text
    assert await _membership(bot, client_row.id, far_row.id) is None

    payload = await _team_link(lead, client_row.id)
    far.send(f"/start {payload}")
    question = await far.expect_one()
    far.press(question, button_data(question, "ct:tn:")[0])
    assert "Nothing changes" in (await far.expect_one()).plain_text
    assert "declined your invite" in (await lead.expect_one()).plain_text
    assert await _membership(bot, client_row.id, far_row.id) is None
    far.send(f"/start {payload}")
    assert "already answered" in (await far.expect_one()).plain_text
    await client.expect_nothing(0.3)


# ------------------------------------------------------- B cannot reach A's client by command

ALIAS = "Anna Q."
GOAL = "Lantern-11: a goal of A's client"

ATTEMPTS = [
    "/client {alias}",
    "/client {client}",
    "/gas {alias} 1 +1",
    "/gas {client} 1 +1 Takeover",
    "/note {alias} A note from elsewhere",
    "/note {client} Another",
    "/export {alias}",
    "/export {client}",
    "/audit {alias}",
    "/audit {client}",
    "/goals {alias}",
    "/goals {client}",
    "/goal {client} edit 1 Hijacked",
    "/strategy {client} 1 daily Walk",
    "/intake {alias}",
    "/intake {client}",
    "/measure {alias} wellbeing weekly",
    "/measure {client} wellbeing stop",
    "/assign {alias} calm-skills",
    "/assign {client} calm-skills",
    "/lessons {alias}",
    "/lessons {client}",
    "/team {alias}",
    "/team {client}",
]


@pytest.mark.parametrize("attempt", ATTEMPTS)
async def test_another_practice_cannot_reach_a_client_by_any_command(
    fake_api: FakeBotApi, migrated_url: str, attempt: str
):
    """Dr. Far (practice B) names Dr. Weber's client (practice A) by alias and by number."""
    # One update at a time, so that "/help answered" means "everything before it handled".
    async with bot_with(fake_api, migrated_url, concurrent_updates=1) as bot:
        lead, lead_row = await practitioner(fake_api, bot, 7041, name="Dr. Weber")
        far, far_row = await practitioner(fake_api, bot, 7042, name="Dr. Far", practice=ELSEWHERE)
        async with services(bot).sessions() as session, session.begin():
            client = User(telegram_id=7043, role=Role.CLIENT, locale="en")
            session.add(client)
            await session.flush()
            session.add_all(
                [
                    CareTeamMember(
                        client_id=client.id,
                        practitioner_id=lead_row.id,
                        role=TeamRole.LEAD,
                        state=MembershipState.ACTIVE,
                        alias=ALIAS,
                    ),
                    Goal(
                        user_id=client.id,
                        status=GoalStatus.ACTIVE,
                        title=GOAL,
                        anchor_low="none",
                        anchor_high="all",
                        confidence=7,
                        listed_at=datetime.now(UTC),
                    ),
                ]
            )
            client_id = client.id
        far.send("/help")
        help_text = (await far.expect_one()).plain_text
        victims = [lead_row.id, client_id]
        before = await victims_rows(bot, victims)

        typed = attempt.format(alias=ALIAS, client=client_id)
        far.send(typed)
        far.send("/help")
        seen = []
        while not seen or seen[-1].plain_text != help_text:
            seen.extend(await far.expect(1, timeout=10))
        shown = "\n".join((m.text or "") + (getattr(m, "caption", None) or "") for m in seen)
        assert GOAL not in shown
        if ALIAS not in typed:  # what the intruder typed may be quoted back; nothing else
            assert ALIAS not in shown
        assert not any(m.file for m in seen)  # no export, no chart
        assert await victims_rows(bot, victims) == before
        async with services(bot).sessions() as session:
            assert not await authorization.may_see(session, far_row.id, client_id)
        await lead.expect_nothing(0.1)


# ------------------------------------------------------------------------------ the CLI


async def test_the_cli_creates_a_practice_and_links_practitioners(
    fake_api: FakeBotApi,
    bot: BotApplication,
    migrated: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):
    monkeypatch.setenv("BOT_TOKEN", fake_api.token)
    monkeypatch.setenv("TELEGRAM_API_URL", fake_api.url)
    monkeypatch.setenv("DATABASE_URL", migrated.database_url)
    monkeypatch.chdir("/")  # no .env here
    monkeypatch.setattr(cli, "configure_logging", lambda level: None)

    def run(*argv: str) -> tuple[int, str, str]:
        code = cli.main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    code, out, _err = await asyncio.to_thread(run, "practice", "add", ELSEWHERE)
    assert code == 0 and ELSEWHERE in out
    code, _out, err = await asyncio.to_thread(run, "practice", "add", ELSEWHERE)
    assert code == 1 and "already" in err
    code, _out, err = await asyncio.to_thread(
        run, "practitioner", "invite", "--name", "Dr. X", "--practice", "Nowhere"
    )
    assert code == 1 and "no practice named 'Nowhere'" in err

    code, out, _err = await asyncio.to_thread(
        run, "practitioner", "invite", "--name", "Dr. Far", "--practice", ELSEWHERE
    )
    assert code == 0
    far = fake_api.user(7051, first_name="F", language_code="en")
    far.send(f"/start {LINK.search(out).group(1)}")
    await far.expect_one()
    code, out, _err = await asyncio.to_thread(run, "practitioner", "invite", "--name", "Dr. Near")
    near = fake_api.user(7052, first_name="N", language_code="en")
    near.send(f"/start {LINK.search(out).group(1)}")
    await near.expect_one()

    far_row, near_row = await user_row(bot, 7051), await user_row(bot, 7052)
    async with services(bot).sessions() as session:
        by_name = {p.name: p.id for p in await session.scalars(select(Practice))}
        assert set(by_name) == {"Default", ELSEWHERE}
        assert (await session.get(Practitioner, far_row.id)).practice_id == by_name[ELSEWHERE]
        assert (await session.get(Practitioner, near_row.id)).practice_id == by_name["Default"]

    code, out, _err = await asyncio.to_thread(run, "practice", "list")
    lines = out.splitlines()
    assert code == 0 and lines[1].endswith("Default (default)") and lines[1].split("\t")[1] == "1"
    assert lines[2].split("\t")[1:] == ["1", ELSEWHERE]
    code, out, _err = await asyncio.to_thread(run, "practitioner", "list", "--practice", ELSEWHERE)
    assert code == 0 and "Dr. Far" in out and "Dr. Near" not in out

    # an existing practitioner is linked to another practice
    code, out, _err = await asyncio.to_thread(
        run, "practitioner", "link", str(near_row.id), "--practice", ELSEWHERE
    )
    assert code == 0 and "Dr. Near" in out
    async with services(bot).sessions() as session:
        assert (await session.get(Practitioner, near_row.id)).practice_id == by_name[ELSEWHERE]
        assert await authorization.same_practice(session, near_row.id, far_row.id)
    code, _out, err = await asyncio.to_thread(
        run, "practitioner", "link", "999999", "--practice", ELSEWHERE
    )
    assert code == 1 and "no practitioner" in err
    assert await count(bot, Practice) == 2


async def test_a_colleague_invited_in_the_bot_joins_the_inviters_practice(
    fake_api: FakeBotApi, bot: BotApplication
):
    far, far_row = await practitioner(fake_api, bot, 7071, name="Dr. Far", practice=ELSEWHERE)
    _near, near_row = await practitioner(fake_api, bot, 7072, name="Dr. Near")
    far.send("/colleague Dr. Next")
    payload = LINK.search((await far.expect_one()).plain_text).group(1)
    person = fake_api.user(7073, first_name="N", language_code="en")
    person.send(f"/start {payload}")
    await person.expect_one()
    row = await user_row(bot, 7073)
    async with services(bot).sessions() as session:
        assert await authorization.same_practice(session, far_row.id, row.id)
        assert not await authorization.same_practice(session, near_row.id, row.id)


# ------------------------------------------------------------------------------ the purge


async def test_the_sweep_purges_expired_invites_and_keeps_live_ones(
    fake_api: FakeBotApi, bot: BotApplication
):
    _lead, lead_row = await practitioner(fake_api, bot, 7061, name="Dr. Weber")
    long_ago = -(invites.KEEP_EXPIRED + timedelta(hours=1))
    gone = [
        await new_invite(bot, InviteKind.CLIENT, created_by_id=lead_row.id, valid_for=long_ago),
        await new_invite(bot, InviteKind.TEAM, created_by_id=lead_row.id, valid_for=long_ago),
        await new_invite(bot, InviteKind.PRACTITIONER, valid_for=long_ago),
    ]
    kept = [
        await new_invite(bot, InviteKind.CLIENT, created_by_id=lead_row.id),
        await new_invite(bot, InviteKind.TEAM, created_by_id=lead_row.id),
        # just expired: opening it still says "expired", for a while
        await new_invite(bot, InviteKind.CLIENT, valid_for=timedelta(seconds=-1)),
    ]

    def hashed(payloads: list[str]) -> set[str]:
        return {tokens.hash_token(tokens.parse_payload(p).token) for p in payloads}

    async with services(bot).sessions() as session, session.begin():
        # one was opened by someone who never agreed: that trace goes with it
        opened = await session.scalar(select(Invite).where(Invite.token_hash.in_(hashed(gone))))
        opened.opened_by_telegram_id = 123456
        before = set(await session.scalars(select(Invite.token_hash)))
    assert hashed(gone) | hashed(kept) <= before

    (job,) = [job for job in bot.job_queue.jobs() if job.name == CHECKIN_JOB_NAME]
    await job.run(bot)

    async with services(bot).sessions() as session:
        left = set(await session.scalars(select(Invite.token_hash)))
        traces = await session.scalar(
            select(Invite.id).where(Invite.opened_by_telegram_id == 123456)
        )
    assert left == before - hashed(gone)  # the live ones and the practitioner's own stay
    assert traces is None
