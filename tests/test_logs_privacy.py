"""Logs carry ids and event names, never text, names, usernames or the token, at any level."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot.logs import configure_logging
from bot.offline.fake_bot_api import FakeBotApi

SECRETS = ("Zebulon", "zeb_private_handle", "my sister's wedding", "Ängstlich heute")


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    """Everything logged at DEBUG, formatted as an operator would see it."""
    root = logging.getLogger()
    saved_level, saved_handlers = root.level, list(root.handlers)
    buffer = io.StringIO()
    configure_logging("DEBUG", stream=buffer)
    try:
        yield buffer
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)


@pytest.mark.usefixtures("bot")
async def test_a_journey_logged_at_debug_shows_no_text_names_or_token(
    fake_api: FakeBotApi, debug_log: io.StringIO
):
    person = fake_api.user(3001, first_name="Zebulon", username="zeb_private_handle")
    person.send("/start")
    await person.expect_one()
    person.send("/help")
    await person.expect_one()
    person.send("It's my sister's wedding and I feel lost")
    await person.expect_one()
    person.send("Ängstlich heute")
    await person.expect_one()
    person.send_sticker()
    await person.expect_one()
    fake_api.group(-3002, title="Zebulon family").add_bot(by=person)
    assert await fake_api.group(-3002).wait_until_left()

    output = debug_log.getvalue()
    assert "event=start.without_invite user_id=3001" in output  # the log was captured
    assert "DEBUG telegram" in output  # and libraries logged at DEBUG too
    for secret in (*SECRETS, fake_api.token):
        assert secret not in output, f"{secret!r} leaked into the logs"
