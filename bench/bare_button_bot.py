"""A bare python-telegram-bot bot that does only the Telegram part of a check-in answer:
``/checkin`` sends a question with eleven buttons; a press is answered
(answerCallbackQuery) and the message edited. No database, no middleware: the ceiling
for any PTB bot that answers a button press properly, measured beside Between's
answers in ``python -m bench.checkins``.

Usage: python -m bench.bare_button_bot <api url> <token> [concurrent updates]
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from bench.bare_application import run

BUTTONS = InlineKeyboardMarkup(
    [[InlineKeyboardButton(str(value), callback_data=f"r:{value}") for value in range(11)]]
)


async def ask(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(
        "How was it today, from 0 to 10?", reply_markup=BUTTONS
    )


async def answer(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer()
    await query.edit_message_text(f"Noted: {query.data[2:]}. Anything else?")


def main() -> None:
    run(CommandHandler("checkin", ask), CallbackQueryHandler(answer))


if __name__ == "__main__":
    main()
