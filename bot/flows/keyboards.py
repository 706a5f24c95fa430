"""Inline keyboards: the one place a ``Button`` (plain data, from the renderers) becomes
Telegram's ``InlineKeyboardMarkup``. Callback data is passed through unchanged."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo

from bot.delivery.renderers import Button, WebAppButton

Row = Sequence[tuple[str, str]]


def _button(button: Button | WebAppButton) -> InlineKeyboardButton:
    if isinstance(button, WebAppButton):
        return InlineKeyboardButton(button.text, web_app=WebAppInfo(button.url))
    return InlineKeyboardButton(button.text, callback_data=button.callback_data)


def _keyboard(rows: Sequence[Sequence[Button | WebAppButton]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_button(b) for b in row] for row in rows])


def markup(rows: Sequence[Sequence[Button | WebAppButton]]) -> InlineKeyboardMarkup | None:
    """Telegram's keyboard for rows of buttons (e.g. ``Rendered.buttons``); None without any."""
    return _keyboard(rows) if rows else None


def inline(*rows: Row) -> InlineKeyboardMarkup:
    """A keyboard from rows of (label, callback data)."""
    return _keyboard([[Button(text, data) for text, data in row] for row in rows])


def in_rows(buttons: Sequence[tuple[str, str]], per_row: int) -> list[Row]:
    return [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]
