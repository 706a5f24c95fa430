"""Small builders for inline keyboards: rows of (label, callback data)."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

Row = Sequence[tuple[str, str]]


def inline(*rows: Row) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text, callback_data=data) for text, data in row] for row in rows]
    )


def in_rows(buttons: Sequence[tuple[str, str]], per_row: int) -> list[Row]:
    return [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]
