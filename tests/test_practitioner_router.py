"""The practitioner-command router: every practitioner command goes through it, the one
rule for stopped clients (changes refused, reads allowed) holds for both forms of /gas,
and a usage error answers with the command's usage in the practitioner's language."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlalchemy import select, update
from telegram.ext import CommandHandler

from bot.app import BotApplication, build_application
from bot.audit import AuditAction
from bot.db.models import AuditEvent, GasLevel, GasScore, Goal, TeamNote, User, UserStatus
from bot.flows import practitioner_router
from bot.offline.fake_bot_api import FakeBotApi
from tests.conftest import make_settings
from tests.enrollment_helpers import onboard_client, practitioner, services, user_row

# Commands registered for everyone else: a client's own, or anyone's.
NOT_PRACTITIONER = {
    "start",
    "help",
    "learn",
    "checkin",
    "progress",
    "settings",
    "pause",
    "resume",
    "stop",
    "mydata",
    "delete",
}
# A practitioner's commands that name no client by text and read no client's record:
# invite links (a new client, a colleague) and the /team picker (its buttons are
# checked by the care-team flow). Listed here by name so that a new command must be
# routed, or added here on purpose.
ENROLLMENT: set[str] = set()


def test_every_practitioner_command_goes_through_the_router(fake_api: FakeBotApi, tmp_path: Path):
    application = build_application(
        make_settings(fake_api, f"sqlite+aiosqlite:///{tmp_path / 'built.db'}")
    )
    callbacks: dict[str, list[object]] = {}
    for handlers in application.handlers.values():
        for handler in handlers:
            if isinstance(handler, CommandHandler):
                for name in handler.commands:
                    callbacks.setdefault(name, []).append(handler.callback)
    practitioners = set(callbacks) - NOT_PRACTITIONER - ENROLLMENT
    unrouted = {
        name
        for name in practitioners
        if not all(practitioner_router.is_routed(callback) for callback in callbacks[name])
    }
    assert unrouted == set()
    declared = {command.name for command in practitioner_router.COMMANDS}
    assert practitioners == declared
    assert {
        "goals", "goal", "gas", "strategy", "assign", "lessons", "intake", "measure",
        "measures", "digest", "clients", "client", "note", "export", "audit", "invite", "colleague",
        "team",
    } == declared  # fmt: skip
    for command in practitioner_router.COMMANDS:  # each declared once
        assert len(callbacks[command.name]) == 1, command.name


def test_no_flow_names_a_client_outside_the_router():
    """Finding a client from typed words (and the sessions around it) lives in the router."""
    flows = Path(practitioner_router.__file__).parent
    for path in sorted(flows.glob("*.py")):
        if path.name == "practitioner_router.py":
            continue
        tree = ast.parse(path.read_text())
        imported = {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
            for alias in node.names
        }
        assert "find_clients" not in imported, path.name
        assert "one_client" not in imported, path.name


async def _audit(bot: BotApplication) -> list[str]:
    async with services(bot).sessions() as session:
        return list(await session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


async def _all(bot: BotApplication, model) -> list:
    async with services(bot).sessions() as session:
        return list(await session.scalars(select(model)))


async def test_a_stopped_client_gets_no_change_by_either_form_of_gas(
    fake_api: FakeBotApi, bot: BotApplication
):
    lead, _lead_row = await practitioner(fake_api, bot, 8601)
    client = await onboard_client(fake_api, lead, 8602, alias="Anna M.")
    client_row = await user_row(bot, 8602)
    lead.send("/goal Anna M. Walk after lunch")
    assert "Added goal 1 for Anna M." in (await lead.expect_one()).plain_text
    await client.expect_one(timeout=15)  # the goal notice, through the outbox
    async with services(bot).sessions() as session, session.begin():
        await session.execute(
            update(User).where(User.id == client_row.id).values(status=UserStatus.STOPPED)
        )
    before = await _audit(bot)

    for command in (
        "/gas Anna M. 1 +1",  # the level reached now (recorded a score before the router)
        "/gas Anna M. 1 −1",
        "/gas Anna M. 1 +1 Walks four days a week",  # what the level looks like
        "/goal Anna M. pause 1",
        "/strategy Anna M. 1 daily A walk",
        "/note Anna M. Called her today",
    ):
        lead.send(command)
        refused = (await lead.expect_one()).plain_text
        assert "Anna M. has stopped the companion" in refused, command
        assert "Nothing was changed." in refused, command
    assert await _all(bot, GasScore) == []
    assert await _all(bot, GasLevel) == []
    assert await _all(bot, TeamNote) == []
    assert await _audit(bot) == before  # nothing changed, nothing logged

    # reads stay allowed, and are logged
    lead.send("/goals Anna M.")
    assert "1. Walk after lunch — active" in (await lead.expect_one()).plain_text
    lead.send("/audit Anna M.")
    assert "Access log of Anna M." in (await lead.expect_one()).plain_text
    assert (await _audit(bot))[-2:] == [AuditAction.GOALS_VIEW, AuditAction.AUDIT_VIEW]
    await client.expect_nothing(0.2)


async def test_both_forms_of_gas_for_an_active_client(fake_api: FakeBotApi, bot: BotApplication):
    lead, lead_row = await practitioner(fake_api, bot, 8611)
    client = await onboard_client(fake_api, lead, 8612, alias="Anna M.")
    lead.send("/goal Anna M. Walk after lunch")
    await lead.expect_one()
    await client.expect_one(timeout=15)  # the goal notice, through the outbox

    lead.send("/gas Anna M. 1 −1")
    assert "Goal 1 of Anna M. is at GAS level -1 now." in (await lead.expect_one()).plain_text
    lead.send("/gas Anna M. 1 +2 Walks every day")
    assert (
        "Goal 1 of Anna M., GAS level +2: Walks every day" in (await lead.expect_one()).plain_text
    )
    [score] = await _all(bot, GasScore)
    [level] = await _all(bot, GasLevel)
    [goal] = await _all(bot, Goal)
    assert (score.goal_id, score.level, score.rated_by_id) == (goal.id, -1, lead_row.id)
    assert (level.goal_id, level.level, level.description) == (goal.id, 2, "Walks every day")
    assert (await _audit(bot))[-2:] == [AuditAction.GAS_SCORE, AuditAction.GOAL_GAS]


USAGE = {
    "de": {
        "/goals": "Sag mir, wessen Ziele ich zeigen soll, etwa /goals Anna.",
        "/gas Anna 1": "So geht es: /gas Anna 2 +1 Geht an vier Tagen spazieren",
        "/gas Anna 1 +3 Zu gut": "So geht es: /gas Anna 2 +1",
        "/note Anna": "Schreib die Notiz nach dem Namen, etwa /note Anna",
        "/export": "Sag mir, wessen Daten ich exportieren soll, etwa /export Anna (CSV-Dateien",
    },
    "es": {
        "/goals": "Dime de quién mostrar los objetivos, como /goals Anna.",
        "/gas Anna 1": "Así: /gas Anna 2 +1 Camina cuatro días a la semana",
        "/gas Anna 1 +3 Demasiado": "Así: /gas Anna 2 +1",
        "/note Anna": "Escribe la nota después del nombre, por ejemplo /note Anna",
        "/export": "Dime de quién exporto los datos, por ejemplo /export Anna (archivos CSV",
    },
}


@pytest.mark.parametrize("language", ["de", "es"])
async def test_a_usage_error_answers_with_the_usage_in_the_users_language(
    fake_api: FakeBotApi, bot: BotApplication, language: str
):
    lead, _row = await practitioner(fake_api, bot, 8621, language=language)
    client = await onboard_client(fake_api, lead, 8622, alias="Anna", language=language)
    for command, expected in USAGE[language].items():
        lead.send(command)
        assert expected in (await lead.expect_one()).plain_text, command
    await client.expect_nothing(0.2)
    assert await _all(bot, Goal) == [] and await _all(bot, TeamNote) == []
    assert await _audit(bot) == []
