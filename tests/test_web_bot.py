"""The web view inside the bot's process: started and stopped with the bot when
WEB_APP_URL is set, a menu button for practitioners only, and "Open in dashboard" on
the alerts (the real PTB client against the fake Bot API)."""

from __future__ import annotations

import time

import httpx
import pytest

from bot.app import WEB_KEY, BotApplication, build_application, running
from bot.offline.fake_bot_api import FakeBotApi
from bot.settings import Settings, require_token
from bot.web.initdata import sign
from tests.conftest import make_settings
from tests.enrollment_helpers import onboard_client, practitioner, user_row

WEB_APP_URL = "https://example.org/between"
CRISIS = "I can't do this anymore, I want to kill myself"


@pytest.fixture
def settings(fake_api: FakeBotApi, database_url: str) -> Settings:
    """The test settings, with the web view on a free local port behind example.org."""
    return make_settings(fake_api, database_url, web_app_url=WEB_APP_URL, web_port=0)


async def test_the_web_view_runs_with_the_bot_and_only_practitioners_get_its_button(
    fake_api: FakeBotApi, bot: BotApplication
):
    doctor, doctor_row = await practitioner(fake_api, bot, 9401, language="de")
    client = await onboard_client(fake_api, doctor, 9402, alias="Mara")

    buttons = fake_api.menu_buttons
    assert buttons[9401] == {
        "type": "web_app",
        "text": "Klient:innen",
        "web_app": {"url": WEB_APP_URL + "/"},
    }
    assert 9402 not in buttons and 0 not in buttons  # clients keep the default menu

    # The proxy strips /between; the pages link under it (the root path).
    port = bot.bot_data[WEB_KEY].port
    signed = sign(
        require_token(bot.bot_data["services"].settings),
        telegram_id=9401,
        auth_date=int(time.time()),
        language_code="de",
    )
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as web:
        opening = await web.get("/caseload")
        page = await web.get("/caseload", headers={"X-Telegram-Init-Data": signed})
    assert 'action="/between/auth"' in opening.text
    assert page.status_code == 200 and "Mara" in page.text and 'lang="de"' in page.text

    client.send(CRISIS)
    await client.expect_one()
    alert = await doctor.expect_one(timeout=10)
    client_row = await user_row(bot, 9402)
    assert client_row is not None and doctor_row.id != client_row.id
    # Below "Show message" (the client's words, on request): the client's page.
    assert alert.buttons[-1] == ("Im Dashboard öffnen", f"{WEB_APP_URL}/clients/{client_row.id}")


async def test_the_web_server_stops_with_the_bot(fake_api: FakeBotApi, migrated: Settings):
    application = build_application(migrated)
    async with running(application, poll_timeout=1):
        port = application.bot_data[WEB_KEY].port
        async with httpx.AsyncClient() as web:
            assert (await web.get(f"http://127.0.0.1:{port}/")).status_code == 200
    assert WEB_KEY not in application.bot_data
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient() as web:
            await web.get(f"http://127.0.0.1:{port}/")
