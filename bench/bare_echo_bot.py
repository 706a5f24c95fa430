"""A bare python-telegram-bot echo bot: the baseline the benchmarks compare Between against.

Usage: python -m bench.bare_echo_bot <api url> <token> [concurrent updates]
"""

from __future__ import annotations

import sys

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters


async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(update.effective_message.text)


def main() -> None:
    api_url, token = sys.argv[1], sys.argv[2]
    concurrency = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{api_url}/bot")
        .base_file_url(f"{api_url}/file/bot")
        .concurrent_updates(concurrency)
        .connection_pool_size(concurrency + 4)
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT, echo))
    application.run_polling(timeout=1, drop_pending_updates=False)


if __name__ == "__main__":
    main()
