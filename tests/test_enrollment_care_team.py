"""Care teams: a colleague joins only with the client's consent; forged buttons change nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.app import BotApplication
from bot.db.models import CareTeamMember, MembershipState, TeamRole
from bot.enrollment import authorization
from bot.offline.fake_bot_api import FakeBotApi, FakeUser
from tests.enrollment_helpers import (
    answer_of,
    button_data,
    onboard_client,
    practitioner,
    press_forged,
    services,
    user_row,
)


async def _propose(lead: FakeUser, client_id: int, colleague_id: int) -> None:
    """The lead opens the client's team, taps "Add a colleague", and picks one."""
    lead.send("/team")
    pick_client = await lead.expect_one()
    lead.press(pick_client, f"ct:c:{client_id}")
    team = await lead.expect_one()
    lead.press(team, f"ct:a:{client_id}")
    colleagues = await lead.expect_one()
    lead.press(colleagues, f"ct:p:{client_id}:{colleague_id}")
    asked = await lead.expect_one()
    assert "sees nothing" in asked.plain_text or "no ve nada" in asked.plain_text


async def _membership(bot: BotApplication, client_id: int, practitioner_id: int):
    async with services(bot).sessions() as session:
        return await session.scalar(
            select(CareTeamMember).where(
                CareTeamMember.client_id == client_id,
                CareTeamMember.practitioner_id == practitioner_id,
            )
        )


async def _may_see(bot: BotApplication, practitioner_id: int, client_id: int) -> bool:
    async with services(bot).sessions() as session:
        return await authorization.may_see(session, practitioner_id, client_id)


async def test_a_colleague_joins_after_the_client_agrees(fake_api: FakeBotApi, bot: BotApplication):
    lead, _lead_row = await practitioner(fake_api, bot, 4001, name="Dr. Weber")
    colleague, colleague_row = await practitioner(
        fake_api, bot, 4002, name="Dr. Ruiz", language="es"
    )
    client = await onboard_client(fake_api, lead, 4003, language="de")
    client_row = await user_row(bot, 4003)
    assert not await _may_see(bot, colleague_row.id, client_row.id)

    await _propose(lead, client_row.id, colleague_row.id)
    request = await client.expect_one()
    assert (
        "<b>Dr. Weber</b> möchte <b>Dr. Ruiz</b> in dein Behandlungsteam aufnehmen" in request.text
    )
    assert (
        await _membership(bot, client_row.id, colleague_row.id)
    ).state == MembershipState.PENDING
    assert not await _may_see(bot, colleague_row.id, client_row.id)  # nothing before consent

    client.press(request, "Einverstanden")
    thanks = await client.expect_one()
    assert "Dr. Ruiz ist jetzt in deinem Behandlungsteam" in thanks.plain_text
    told_lead = await lead.expect_one()
    assert "Anna M." in told_lead.plain_text and "agreed" in told_lead.plain_text
    told_colleague = await colleague.expect_one()
    assert "Te has unido al equipo de cuidado de Anna M." in told_colleague.plain_text
    member = await _membership(bot, client_row.id, colleague_row.id)
    assert (member.state, member.role) == (MembershipState.ACTIVE, TeamRole.MEMBER)
    assert await _may_see(bot, colleague_row.id, client_row.id)

    # the colleague now lists the client, but cannot add anyone (only the lead can)
    colleague.send("/clients")
    listed = await colleague.expect_one()
    assert "Anna M." in listed.plain_text
    query = press_forged(fake_api, colleague, listed, f"ct:a:{client_row.id}")
    assert "no es para ti" in (await answer_of(colleague, query))["text"]

    # the client removes the colleague again
    client.send("/team")
    team = await client.expect_one()
    client.press(team, f"ct:rm:{member.id}")
    removed = await client.expect_one()
    assert "Dr. Ruiz ist nicht mehr im Behandlungsteam" in removed.plain_text
    assert "Ya no estás en el equipo de cuidado" in (await colleague.expect_one()).plain_text
    assert "<b>Anna M.</b> removed Dr. Ruiz" in (await lead.expect_one()).text
    assert not await _may_see(bot, colleague_row.id, client_row.id)

    # the lead asks again, the client agrees again, and this time the lead removes them
    await _propose(lead, client_row.id, colleague_row.id)
    request = await client.expect_one()
    client.press(request, "Einverstanden")
    await client.expect_one()
    await lead.expect_one()
    await colleague.expect_one()
    assert await _may_see(bot, colleague_row.id, client_row.id)
    lead.send("/team")
    pick_client = await lead.expect_one()
    lead.press(pick_client, f"ct:c:{client_row.id}")
    team = await lead.expect_one()
    assert "Dr. Ruiz" in team.plain_text
    lead.press(team, f"ct:rm:{member.id}")
    assert "Dr. Ruiz is no longer on the care team" in (await lead.expect_one()).plain_text
    told = await client.expect_one()
    assert "Dr. Weber hat Dr. Ruiz aus deinem Behandlungsteam entfernt" in told.plain_text
    await colleague.expect_one()
    assert not await _may_see(bot, colleague_row.id, client_row.id)


