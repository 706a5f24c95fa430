"""The composition root: settings, database, translations and handlers wired in one place.

``python -m bot run`` and the tests build the application with the same
function; only ``TELEGRAM_API_URL`` differs (a fake Bot API in the tests).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
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

from bot import crypto, errors, middleware, telegram_http
from bot.checkins import delivery as checkin_delivery
from bot.content.library import ContentLibrary, load_content
from bot.context import SERVICES_KEY, BotContext
from bot.db.base import utcnow
from bot.db.session import create_engine, create_session_factory
from bot.delivery import engine as delivery_engine
from bot.delivery import notices, outbox
from bot.delivery.rate_limiter import TelegramRateLimiter
from bot.delivery.renderers import Renderers
from bot.delivery.scheduling import Planning
from bot.delivery.sender import Sender, SenderConfig
from bot.delivery.shared_rate import SharedRate
from bot.enrollment import invites, timezones
from bot.flood import FloodGuard
from bot.flows import (
    care_team,
    checkins,
    data_rights,
    fallback,
    free_text,
    goals,
    group_chats,
    invite_link,
    lesson_more,
    lessons,
    measures,
    onboarding,
    pause,
    practitioner_lessons,
    practitioner_router,
    reminders,
    safety_reveal,
    settings,
    typed_answers,
    web_menu,
    welcome,
)
from bot.goals import delivery as goal_delivery
from bot.i18n import N_, Catalogs
from bot.lessons import callbacks as lesson_callbacks
from bot.lessons import delivery as lesson_delivery
from bot.lessons import reviews as lesson_reviews
from bot.measures import delivery as measure_delivery
from bot.measures.catalog import check_measures
from bot.measures.model import Measure
from bot.observability import metrics
from bot.observability.server import MetricsServer, Probes
from bot.observability.updates import TimedUpdateProcessor
from bot.privacy.retention import erase_expired
from bot.review import alerts as review_alerts
from bot.review import digest as review_digest
from bot.review.alert_reasons import AlertContext
from bot.safety import alerts as safety_alerts
from bot.safety.content import load_matcher, load_resources
from bot.services import Services
from bot.settings import SUPPORTED_LOCALES, Settings, SettingsError, require_token

logger = logging.getLogger(__name__)

BotApplication = Application[Any, BotContext, Any, Any, Any, Any]

# The command menu, per language (setMyCommands). Descriptions are translated at start.
COMMAND_MENU: tuple[tuple[str, str], ...] = (
    ("start", N_("Begin")),
    ("help", N_("What I am, and where to find help")),
)


SENDER_KEY = "delivery_sender"
WEB_KEY = "web_server"
METRICS_KEY = "metrics_server"
TICK_TIMER_KEY = "delivery_tick_timer"
SHARED_RATE_KEY = "shared_send_rate"
TICK_JOB_NAME = "delivery.tick"
LESSON_JOB_NAME = "lessons.plan"
MEASURE_JOB_NAME = "measures.plan"
CHECKIN_JOB_NAME = "checkins.sweep"
RETENTION_JOB_NAME = "privacy.retention"


def build_renderers(
    content: ContentLibrary,
    settings: Settings,
    measures_by_id: dict[str, Measure] | None = None,
) -> Renderers:
    """What each kind of outbox message says (rendered at send time, in the user's language)."""
    renderers = Renderers()
    renderers.register(
        measure_delivery.KIND,
        measure_delivery.renderer(measures_by_id or {}),
        prefetch=measure_delivery.prefetch(measures_by_id or {}),
        on_sent_many=measure_delivery.on_sent,
    )
    renderers.register(
        review_digest.KIND,
        review_digest.renderer(
            content,
            settings.default_timezone,
            measures_by_id,
            settings.decision_rules(),
            web_app_url=settings.web_app_url,
        ),
        on_sent=review_digest.on_sent,
    )
    # Alerts carry the client's traffic light and its reasons (the practice's rules), and a
    # button to the client's page in the web view when it is set up.
    alert_context = AlertContext(
        settings.default_timezone, measures_by_id or {}, settings.decision_rules()
    )
    renderers.register(
        review_alerts.KIND, review_alerts.renderer(alert_context, settings.web_app_url)
    )
    renderers.register(
        lesson_delivery.KIND, lesson_delivery.renderer(content), prefetch=lesson_delivery.prefetch
    )
    renderers.register(lesson_delivery.HELD_KIND, lesson_delivery.render_held)
    renderers.register(lesson_reviews.KIND, lesson_reviews.renderer(content))
    renderers.register(
        checkin_delivery.KIND,
        checkin_delivery.render,
        prefetch=checkin_delivery.prefetch,
        on_sent_many=checkin_delivery.on_sent(timedelta(hours=settings.checkin_window_hours)),
    )
    renderers.register(checkin_delivery.NUDGE_KIND, checkin_delivery.render_nudge)
    renderers.register(notices.KIND, notices.render)
    renderers.register(
        safety_alerts.KIND, safety_alerts.renderer(alert_context, settings.web_app_url)
    )
    renderers.register(goal_delivery.KIND, goal_delivery.render)
    return renderers


def build_services(settings: Settings) -> Services:
    crypto.configure(crypto.cipher_from_settings(settings))
    content = load_content_library(settings)
    measures_by_id = load_measures(settings)
    # As many pooled connections as updates handled at once, and a few for the sender and
    # the jobs: beyond the pool's size every connection is opened and closed again per
    # use (a new asyncpg connection cost as much CPU as a dozen answered presses).
    database = create_engine(settings.database_url, pool_size=settings.concurrent_updates + 4)
    return Services(
        settings=settings,
        engine=database,
        sessions=create_session_factory(database),
        catalogs=Catalogs.load(settings.locales_dir, SUPPORTED_LOCALES, settings.default_locale),
        content=content,
        crisis=load_matcher(SUPPORTED_LOCALES),
        crisis_resources=load_resources(SUPPORTED_LOCALES),
        renderers=build_renderers(content, settings, measures_by_id),
        measures=measures_by_id,
        flood=FloodGuard(settings.flood_burst, settings.flood_per_minute),
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
        paid_broadcast=settings.paid_broadcast,
    )


def load_content_library(settings: Settings) -> ContentLibrary:
    """Lessons and programs. A bad file is logged and left out (``python -m bot content
    check`` fails on it in CI); a default program that does not exist stops the start."""
    library, problems = load_content(settings.content_dir, SUPPORTED_LOCALES, "en")
    for problem in problems:
        logger.warning("event=content.problem path=%s", problem.path)
    if library.program(settings.default_program) is None:
        raise SettingsError(
            f"Invalid setting DEFAULT_PROGRAM={settings.default_program!r}: no valid program "
            f"file programs/{settings.default_program}.yaml in {settings.content_dir}"
        )
    return library


def load_measures(settings: Settings) -> dict[str, Measure]:
    """The questionnaires. A bad file is logged and left out, like a bad lesson."""
    found, problems = check_measures(settings.content_dir / "measures")
    for problem in problems:
        logger.warning("event=content.problem path=measures/%s", problem.path.name)
    return found


def build_application(settings: Settings) -> BotApplication:
    """The bot, ready to be started by ``run_polling``, ``run_webhook`` or :func:`running`."""
    services = build_services(settings)
    api_url = settings.telegram_api_url
    limiter = TelegramRateLimiter(
        overall_per_second=settings.rate_limit_per_second,
        per_chat_per_second=settings.per_chat_rate_per_second,
        max_retries=3,
    )
    pool_size = settings.concurrent_updates + 4
    application = (
        ApplicationBuilder()
        .token(require_token(settings))
        .base_url(f"{api_url}/bot")
        .base_file_url(f"{api_url}/file/bot")
        .context_types(ContextTypes(context=BotContext))
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=UTC))
        .concurrent_updates(
            TimedUpdateProcessor(settings.concurrent_updates)
            if settings.metrics_port
            else settings.concurrent_updates
        )
        .request(telegram_http.request(settings.telegram_http_client, pool_size=pool_size))
        .get_updates_request(telegram_http.request(settings.telegram_http_client, pool_size=1))
        .rate_limiter(limiter)
        .post_init(on_startup)
        .post_stop(on_stop)
        .post_shutdown(on_shutdown)
        .build()
    )
    application.bot_data[SERVICES_KEY] = services
    sender = Sender(
        application.bot,
        services.sessions,
        services.renderers,
        services.catalogs,
        sender_config(settings),
    )
    application.bot_data[SENDER_KEY] = sender
    if services.engine.dialect.name == "postgresql":  # several instances may share it
        application.bot_data[SHARED_RATE_KEY] = SharedRate(
            services.sessions,
            limiter,
            per_second=settings.rate_limit_per_second,
            instance=sender.instance,
        )
    outbox.wake_on_commit(services.sessions, sender.wake)
    application.bot_data[TICK_TIMER_KEY] = metrics.TickTimer(settings.scheduler_tick_seconds)
    if settings.metrics_port:
        application.bot_data[METRICS_KEY] = MetricsServer(
            settings.metrics_host, settings.metrics_port, operator_probes(application)
        )
    register_handlers(application)
    return application


