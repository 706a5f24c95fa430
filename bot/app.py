"""The composition root: settings, database, translations and handlers wired in one place.

``python -m bot run`` and the tests build the application with the same
function; only ``TELEGRAM_API_URL`` differs (a fake Bot API in the tests).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, timedelta
from typing import Any

from telegram import BotCommand, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import errors, middleware
from bot.context import SERVICES_KEY, BotContext
from bot.db.session import create_engine, create_session_factory
from bot.delivery import checkin_reminder
from bot.delivery import engine as delivery_engine
from bot.delivery.rate_limiter import TelegramRateLimiter
from bot.delivery.renderers import Renderers
from bot.delivery.scheduling import Planning
from bot.delivery.sender import Sender, SenderConfig
from bot.flows import fallback, group_chats, reminders, welcome
from bot.i18n import N_, Catalogs
from bot.services import Services
from bot.settings import SUPPORTED_LOCALES, Settings, require_token

logger = logging.getLogger(__name__)

BotApplication = Application[Any, BotContext, Any, Any, Any, Any]

# The command menu, per language (setMyCommands). Descriptions are translated at start.
COMMAND_MENU: tuple[tuple[str, str], ...] = (
    ("start", N_("Begin")),
    ("help", N_("What I am, and where to find help")),
)


SENDER_KEY = "delivery_sender"
TICK_JOB_NAME = "delivery.tick"


def build_renderers() -> Renderers:
    """What each kind of outbox message says (rendered at send time, in the user's language)."""
    renderers = Renderers()
    renderers.register(checkin_reminder.KIND, checkin_reminder.render)
    return renderers


def build_services(settings: Settings) -> Services:
    database = create_engine(settings.database_url)
    return Services(
        settings=settings,
        engine=database,
        sessions=create_session_factory(database),
        catalogs=Catalogs.load(settings.locales_dir, SUPPORTED_LOCALES, settings.default_locale),
        renderers=build_renderers(),
    )


def planning(settings: Settings) -> Planning:
    return Planning(
        default_timezone=settings.default_timezone,
        window=timedelta(minutes=settings.prompt_window_minutes),
        batch_size=settings.delivery_batch_size,
    )


def sender_config(settings: Settings) -> SenderConfig:
    return SenderConfig(
        concurrency=settings.delivery_concurrency,
        poll_seconds=settings.delivery_poll_seconds,
        send_timeout=settings.delivery_send_timeout,
        max_attempts=settings.delivery_max_attempts,
        retry_base_seconds=settings.delivery_retry_base_seconds,
        retry_max_seconds=settings.delivery_retry_max_seconds,
        lease_seconds=settings.delivery_lease_seconds,
    )


def build_application(settings: Settings) -> BotApplication:
    """The bot, ready to be started by ``run_polling``, ``run_webhook`` or :func:`running`."""
    services = build_services(settings)
    api_url = settings.telegram_api_url
    application = (
        ApplicationBuilder()
        .token(require_token(settings))
        .base_url(f"{api_url}/bot")
        .base_file_url(f"{api_url}/file/bot")
        .context_types(ContextTypes(context=BotContext))
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=UTC))
        .concurrent_updates(settings.concurrent_updates)
        .connection_pool_size(settings.concurrent_updates + 4)
        .rate_limiter(
            TelegramRateLimiter(
                overall_per_second=settings.rate_limit_per_second,
                per_chat_per_second=settings.per_chat_rate_per_second,
                max_retries=3,
            )
        )
        .post_init(on_startup)
        .post_stop(on_stop)
        .post_shutdown(on_shutdown)
        .build()
    )
    application.bot_data[SERVICES_KEY] = services
    application.bot_data[SENDER_KEY] = Sender(
        application.bot,
        services.sessions,
        services.renderers,
        services.catalogs,
        sender_config(settings),
    )
    register_handlers(application)
    return application


