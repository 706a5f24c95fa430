"""The web view's test world: three practitioners and the review caseload, made directly in
the database (tests/review_helpers.py), and a signed-in HTTP client for each.

- the lead (Dr. Lead) has Anna (red: a reliable decline and a safety flag), Ben, Cleo, Dan;
- a colleague (Dr. Team) is a team member on Anna's care team only;
- a stranger (Dr. Else) has no clients.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from sqlalchemy import func, select

from bot.app import build_services
from bot.db.models import (
    AuditEvent,
    CareTeamMember,
    MembershipState,
    Practitioner,
    Role,
    TeamRole,
    User,
    UserStatus,
)
from bot.enrollment import practices
from bot.services import Services
from bot.settings import Settings, require_token
from bot.web.app import create_app
from bot.web.initdata import sign
from bot.web.session import COOKIE, Sessions
from tests import review_helpers

LEAD, COLLEAGUE, STRANGER = 9101, 9102, 9103


@dataclass
class World:
    services: Services
    lead: int  # user ids
    colleague: int
    stranger: int
    caseload: review_helpers.Caseload

    @property
    def anna(self) -> int:
        return self.caseload.anna


class _Holder:
    """What review_helpers reads services from (it expects the bot application)."""

    def __init__(self, services: Services) -> None:
        self.bot_data = {"services": services}


async def practitioner(services: Services, telegram_id: int, name: str, locale: str) -> int:
    async with services.sessions() as session, session.begin():
        user = User(
            telegram_id=telegram_id,
            role=Role.PRACTITIONER,
            status=UserStatus.ACTIVE,
            locale=locale,
            timezone="UTC",
        )
        session.add(user)
        await session.flush()
        practice = await practices.default(session)
        session.add(Practitioner(user_id=user.id, display_name=name, practice_id=practice.id))
        return user.id


async def make_world(settings: Settings, *, lead_locale: str = "en") -> World:
    services = build_services(settings)
    lead = await practitioner(services, LEAD, "Dr. Lead", lead_locale)
    colleague = await practitioner(services, COLLEAGUE, "Dr. Team", "en")
    stranger = await practitioner(services, STRANGER, "Dr. Else", "en")
    caseload = await review_helpers.caseload(_Holder(services), lead, 70_000)  # type: ignore[arg-type]
    async with services.sessions() as session, session.begin():
        session.add(
            CareTeamMember(
                client_id=caseload.anna,
                practitioner_id=colleague,
                role=TeamRole.MEMBER,
                state=MembershipState.ACTIVE,
                alias="Anna K.",
            )
        )
    return World(services, lead, colleague, stranger, caseload)


def init_data(settings: Settings, telegram_id: int, *, language: str = "en", age: int = 5) -> str:
    return sign(
        require_token(settings),
        telegram_id=telegram_id,
        auth_date=int(time.time()) - age,
        language_code=language,
    )


def client_for(world: World) -> httpx.AsyncClient:
    app = create_app(world.services, bot_token=require_token(world.services.settings))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


@asynccontextmanager
async def signed_in(world: World, telegram_id: int) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client that opened the Mini App as ``telegram_id`` (it has the cookie)."""
    async with client_for(world) as client:
        answer = await client.post(
            "/auth",
            data={"init_data": init_data(world.services.settings, telegram_id), "next": "/"},
        )
        assert answer.status_code == 303, answer.text
        yield client


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert match, "no CSRF token on the page"
    return match.group(1)


async def audit_rows(services: Services, action: str) -> list[tuple[int, int]]:
    async with services.sessions() as session:
        rows = await session.execute(
            select(AuditEvent.actor_user_id, AuditEvent.client_user_id)
            .where(AuditEvent.action == action)
            .order_by(AuditEvent.id)
        )
        return [(actor, client) for actor, client in rows.all()]


async def count(services: Services, model: type) -> int:
    async with services.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def csrf_for(world: World, client: httpx.AsyncClient) -> str:
    """The CSRF token of the client's own session (as its pages would carry it)."""
    settings = world.services.settings
    sessions = Sessions(require_token(settings), settings.web_auth_max_age)
    session = sessions.read(client.cookies.get(COOKIE))
    assert session is not None
    return sessions.csrf_token(session)