def operator_probes(application: BotApplication) -> Probes:
    """What /metrics refreshes (one grouped outbox query, the pool) and /readyz checks."""
    from bot.db import migrate

    services: Services = application.bot_data[SERVICES_KEY]

    async def refresh() -> None:
        metrics.record_pool(services.engine)
        await metrics.record_outbox(services.sessions, now=utcnow())

    async def ready() -> str | None:
        state = await migrate.schema_state(services.engine)
        if not state.up_to_date:
            return "database schema is not at head"
        updater = application.updater
        if updater is None or not updater.running:
            return "not receiving updates (polling or webhook not running)"
        return None

    return Probes(refresh=refresh, ready=ready)


def register_handlers(application: BotApplication) -> None:
    """Every handler, in the order PTB tries them.

    Group -2 runs first for every update (who is this, which language); group -1
    gives anything typed to an open question (onboarding, a setting) and stops
    there when there is one; group 0 is everything else.
    """
    application.add_handler(TypeHandler(Update, middleware.identify_user), group=-2)
    application.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE
            & filters.UpdateType.MESSAGE
            & ~filters.StatusUpdate.ALL
            & (~filters.COMMAND | filters.Regex(r"^/start\s*$")),
            onboarding.open_question,
        ),
        group=-1,
    )

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
    application.add_handler(
        CommandHandler("start", invite_link.start_with_payload, filters=private, has_args=True)
    )
    application.add_handler(CommandHandler("start", welcome.start, filters=private))
    application.add_handler(CommandHandler("help", welcome.help_command, filters=private))
    application.add_handler(CommandHandler("learn", lessons.learn, filters=private))
    application.add_handler(CommandHandler("checkin", checkins.checkin_command, filters=private))
    application.add_handler(CommandHandler("progress", checkins.progress, filters=private))
    application.add_handler(CallbackQueryHandler(checkins.on_button, pattern=checkins.PATTERN))
    application.add_handler(CallbackQueryHandler(checkins.on_back, pattern=checkins.BACK_PATTERN))
    application.add_handler(
        CallbackQueryHandler(lessons.on_button, pattern=lesson_callbacks.PATTERN)
    )

    # Practitioners.
    # The practitioner commands (those naming a client, /clients, /digest): each declared once,
    # one dispatch for role, parsing, access policy, transaction and access log.
    practitioner_router.register(application, private)
    # Everyone enrolled.
    application.add_handler(CommandHandler("settings", settings.show, filters=private))
    # Clients.
    application.add_handler(CommandHandler("pause", pause.pause, filters=private))
    application.add_handler(CommandHandler("resume", pause.resume, filters=private))
    application.add_handler(CommandHandler("stop", pause.stop, filters=private))
    application.add_handler(CommandHandler("mydata", data_rights.my_data, filters=private))
    application.add_handler(CommandHandler("delete", data_rights.delete, filters=private))

    # Buttons, by the prefix of their callback data.
    buttons = (
        (r"^ob:(agree|later):", onboarding.consent_answer),
        (r"^st:open:", settings.open_question),
        (r"^(ob|st):", onboarding.answer),
        (r"^ct:c:", care_team.show_team),
        (r"^ct:a:", care_team.pick_colleague),
        (r"^ct:p:", care_team.propose),
        (r"^ct:l:", care_team.make_link),
        (r"^ct:t[yn]:", care_team.answer_link),
        (r"^ct:[yn]:", care_team.decide),
        (r"^ct:rm:", care_team.remove),
        (practitioner_lessons.CALLBACK_PATTERN, practitioner_lessons.assign_button),
        (measures.CALLBACK_PATTERN, measures.on_button),
        (r"^pz:", pause.pause_button),
        (r"^stop:", pause.stop_button),
        (r"^del:", data_rights.delete_button),
        (goals.PATTERN, goals.on_button),
        (safety_reveal.PATTERN, safety_reveal.show_message),
        (lesson_more.MORE_PATTERN, lesson_more.more_button),
        (lesson_more.REVIEW_PATTERN, lesson_more.review_button),
    )
    for pattern, callback in buttons:
        application.add_handler(CallbackQueryHandler(callback, pattern=pattern))

    # Nothing else claimed it: a kind answer for each kind of input.
    application.add_handler(MessageHandler(private & filters.COMMAND, fallback.unknown_command))
    # Free text: offered to each conversation that may be waiting for it, in this
    # order; else the general reply. Every path passes the crisis check.
    # The goal conversation comes first: the client is in it, one question at a time;
    # its taker yields to a lesson reflection asked after its own last question. A
    # program's question follows a lesson's reflection; a check-in note is taken only
    # while that check-in's note question is open.
    text_takers = (
        goals.take_answer,
        lessons.take_reflection,
        lessons.take_program_answer,
        checkins.take_note,
        # Last: a question with buttons (a check-in rating, a questionnaire item, /delete's
        # "delete everything?") takes a typed answer, or offers itself again. Its own crisis
        # check comes first, so a crisis message is never taken as an answer.
        typed_answers.take_answer,
    )
    application.add_handler(
        MessageHandler(private & filters.TEXT, free_text.dispatcher(text_takers))
    )
    # An edited message is checked too (a crisis typed into an edit must not go unseen),
    # but answered only when the check matches.
    application.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE
            & filters.UpdateType.EDITED_MESSAGE
            & filters.TEXT
            & ~filters.COMMAND,
            fallback.edited_text,
        )
    )
    application.add_handler(
        MessageHandler(private & ~filters.StatusUpdate.ALL, fallback.unsupported_media)
    )
    application.add_handler(
        CallbackQueryHandler(reminders.skip_today, pattern=reminders.SKIP_PATTERN)
    )
    application.add_handler(CallbackQueryHandler(fallback.stale_button))

    application.add_error_handler(errors.on_error)
    application.add_error_handler(count_error)