def register_handlers(application: BotApplication) -> None:
    """Every handler, in the order PTB tries them. Group -1 runs first for every update."""
    application.add_handler(TypeHandler(Update, middleware.identify_user), group=-1)

    # Groups and channels first: the bot leaves them, whatever was sent.
    application.add_handler(
        ChatMemberHandler(group_chats.added_to_group, ChatMemberHandler.MY_CHAT_MEMBER)
    )
    application.add_handler(
        MessageHandler(
            (filters.ChatType.GROUPS | filters.ChatType.CHANNEL) & ~filters.StatusUpdate.ALL,
            group_chats.message_in_group,
        )
    )

    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    application.add_handler(CommandHandler("start", welcome.start, filters=private))
    application.add_handler(CommandHandler("help", welcome.help_command, filters=private))

    # Nothing else claimed it: a kind answer for each kind of input.
    application.add_handler(MessageHandler(private & filters.COMMAND, fallback.unknown_command))
    application.add_handler(MessageHandler(private & filters.TEXT, fallback.free_text))
    application.add_handler(
        MessageHandler(private & ~filters.StatusUpdate.ALL, fallback.unsupported_media)
    )
    application.add_handler(
        CallbackQueryHandler(reminders.skip_today, pattern=reminders.SKIP_PATTERN)
    )
    application.add_handler(CallbackQueryHandler(fallback.stale_button))

    application.add_error_handler(errors.on_error)


async def on_startup(application: BotApplication) -> None:
    """Publish the command menu in every language and start delivering scheduled messages
    (PTB calls this once, after initialize)."""
    services: Services = application.bot_data[SERVICES_KEY]
    catalogs = services.catalogs
    for locale in (None, *catalogs.locales):
        translator = catalogs.translator(locale)
        commands = [
            BotCommand(name, translator._(description)) for name, description in COMMAND_MENU
        ]
        await application.bot.set_my_commands(commands, language_code=locale)
    start_delivery(application)
    logger.info("event=bot.started username=%s", application.bot.username)


def start_delivery(application: BotApplication) -> None:
    """One tick job and one sender per instance, whatever the number of clients."""
    settings = application.bot_data[SERVICES_KEY].settings
    interval = settings.scheduler_tick_seconds
    application.job_queue.run_repeating(
        delivery_tick,
        interval=interval,
        first=interval,
        name=TICK_JOB_NAME,
        job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
    )
    # And one tick right at start: a repeating job added before the scheduler starts
    # would otherwise wait a whole interval (APScheduler skips a first run in the past).
    application.job_queue.run_once(
        delivery_tick,
        when=0,
        name=f"{TICK_JOB_NAME}.first",
        job_kwargs={"misfire_grace_time": None},
    )
    application.bot_data[SENDER_KEY].start()


async def delivery_tick(context: BotContext) -> None:
    """Write due prompts to the outbox, expire stale ones, and wake the sender."""
    services = context.services
    await delivery_engine.tick(services.sessions, planning(services.settings))
    context.application.bot_data[SENDER_KEY].wake()


async def on_stop(application: BotApplication) -> None:
    """Let the sends in flight finish before the HTTP client closes."""
    await application.bot_data[SENDER_KEY].stop()


async def on_shutdown(application: BotApplication) -> None:
    services: Services = application.bot_data[SERVICES_KEY]
    await services.engine.dispose()


@asynccontextmanager
async def running(
    application: BotApplication, *, poll_timeout: int | None = None
) -> AsyncIterator[BotApplication]:
    """Run the bot with long polling inside an existing event loop (tests, the demo).

    Does what ``run_polling`` does, minus the signal handling and loop ownership.
    """
    services: Services = application.bot_data[SERVICES_KEY]
    timeout = services.settings.polling_timeout if poll_timeout is None else poll_timeout
    await application.initialize()
    try:
        await on_startup(application)
        await application.start()
        # Never drop pending updates: clients may have written while we were down.
        await application.updater.start_polling(
            poll_interval=0, timeout=timeout, allowed_updates=Update.ALL_TYPES
        )
        yield application
    finally:
        if application.updater.running:
            await application.updater.stop()
        await on_stop(application)
        if application.running:
            await application.stop()
        await application.shutdown()
        await on_shutdown(application)