async def test_a_declined_colleague_sees_nothing_and_forged_answers_change_nothing(
    fake_api: FakeBotApi, bot: BotApplication
):
    lead, _lead_row = await practitioner(fake_api, bot, 4011, name="Dr. Weber")
    _colleague, colleague_row = await practitioner(fake_api, bot, 4012, name="Dr. Ruiz")
    client = await onboard_client(fake_api, lead, 4013, language="es", alias="Luis")
    other = await onboard_client(fake_api, lead, 4014, language="en", alias="Other")
    client_row = await user_row(bot, 4013)
    await _propose(lead, client_row.id, colleague_row.id)
    request = await client.expect_one()
    membership_id = int(button_data(request, "ct:y:")[0].split(":")[2])

    # another client forges "agree" for this request: refused, logged, nothing changed
    last = other.messages()[-1]
    query = press_forged(fake_api, other, last, f"ct:y:{membership_id}")
    answer = await answer_of(other, query)
    assert "isn't for you" in answer["text"]
    assert (
        await _membership(bot, client_row.id, colleague_row.id)
    ).state == MembershipState.PENDING
    # so does a made-up membership id, and garbage
    for data in ("ct:y:999999", "ct:y:abc", "ct:rm:1", "ob:tzok:Mars/Olympus", "st:open:x"):
        press_forged(fake_api, other, last, data)
    await other.expect_nothing(0.5)

    client.press(request, "No, gracias")
    reply = await client.expect_one()
    assert "Entendido. Dr. Ruiz no verá nada." in reply.plain_text
    told = await lead.expect_one()
    assert "<b>Luis</b> declined adding Dr. Ruiz" in told.text
    assert (
        await _membership(bot, client_row.id, colleague_row.id)
    ).state == MembershipState.DECLINED
    assert not await _may_see(bot, colleague_row.id, client_row.id)
    # a stale "agree" pressed days later changes nothing either
    query = press_forged(fake_api, client, request, f"ct:y:{membership_id}")
    assert "No se ha cambiado nada" in (await answer_of(client, query))["text"]
    assert (
        await _membership(bot, client_row.id, colleague_row.id)
    ).state == MembershipState.DECLINED


@pytest.mark.parametrize("forged", ["ct:c:{client}", "ct:a:{client}", "ct:p:{client}:{me}"])
async def test_a_practitioner_reaches_only_clients_on_their_team(
    fake_api: FakeBotApi, bot: BotApplication, forged: str
):
    lead, _row = await practitioner(fake_api, bot, 4021)
    stranger, stranger_row = await practitioner(fake_api, bot, 4022, name="Dr. Nobody")
    await onboard_client(fake_api, lead, 4023)
    client_row = await user_row(bot, 4023)
    stranger.send("/clients")
    nothing = await stranger.expect_one()
    assert "No clients yet" in nothing.plain_text
    query = press_forged(
        fake_api, stranger, nothing, forged.format(client=client_row.id, me=stranger_row.id)
    )
    assert "Nothing was changed" in (await answer_of(stranger, query))["text"]
    await stranger.expect_nothing(0.3)
    assert await _membership(bot, client_row.id, stranger_row.id) is None