async def count_error(_update: object, context: BotContext) -> None:
    metrics.count_error(context.error)


async def on_startup(application: BotApplication) -> None:
    """Publish the command menu in every language and start delivering scheduled messages
    (PTB calls this once, after initialize)."""
    services: Services = application.bot_data[SERVICES_KEY]
    timezones.warm_up()
    catalogs = services.catalogs
    for locale in (None, *catalogs.locales):
        translator = catalogs.translator(locale)
        commands = [
            BotCommand(name, translator._(description)) for name, description in COMMAND_MENU
        ]
        await application.bot.set_my_commands(commands, language_code=locale)
    shared_rate: SharedRate | None = application.bot_data.get(SHARED_RATE_KEY)
    if shared_rate is not None:
        await shared_rate.join()
    start_delivery(application)
    await start_web(application)
    metrics_server: MetricsServer | None = application.bot_data.get(METRICS_KEY)
    if metrics_server is not None:
        await metrics_server.start()
    logger.info("event=bot.started username=%s", application.bot.username)


async def start_web(application: BotApplication) -> None:
    """The practitioners' web view (Mini App) in this process, when WEB_APP_URL or
    WEB_PORT is set, and their menu button that opens it."""
    services: Services = application.bot_data[SERVICES_KEY]
    settings = services.settings
    if not settings.web_enabled:
        return
    from bot.web.app import create_app
    from bot.web.server import WebServer, root_path

    server = WebServer(
        create_app(services, bot_token=require_token(settings)),
        host=settings.web_host,
        port=settings.web_listen_port,
        root=root_path(settings.web_app_url),
    )
    await server.start()
    application.bot_data[WEB_KEY] = server
    if settings.web_app_url:
        await web_menu.set_for_practitioners(application.bot, services, settings.web_app_url)


