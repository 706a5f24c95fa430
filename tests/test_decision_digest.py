"""Decision support in the digest, over the fake Bot API: the caseload line first, a
reason on every flagged client, and a first-week decline reported against its first
days (issue 17, items 1–3)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import BotApplication
from bot.db.models import CheckinStatus
from bot.offline.fake_bot_api import FakeBotApi
from tests import review_helpers as h
from tests.enrollment_helpers import practitioner

CASELOAD = {
    "en": "1 red · 1 yellow · 1 green · 2 not enough data",
    "de": "1 rot · 1 gelb · 1 grün · 2 zu wenig Daten",
    "es": "1 en rojo · 1 en amarillo · 1 en verde · 2 sin datos suficientes",
}


async def _mixed_caseload(bot: BotApplication, practitioner_id: int, base: int) -> None:
    """Rita: reliably worse; Yara: 2 check-ins missed in a row; Gina: reliably better;
    Fynn: a first-week decline 6→5→5→4; Nora: nothing yet. d[n] is n days ago; the
    digest's week is d[7] … d[1]."""
    d = [h.today() - timedelta(days=n) for n in range(40)]
    async with h.services(bot).sessions() as session, session.begin():
        rita = await h.client(session, practitioner_id, base + 1, "Rita")
        yara = await h.client(session, practitioner_id, base + 2, "Yara")
        gina = await h.client(session, practitioner_id, base + 3, "Gina")
        fynn = await h.client(session, practitioner_id, base + 4, "Fynn")
        await h.client(session, practitioner_id, base + 5, "Nora")
        sleep = await h.goal(session, rita, "Sleep")
        walk = await h.goal(session, gina, "Walk")
        read = await h.goal(session, yara, "Read")
        mood = await h.goal(session, fynn, "Mood")
        first = [8, 8, 7, 8, 8, 7, 8]
        latest = [3, 2, 3, 3, 2, 3, 3]
        for n in range(34, 0, -1):
            value = first[34 - n] if n >= 28 else (latest[7 - n] if n <= 7 else 6)
            await h.day(session, rita, d[n], CheckinStatus.ANSWERED, {sleep: value})
            rising = 2 if n >= 28 else (8 if n <= 7 else 5)
            await h.day(session, gina, d[n], CheckinStatus.ANSWERED, {walk: rising})
        for n in (5, 4, 3):
            await h.day(session, yara, d[n], CheckinStatus.ANSWERED, {read: 5})
        for n in (2, 1):
            await h.day(session, yara, d[n], CheckinStatus.MISSED)
        for n, value in zip((4, 3, 2, 1), (6, 5, 5, 4), strict=True):
            await h.day(session, fynn, d[n], CheckinStatus.ANSWERED, {mood: value})


@pytest.mark.parametrize("language", ["en", "de", "es"])
async def test_the_digest_opens_with_the_caseload_and_gives_a_reason_for_every_flag(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    doctor, row = await practitioner(fake_api, bot, 8701, language=language)
    await h.set_utc(bot, row.id)
    await _mixed_caseload(bot, row.id, 87000)

    doctor.send("/digest")
    text = (await doctor.expect(2, timeout=30))[0].plain_text
    lines = text.split("\n")
    # the caseload line comes right after the title, then red, then yellow clients
    assert lines[1] == CASELOAD[language]
    assert lines[2].startswith("🔴 Rita: ")
    assert lines[3].startswith("🟡 Yara: ")
    if language == "en":
        assert lines[2] == ("🔴 Rita: goal 1 “Sleep” down 5.0 vs first week, a reliable change")
        assert lines[3] == "🟡 Yara: 2 check-ins missed in a row"
        fynn = text[text.index("\nFynn\n") :]
        fynn = fynn[: fynn.index("\n\n")] if "\n\n" in fynn else fynn
        assert "1. Mood: 5.0 this week (vs first days: 5.5)" in fynn
        assert "⚪ too early to judge (week 1) · goal 1 “Mood” down 1.0 vs first days" in fynn
        assert "nothing earlier to compare" not in fynn
        gina = text[text.index("\nGina\n") :]
        assert "🟢 goal 1 “Walk” up 6.0 vs first week, a reliable change" in gina
    if language == "de":
        assert lines[3] == "🟡 Yara: 2 Check-ins in Folge verpasst"
        assert "(gegenüber den ersten Tagen: 5,5)" in text
    # green and grey clients are counted, not listed before the details
    assert not any(line.startswith(("🟢", "⚪")) for line in lines[:6])
