"""The one markup helper and the one "harmless refusal" helper of the Telegram edge."""

from __future__ import annotations

import pytest
from telegram.error import BadRequest

from bot.delivery.renderers import Button, Rendered
from bot.errors import harmless_ignored, is_harmless
from bot.flows.keyboards import inline, markup
from bot.lessons.messages import OutgoingMessage


def test_rows_of_buttons_become_the_same_keyboard_with_callback_data_unchanged():
    rendered = Rendered(
        text="x", buttons=((Button("0", "ck:20261206:g:7:0"), Button("1", "ck:20261206:g:7:1")),)
    )
    keyboard = markup(rendered.buttons)
    assert keyboard is not None
    assert keyboard.to_dict() == {
        "inline_keyboard": [
            [
                {"text": "0", "callback_data": "ck:20261206:g:7:0"},
                {"text": "1", "callback_data": "ck:20261206:g:7:1"},
            ]
        ]
    }
    assert markup(()) is None
    assert inline([("0", "ck:20261206:g:7:0"), ("1", "ck:20261206:g:7:1")]) == keyboard


def test_a_lesson_message_uses_the_same_button_and_keyboard():
    message = OutgoingMessage(1, "page", ((Button("Next »", "lp:5:1"),),))
    keyboard = markup(message.buttons)
    assert keyboard is not None
    assert keyboard.to_dict() == message.reply_markup()


def test_a_button_refuses_callback_data_telegram_would_refuse():
    with pytest.raises(ValueError):
        Button("x", "a" * 65)


@pytest.mark.parametrize(
    "description",
    [
        "Message is not modified: specified new message content and reply markup are the same",
        "Query is too old and response timeout expired or query id is invalid",
    ],
)
def test_not_modified_and_too_old_are_ignored(description: str):
    assert is_harmless(BadRequest(description))
    with harmless_ignored():
        raise BadRequest(description)


def test_any_other_refusal_still_raises():
    assert not is_harmless(BadRequest("Message to edit not found"))
    assert not is_harmless(None)
    with pytest.raises(BadRequest, match="not found"), harmless_ignored():
        raise BadRequest("Message to edit not found")
