"""Practitioners from the command line, client invites with a QR code, and bad tokens."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot import cli
from bot.app import BotApplication
from bot.db.models import Invite, InviteAttempt, InviteKind, Practitioner, Role, User
from bot.enrollment import invites, tokens
from bot.enrollment.usecases import qr_png
from bot.offline.fake_bot_api import FakeBotApi
from bot.settings import Settings
from tests.enrollment_helpers import (
    LINK,
    answer_of,
    button_data,
    count,
    invite_link,
    new_invite,
    practitioner,
    press_forged,
    services,
    user_row,
)

WELCOME = {
    "en": "You're registered as a practitioner.",
    "de": "Du bist als Fachperson registriert.",
    "es": "Ya estás registrado como profesional.",
}

ALREADY = {
    "en": "You're already registered as a practitioner.",
    "de": "Du bist schon als Fachperson registriert.",
    "es": "Ya estás registrado como profesional.",
}


@pytest.mark.parametrize("language", ["en", "de", "es"])
async def test_a_practitioner_enrolls_from_the_cli_link(
    fake_api: FakeBotApi,
    bot: BotApplication,
    migrated: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    language: str,
):
    monkeypatch.setenv("BOT_TOKEN", fake_api.token)
    monkeypatch.setenv("TELEGRAM_API_URL", fake_api.url)
    monkeypatch.setenv("DATABASE_URL", migrated.database_url)
    monkeypatch.chdir("/")  # no .env here
    monkeypatch.setattr(cli, "configure_logging", lambda level: None)  # keep pytest's logging
    code = await asyncio.to_thread(cli.main, ["practitioner", "invite", "--name", "Dr. Weber"])
    assert code == 0
    printed = capsys.readouterr().out
    link = LINK.search(printed)
    assert link, printed  # the username came from getMe on the (fake) Bot API
    payload = link.group(1)
    assert f"payload: {payload}" in printed
    assert len(payload) <= 64 and tokens.parse_payload(payload) is not None

    person = fake_api.user(3001, first_name="Lena", language_code=language)
    person.send(f"/start {payload}")
    reply = await person.expect_one()
    assert WELCOME[language] in reply.plain_text
    assert "Dr. Weber" in reply.plain_text
    user = await user_row(bot, 3001)
    assert user.role == Role.PRACTITIONER and user.locale == language
    async with services(bot).sessions() as session:
        assert (await session.get(Practitioner, user.id)).display_name == "Dr. Weber"
        stored = await session.scalar(select(Invite))
    assert stored.used_by_id == user.id
    assert payload not in stored.token_hash  # only the hash is kept
    # the practitioner's own menu, in their language, for their chat only
    scoped = [key for key in fake_api.commands if '"chat_id": 3001' in key[0]]
    assert scoped and "invite" in {c["command"] for c in fake_api.commands[scoped[0]]}

    # opening the same link again changes nothing
    person.send(f"/start {payload}")
    again = await person.expect_one()
    assert ALREADY[language] in again.plain_text
    assert await count(bot, User) == 1


async def test_a_practitioner_invites_a_colleague_from_inside_the_bot(
    fake_api: FakeBotApi, bot: BotApplication
):
    doctor, _row = await practitioner(fake_api, bot, language="en")
    doctor.send("/colleague Dr. Ruiz")
    reply = await doctor.expect_one()
    payload = LINK.search(reply.plain_text).group(1)
    colleague = fake_api.user(3002, first_name="Marta", language_code="es")
    colleague.send(f"/start {payload}")
    welcome = await colleague.expect_one()
    assert "¡Te damos la bienvenida a Between, Dr. Ruiz!" in welcome.plain_text
    assert (await user_row(bot, 3002)).role == Role.PRACTITIONER


async def test_an_invite_comes_with_its_qr_code(fake_api: FakeBotApi, bot: BotApplication):
    doctor, _row = await practitioner(fake_api, bot, language="de")
    doctor.send("/invite Anna <M.>")
    photo = await doctor.expect_one()
    assert photo.method == "sendPhoto"
    link = LINK.search(photo.plain_caption).group(0)
    assert "Einladung für Anna <M.>" in photo.plain_caption  # the alias, shown as text
    assert photo.file.startswith(b"\x89PNG\r\n\x1a\n")
    assert photo.file == qr_png(link)  # the image encodes exactly this link
    async with services(bot).sessions() as session:
        invite = await session.scalar(select(Invite).where(Invite.kind == InviteKind.CLIENT))
    assert invite.alias == "Anna <M.>"
    expiry = invite.expires_at - invite.created_at
    assert timedelta(days=6, hours=23) < expiry <= timedelta(days=7, minutes=1)


async def test_a_client_cannot_use_practitioner_commands(fake_api: FakeBotApi, bot: BotApplication):
    stranger = fake_api.user(3003, language_code="en")
    for command in ("/invite Bob", "/colleague", "/clients"):
        stranger.send(command)
        reply = await stranger.expect_one()
        assert reply.plain_text == "This command is for practitioners."
    assert await count(bot, Invite) == 0


async def test_an_expired_token_is_refused_and_changes_nothing(
    fake_api: FakeBotApi, bot: BotApplication
):
    _doctor, row = await practitioner(fake_api, bot)
    payload = await new_invite(
        bot, InviteKind.CLIENT, created_by_id=row.id, valid_for=timedelta(seconds=-1)
    )
    client = fake_api.user(3004, language_code="es")
    client.send(f"/start {payload}")
    reply = await client.expect_one()
    assert "Este enlace de invitación ha caducado" in reply.plain_text
    assert await user_row(bot, 3004) is None
    async with services(bot).sessions() as session:
        invite = await session.scalar(select(Invite).where(Invite.kind == InviteKind.CLIENT))
    assert invite.used_at is None and invite.opened_by_telegram_id is None


async def test_a_reused_token_is_refused_and_changes_nothing(
    fake_api: FakeBotApi, bot: BotApplication
):
    doctor, _row = await practitioner(fake_api, bot)
    payload = await invite_link(doctor)
    first = fake_api.user(3005, language_code="en")
    first.send(f"/start {payload}")
    consent = await first.expect_one()
    agree = button_data(consent, "ob:agree:")[0]
    first.press(consent, agree)
    await first.expect_one()
    second = fake_api.user(3006, language_code="de")
    second.send(f"/start {payload}")
    reply = await second.expect_one()
    assert "Dieser Einladungslink wurde schon benutzt" in reply.plain_text
    assert await user_row(bot, 3006) is None
    # the first client's second tap on "I agree" (delivered late) is not a second enrollment
    query = press_forged(fake_api, first, consent, agree)
    await answer_of(first, query)
    await first.expect_nothing(0.3)  # the question it answers is still on screen
    assert await count(bot, User) == 2


async def test_repeated_bad_tokens_are_slowed_down(fake_api: FakeBotApi, bot: BotApplication):
    _doctor, row = await practitioner(fake_api, bot)
    good = await new_invite(bot, InviteKind.CLIENT, created_by_id=row.id)
    guesser = fake_api.user(3007, language_code="en")
    for attempt in range(invites.MAX_BAD_TOKENS):
        guesser.send(f"/start c-{'A' * 30}{attempt}")
        reply = await guesser.expect_one()
        assert "I don't recognise this invite link" in reply.plain_text
    guesser.send(f"/start {good}")  # even a good token waits now
    reply = await guesser.expect_one()
    assert "let's pause for a few minutes" in reply.plain_text
    assert await user_row(bot, 3007) is None
    async with services(bot).sessions() as session:
        attempt_row = await session.get(InviteAttempt, 3007)
    assert attempt_row.failures > invites.MAX_BAD_TOKENS  # kept in the database
