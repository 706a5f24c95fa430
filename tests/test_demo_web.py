"""``python -m bot demo --web``: after the story (tests/test_demo.py plays it), the web
view serves the demo practitioner's caseload at an address whose initData the demo
signed with the fake bot's token, the way Telegram hands it to a Mini App."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, urlsplit

import httpx

from bot.app import BotApplication
from bot.demo import serve_dashboard
from bot.demo.story import EVA_TELEGRAM_ID
from bot.offline.fake_bot_api import FakeBotApi
from tests.enrollment_helpers import onboard_client, practitioner


async def test_the_demo_serves_evas_caseload_at_the_address_it_prints(
    fake_api: FakeBotApi, bot: BotApplication
):
    eva, _row = await practitioner(fake_api, bot, EVA_TELEGRAM_ID, name="Dr. Weber")
    await onboard_client(fake_api, eva, 602, language="es", alias="Lucía")
    lines: list[str] = []
    stop = asyncio.Event()
    serving = asyncio.create_task(serve_dashboard(fake_api, bot, lines.append, until=stop))
    try:
        async with asyncio.timeout(30):
            while not any("/#tgWebAppData=" in line for line in lines):
                assert not serving.done()
                await asyncio.sleep(0.05)
        address = next(line.strip() for line in lines if "/#tgWebAppData=" in line)
        parts = urlsplit(address)
        init_data = parse_qs(parts.fragment)["tgWebAppData"][0]
        async with httpx.AsyncClient(base_url=f"{parts.scheme}://{parts.netloc}") as web:
            opening = await web.get("/")
            signed_in = await web.post("/auth", data={"init_data": init_data, "next": "/"})
            caseload = await web.get("/caseload")
        assert 'id="signin"' in opening.text  # the page that hands initData over
        assert signed_in.status_code == 303
        assert caseload.status_code == 200 and "Lucía" in caseload.text
    finally:
        stop.set()
        await serving