def start_delivery(application: BotApplication) -> None:
    """One tick job and one sender per instance, whatever the number of clients."""
    settings = application.bot_data[SERVICES_KEY].settings
    interval = settings.scheduler_tick_seconds
    jobs = application.job_queue
    if jobs is None:  # PTB's job-queue extra is a dependency; say so if it went missing
        raise RuntimeError("python-telegram-bot was installed without its job-queue extra")
    jobs.run_repeating(
        delivery_tick,
        interval=interval,
        first=interval,
        name=TICK_JOB_NAME,
        job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
    )
    # And one tick right at start: a repeating job added before the scheduler starts
    # would otherwise wait a whole interval (APScheduler skips a first run in the past).
    jobs.run_once(
        delivery_tick,
        when=0,
        name=f"{TICK_JOB_NAME}.first",
        job_kwargs={"misfire_grace_time": None},
    )
    jobs.run_repeating(
        lesson_planning,
        interval=settings.lesson_planning_seconds,
        first=0,
        name=LESSON_JOB_NAME,
        job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
    )
    jobs.run_repeating(
        measure_planning,
        interval=interval,
        first=0,
        name=MEASURE_JOB_NAME,
        job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
    )
    jobs.run_repeating(
        checkin_sweep,
        interval=settings.checkin_sweep_seconds,
        first=settings.checkin_sweep_seconds,
        name=CHECKIN_JOB_NAME,
        job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
    )
    if settings.retention_days > 0:
        jobs.run_repeating(
            retention,
            interval=timedelta(days=1),
            first=60,
            name=RETENTION_JOB_NAME,
            job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
        )
    application.bot_data[SENDER_KEY].start()


