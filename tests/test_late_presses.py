"""A press whose answer Telegram refuses still counts.

Telegram refuses ``answerCallbackQuery`` for a press that is too old (the bot was slow,
or catching up after an outage) or already answered (the same update handled by two
instances). Here the fake refuses every answer, as if each press came late: the
onboarding and a check-in must still go on, store what was pressed and show the next
question — no handler may stop at its answer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.app import BotApplication
from bot.db.models import CheckinStatus
from bot.offline.fake_bot_api import FakeBotApi
from tests.checkin_helpers import add_goal, checkin_of, edited, make_client, today_in
from tests.enrollment_helpers import onboard_client, practitioner, user_row


@pytest.fixture
def fake_api() -> Iterator[FakeBotApi]:
    with FakeBotApi(callback_query_ttl=0) as fake:  # every answer to a press comes too late
        yield fake


async def test_presses_answered_too_late_still_count(fake_api: FakeBotApi, bot: BotApplication):
    lead, _ = await practitioner(fake_api, bot, 8101)
    # Five presses (consent, language, time zone, check-in time, quiet hours), each
    # answer refused: the helper waits for every next question.
    await onboard_client(fake_api, lead, 8102)
    onboarded = await user_row(bot, 8102)
    assert onboarded is not None
    assert (onboarded.timezone, str(onboarded.checkin_time)) == ("Europe/Vienna", "08:00:00")

    user_id = await make_client(bot, 8103)
    await add_goal(bot, user_id, "Sleep")
    client = fake_api.user(8103)
    client.send("/checkin")
    prompt = await client.expect_one()
    client.press(prompt, "7")
    note_question = await edited(client, prompt)
    assert "note" in note_question.plain_text.lower()
    client.press(note_question, "No note today")
    thanks = await edited(client, prompt, 2)
    assert "streak" in thanks.plain_text.lower()
    checkin = await checkin_of(bot, user_id, today_in())
    assert checkin is not None and checkin.status is CheckinStatus.ANSWERED
    assert fake_api.callback_answers == []  # every answer was refused, as the fixture says
