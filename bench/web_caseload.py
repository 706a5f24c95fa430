"""Time the web view's caseload page, count its database queries, weigh it.

    python -m bench.web_caseload [--clients 20 200] [--postgres]

The clients of bench/digest.py (3 goals rated daily for 8 weeks each). The page is asked
for through the real ASGI application (Starlette, in process, no socket): the session
cookie, the access policy, ``bot.review.data.load_review``, the reasons, the template,
and the access log's rows for every client shown. The figure is the median of 5
requests after one warm-up (the heap settled first, as the web server does when it
starts: ``bot.web.server.settle_heap``); queries are counted with a SQLAlchemy
``before_cursor_execute`` listener and must not grow with the caseload. The page weight
is the HTML plus the two local assets (CSS, JS); telegram-web-app.js is Telegram's.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from sqlalchemy import event

from bench.common import Figure, save
from bench.delivery import Database, postgres_available
from bench.digest import seed
from bot import crypto
from bot.app import build_services
from bot.settings import load_settings
from bot.web.app import create_app
from bot.web.initdata import sign
from bot.web.server import settle_heap

TOKEN = "123456:bench-token"
RUNS = 5
ASSETS = Path(__file__).resolve().parent.parent / "bot" / "web" / "static"


async def measure(url: str, clients: int, key: str) -> tuple[float, int, int]:
    await seed(url, clients, datetime.now(UTC).date())
    settings = load_settings(_env_file=None, database_url=url, bot_token=TOKEN, encryption_keys=key)
    services = build_services(settings)
    queries = 0

    def count(*_args: object) -> None:
        nonlocal queries
        queries += 1

    event.listen(services.engine.sync_engine, "before_cursor_execute", count)
    app = create_app(services, bot_token=TOKEN)
    settle_heap()  # what the web server does when it starts
    init_data = sign(TOKEN, telegram_id=1, auth_date=int(time.time()))
    transport = httpx.ASGITransport(app=app)
    times, counts = [], []
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as web:
        assert (await web.post("/auth", data={"init_data": init_data})).status_code == 303
        page = await web.get("/caseload")  # warm-up: templates compiled, pools filled
        assert page.status_code == 200 and page.text.count('class="client"') == clients
        for _ in range(RUNS):
            queries = 0
            started = time.perf_counter()
            page = await web.get("/caseload")
            times.append(time.perf_counter() - started)
            counts.append(queries)
    await services.engine.dispose()
    weight = len(page.content) + sum(path.stat().st_size for path in ASSETS.iterdir())
    return statistics.median(times), max(counts), weight


def yardstick() -> float:
    """How fast this host runs plain Python now (the machine is shared): the seconds for
    ``sum(i*i for i in range(10**7))``, printed next to the figures."""
    started = time.perf_counter()
    sum(i * i for i in range(10**7))
    return time.perf_counter() - started


async def main(sizes: list[int], postgres: bool) -> list[Figure]:
    key = crypto.generate_key()
    crypto.configure(crypto.Cipher([key]))
    backends = ["sqlite"] + (["postgresql"] if postgres and await postgres_available() else [])
    figures = []
    print(f"host yardstick: {yardstick():.2f} s (sum(i*i for i in range(10**7)))")
    print(f"{'backend':<11} {'clients':>7} {'time':>9} {'queries':>8} {'page weight':>12}")
    with tempfile.TemporaryDirectory() as folder:
        for backend in backends:
            for size in sizes:
                async with Database(backend, Path(folder)) as database:
                    elapsed, queries, weight = await measure(database.url, size, key)
                print(
                    f"{backend:<11} {size:>7} {elapsed * 1000:>7.0f}ms {queries:>8} "
                    f"{weight / 1024:>9.1f} KB"
                )
                command = f"python -m bench.web_caseload --clients {size}"
                name = f"{backend} {size} clients"
                figures += [
                    Figure("web_caseload", f"{name}: time", elapsed * 1000, "ms", command),
                    Figure("web_caseload", f"{name}: queries", queries, "", command),
                    Figure("web_caseload", f"{name}: page weight", weight / 1024, "KB", command),
                ]
    save("web_caseload", figures)
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[20, 200])
    parser.add_argument("--postgres", action="store_true", help="also on PostgreSQL")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.clients, arguments.postgres))
