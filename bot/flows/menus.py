"""Command menus per role and language (setMyCommands with a chat scope).

The default scope keeps the stranger's menu (published at start in ``bot/app.py``);
once someone becomes a client or a practitioner, their own chat gets the menu of
their role in their language.
"""

from __future__ import annotations

import logging

from telegram import BotCommand, BotCommandScopeChat
from telegram.error import TelegramError

from bot.context import BotContext
from bot.db.models import Role
from bot.i18n import N_

logger = logging.getLogger(__name__)

CLIENT_MENU: tuple[tuple[str, str], ...] = (
    ("goals", N_("Your goals, and setting a new one")),
    ("checkin", N_("Check in now (once a day)")),
    ("progress", N_("Your ratings as a chart, and your streak")),
    ("learn", N_("Your lessons, to read again")),
    ("settings", N_("Language, time zone, check-in time, quiet hours")),
    ("pause", N_("Take a break for a few days")),
    ("resume", N_("Continue after a break")),
    ("team", N_("Who is on your care team")),
    ("stop", N_("End the companion")),
    ("mydata", N_("A copy of everything stored about you")),
    ("delete", N_("Erase everything stored about you")),
    ("help", N_("What I am, and where to find help")),
)
PRACTITIONER_MENU: tuple[tuple[str, str], ...] = (
    ("invite", N_("Invite a client (link and QR code)")),
    ("clients", N_("Your clients")),
    ("digest", N_("The weekly digest now (or: /digest monday 08:00)")),
    ("client", N_("One client: goals, check-ins, notes, chart")),
    ("note", N_("A note for a client's care team")),
    ("gas", N_("Set a goal's GAS level")),
    ("export", N_("A client's record: CSV files and a PDF")),
    ("audit", N_("Who read a client's data")),
    ("lessons", N_("A client's lessons and reflections")),
    ("assign", N_("Choose a program of lessons for a client")),
    ("intake", N_("A client's answers to the intake questions")),
    ("measure", N_("Schedule questionnaires, see their results")),
    ("measures", N_("Questionnaires every new client gets (PHQ-9, GAD-7, WHO-5)")),
    ("goals", N_("A client's goals, numbered")),
    ("goal", N_("Add or change a client's goal")),
    ("gas", N_("Describe a goal's attainment levels (-2 to +2)")),
    ("strategy", N_("Add a strategy to a client's goal")),
    ("team", N_("A client's care team")),
    ("colleague", N_("Invite a colleague as a practitioner")),
    ("settings", N_("Language and time zone")),
    ("help", N_("What I am, and where to find help")),
)


async def publish_for(context: BotContext, telegram_id: int, role: Role, locale: str) -> None:
    """Give this chat the menu of its role, in its language (best effort)."""
    translator = context.services.catalogs.translator(locale)
    menu = PRACTITIONER_MENU if role == Role.PRACTITIONER else CLIENT_MENU
    commands = [BotCommand(name, translator._(text)) for name, text in menu]
    try:
        await context.bot.set_my_commands(commands, scope=BotCommandScopeChat(telegram_id))
    except TelegramError as error:
        logger.warning("event=menu.failed chat_id=%s error=%s", telegram_id, type(error).__name__)
