"""The PTB application both bare yardstick bots run (bench/bare_echo_bot.py,
bench/bare_button_bot.py): nothing of Between's, only python-telegram-bot pointed at
the fake Bot API, with as many updates at once as Between handles."""

from __future__ import annotations

import sys

from telegram.ext import Application, ApplicationBuilder, BaseHandler


def run(*handlers: BaseHandler) -> None:
    """``python -m bench.bare_… <api url> <token> [concurrent updates]``: poll until stopped."""
    api_url, token = sys.argv[1], sys.argv[2]
    concurrency = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    application: Application = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{api_url}/bot")
        .base_file_url(f"{api_url}/file/bot")
        .concurrent_updates(concurrency)
        .connection_pool_size(concurrency + 4)
        .build()
    )
    application.add_handlers(list(handlers))
    application.run_polling(timeout=1, drop_pending_updates=False)