async def checkin_sweep(context: BotContext) -> None:
    """Close expired check-ins (missed, streaks updated) and queue their one nudge; and
    delete, in one statement, the invites (client, practitioner, team) long expired."""
    services = context.services
    settings = services.settings
    result = await checkin_delivery.sweep(
        services.sessions,
        now=utcnow(),
        nudge_after=timedelta(hours=settings.checkin_nudge_after_hours),
        grace_days=settings.streak_grace_days,
        default_timezone=settings.default_timezone,
    )
    if result.nudged:
        context.application.bot_data[SENDER_KEY].wake()
    await purge_invites(services, now=utcnow())


async def purge_invites(services: Services, *, now: datetime) -> None:
    """Expired invite rows go (with who opened them): one bulk DELETE, not a job per row."""
    try:
        async with services.sessions() as session, session.begin():
            purged = await invites.purge_expired(session, now)
    except Exception:  # never stop the sweep: check-ins must still close
        logger.exception("event=invites.purge_failed")
        return
    if purged:
        logger.info("event=invites.purged count=%s", purged)


async def retention(context: BotContext) -> None:
    """Erase the data of clients who stopped more than RETENTION_DAYS ago (daily)."""
    services = context.services
    erased = await erase_expired(
        services.sessions, now=utcnow(), days=services.settings.retention_days
    )
    logger.info("event=privacy.retention_done erased=%s", erased)


