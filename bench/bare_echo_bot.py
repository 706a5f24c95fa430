"""A bare python-telegram-bot echo bot: the baseline the benchmarks compare Between against.

Usage: python -m bench.bare_echo_bot <api url> <token> [concurrent updates]
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes, MessageHandler, filters

from bench.bare_application import run


async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(update.effective_message.text)


def main() -> None:
    run(MessageHandler(filters.TEXT, echo))


if __name__ == "__main__":
    main()
