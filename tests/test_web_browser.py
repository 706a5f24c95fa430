"""The web view in a real browser: Debian's Chromium driven by Playwright (never a browser
that `playwright install` downloads), against the server on a local port, on SQLite and
PostgreSQL. Telegram's script is replaced by a route that provides
``window.Telegram.WebApp`` with initData signed by the test bot's token.

One browser per test, few page loads: a practitioner at 390×844 sees the red client
first with its reason, opens the client page, records a GAS level and a team note (the
database holds them); the pages in German and Spanish; the dark theme; no console
errors; axe-core (shipped in the axe-playwright-python package) finds no serious or
critical violation on either page. Tampered initData gets the 401 page, and another
practitioner a 404 for the client. Screenshots go to tests/artifacts/screens/.

Without /usr/bin/chromium the tests skip, saying so; under CI (CI=true) they fail.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import pytest
from sqlalchemy import select, update

from bot.db.models import GasScore, TeamNote, User
from bot.settings import Settings, require_token
from bot.web.app import create_app
from bot.web.initdata import sign
from bot.web.server import WebServer
from bot.web.templating import TELEGRAM_SCRIPT
from tests.web_helpers import LEAD, STRANGER, World, make_world

CHROMIUM = Path("/usr/bin/chromium")
SCREENS = Path(__file__).parent / "artifacts" / "screens"
NOTE = "Asked about the walks; try mornings"


@pytest.fixture
def chromium() -> Path:
    if not CHROMIUM.exists():
        reason = "Debian's Chromium is not installed (apt-get install -y chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}: CI must run the browser tests")
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture
async def served(migrated: Settings) -> AsyncIterator[tuple[World, str]]:
    """The test world, and the address of the web view serving it on a free port."""
    world = await make_world(migrated)
    server = WebServer(
        create_app(world.services, bot_token=require_token(migrated)), host="127.0.0.1", port=0
    )
    await server.start()
    try:
        yield world, f"http://127.0.0.1:{server.port}"
    finally:
        await server.stop()
        await world.services.engine.dispose()


def telegram_stub(init_data: str) -> str:
    """What telegram-web-app.js gives a page, as far as the web view uses it."""
    web_app = {"initData": init_data, "colorScheme": "light", "themeParams": {}}
    return (
        f"window.Telegram = {{WebApp: Object.assign({json.dumps(web_app)}, "
        "{ready: function () {}, expand: function () {}})};"
    )


def signed(settings: Settings, telegram_id: int) -> str:
    return sign(
        require_token(settings), telegram_id=telegram_id, auth_date=int(time.time()), first_name="P"
    )


async def new_page(browser, init_data: str, errors: list[str] | None = None, **options):
    context = await browser.new_context(viewport={"width": 390, "height": 844}, **options)

    async def telegram(route):
        await route.fulfill(content_type="application/javascript", body=telegram_stub(init_data))

    await context.route(TELEGRAM_SCRIPT, telegram)
    page = await context.new_page()
    if errors is not None:
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
    return page


async def serious_violations(page) -> list[str]:
    from axe_playwright_python.async_playwright import Axe

    results = await Axe().run(page)
    return [
        f"{v['id']}: {v['help']}"
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]


async def set_locale(world: World, locale: str) -> None:
    async with world.services.sessions() as session, session.begin():
        await session.execute(update(User).where(User.id == world.lead).values(locale=locale))


async def test_a_practitioner_works_through_the_caseload_in_a_browser(
    chromium: Path, served: tuple[World, str], request: pytest.FixtureRequest
):
    from playwright.async_api import async_playwright

    world, base = served
    settings = world.services.settings
    shots = SCREENS / request.node.callspec.id
    shots.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(chromium))
        try:
            page = await new_page(browser, signed(settings, LEAD), errors)
            # Opened as Telegram opens it: the page hands initData over, then the caseload.
            await page.goto(base + "/")
            await page.wait_for_url(base + "/caseload")
            first = page.locator(".client").first
            assert "Anna" in await first.inner_text()
            assert "needs attention" in await first.inner_text()
            assert "Sleep before midnight" in await first.locator(".reason").inner_text()
            assert await page.evaluate("document.documentElement.scrollWidth") <= 390
            await page.screenshot(path=str(shots / "caseload.png"), full_page=True)
            assert await serious_violations(page) == []

            await first.get_by_role("link", name="Anna").click()
            await page.wait_for_url(f"{base}/clients/{world.anna}")
            assert await page.locator("h1").inner_text() == "Anna"
            assert await page.locator("svg.chart").count() == 2
            await page.screenshot(path=str(shots / "client.png"), full_page=True)
            assert await serious_violations(page) == []

            record = page.locator("form", has_text="Record a GAS level")
            await record.get_by_label("Goal", exact=True).select_option("2")
            await record.get_by_label("Level reached now").select_option("1")
            await page.get_by_role("button", name="Record").click()
            await page.get_by_text("The GAS level is recorded.").wait_for()
            await page.get_by_label("A note for the care team").fill(NOTE)
            await page.get_by_role("button", name="Save the note").click()
            await page.get_by_text("The note is saved.").wait_for()
            assert await page.get_by_text(NOTE).count() == 1

            await page.emulate_media(color_scheme="dark")
            await page.screenshot(path=str(shots / "client-dark.png"))

            await set_locale(world, "de")
            await page.goto(base + "/caseload")
            assert await page.locator("h1").inner_text() == "Deine Klient:innen"
            assert "braucht Aufmerksamkeit" in await page.locator(".client").first.inner_text()
            await page.screenshot(path=str(shots / "caseload-de.png"))
            await set_locale(world, "es")
            await page.goto(f"{base}/clients/{world.anna}")
            assert await page.get_by_role("heading", name="Notas del equipo").count() == 1
            await page.screenshot(path=str(shots / "client-es.png"))
            assert errors == []

            # Tampered initData: the 401 page; another practitioner: 404 for the client.
            fields = dict(parse_qsl(signed(settings, LEAD)))
            fields["auth_date"] = str(int(fields["auth_date"]) + 1)
            tampered = await new_page(browser, urlencode(fields))
            answers = []
            tampered.on("response", lambda r: answers.append(r.status) if "/auth" in r.url else 0)
            await tampered.goto(base + "/caseload")
            await tampered.get_by_text("open it again from the bot in Telegram").wait_for()
            assert answers == [401]
            assert "Anna" not in await tampered.content()
            stranger = await new_page(browser, signed(settings, STRANGER))
            await stranger.goto(base + "/")
            await stranger.wait_for_url(base + "/caseload")
            response = await stranger.goto(f"{base}/clients/{world.anna}")
            assert response is not None and response.status == 404
            assert "Anna" not in await stranger.content()
        finally:
            await browser.close()

    async with world.services.sessions() as session:
        newest = (
            await session.execute(
                select(GasScore.goal_id, GasScore.level, GasScore.rated_by_id)
                .order_by(GasScore.id.desc())
                .limit(1)
            )
        ).one()
        notes = (await session.scalars(select(TeamNote.text).order_by(TeamNote.id))).all()
    assert tuple(newest) == (world.caseload.anna_goals[1], 1, world.lead)
    assert notes[-1] == NOTE