async def lesson_planning(context: BotContext) -> None:
    """Queue the program lessons due today (each at the client's own time)."""
    services = context.services
    settings = services.settings
    await lesson_delivery.plan_lessons(
        services.sessions,
        services.content,
        services.catalogs,
        now=utcnow(),
        default_timezone=settings.default_timezone,
        window=timedelta(minutes=settings.prompt_window_minutes),
    )
    await lesson_reviews.plan_reviews(
        services.sessions,
        services.content,
        now=utcnow(),
        default_timezone=settings.default_timezone,
        window=timedelta(minutes=settings.prompt_window_minutes),
    )
    context.application.bot_data[SENDER_KEY].wake()


async def measure_planning(context: BotContext) -> None:
    """Open the scheduled measures that are due (sent at each client's time), expire the
    ones left unanswered past their window."""
    services = context.services
    settings = services.settings
    opened, _expired = await measure_delivery.run(
        services.sessions,
        services.measures,
        now=utcnow(),
        default_timezone=settings.default_timezone,
        batch_size=settings.delivery_batch_size,
    )
    if opened:
        context.application.bot_data[SENDER_KEY].wake()


async def delivery_tick(context: BotContext) -> None:
    """Write due prompts to the outbox, expire stale ones, queue the practitioners'
    alerts (and digest schedules for new practitioners), and wake the sender."""
    timer: metrics.TickTimer = context.application.bot_data[TICK_TIMER_KEY]
    await timer.run(_tick(context))


async def _tick(context: BotContext) -> None:
    services = context.services
    await review_sweep(services, now=utcnow())
    await delivery_engine.tick(services.sessions, planning(services.settings))
    context.application.bot_data[SENDER_KEY].wake()


async def review_sweep(services: Services, *, now: datetime) -> None:
    """Alerts that cannot wait, and a weekly digest schedule for every practitioner."""
    settings = services.settings
    thresholds = review_alerts.Thresholds(
        drop_points=settings.alert_drop_points, missed_in_row=settings.alert_missed_in_a_row
    )
    try:
        async with services.sessions() as session, session.begin():
            await review_digest.ensure_schedules(
                session, now=now, default_timezone=settings.default_timezone
            )
            await review_alerts.sweep(session, now=now, thresholds=thresholds)
    except Exception:  # never stop the tick: prompts must still go out
        logger.exception("event=review.sweep_failed")


async def on_stop(application: BotApplication) -> None:
    """Let the sends in flight finish before the HTTP client closes; stop the web view."""
    await application.bot_data[SENDER_KEY].stop()
    shared_rate: SharedRate | None = application.bot_data.get(SHARED_RATE_KEY)
    if shared_rate is not None:
        await shared_rate.leave()
    web = application.bot_data.pop(WEB_KEY, None)
    if web is not None:
        await web.stop()
    metrics_server: MetricsServer | None = application.bot_data.get(METRICS_KEY)
    if metrics_server is not None:
        await metrics_server.stop()


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
        updater = application.updater
        if updater is None:
            raise RuntimeError("the application was built without an updater")
        await updater.start_polling(
            poll_interval=0, timeout=timeout, allowed_updates=Update.ALL_TYPES
        )
        yield application
    finally:
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        await on_stop(application)
        if application.running:
            await application.stop()
        await application.shutdown()
        await on_shutdown(application)
