"""The PTB application both bare yardstick bots run (bench/bare_echo_bot.py,
bench/bare_button_bot.py): nothing of Between's, only python-telegram-bot pointed at
the fake Bot API, with as many updates at once as Between handles.

They use PTB's own HTTP client (httpx), as a bot written first would.
``BENCH_PEER_HTTP_CLIENT=aiohttp`` puts them on Between's (``bot/telegram_http.py``),
to compare like with like: what Between's own code costs, its HTTP client aside."""

from __future__ import annotations

import os
import sys

from telegram.ext import Application, ApplicationBuilder, BaseHandler

from bot.telegram_http import request


def run(*handlers: BaseHandler) -> None:
    """``python -m bench.bare_… <api url> <token> [concurrent updates]``: poll until stopped."""
    api_url, token = sys.argv[1], sys.argv[2]
    concurrency = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{api_url}/bot")
        .base_file_url(f"{api_url}/file/bot")
        .concurrent_updates(concurrency)
    )
    client = os.environ.get("BENCH_PEER_HTTP_CLIENT")
    if client:
        builder.request(request(client, pool_size=concurrency + 4))
        builder.get_updates_request(request(client, pool_size=1))
    else:
        builder.connection_pool_size(concurrency + 4)
    application: Application = builder.build()
    application.add_handlers(list(handlers))
    application.run_polling(timeout=1, drop_pending_updates=False)
