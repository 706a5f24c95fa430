"""The operator's commands: ``python -m bot run``, ``python -m bot db upgrade`` …"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from bot import __version__, crypto
from bot.db import (
    migrate,
    models,  # noqa: F401  (every table, for key rotation)
)
from bot.db.base import Base
from bot.db.encrypted import rotate_all
from bot.db.session import create_engine, create_session_factory
from bot.logs import configure_logging
from bot.settings import (
    SUPPORTED_LOCALES,
    Environment,
    Settings,
    SettingsError,
    load_settings,
    require_token,
    settings_table,
)

logger = logging.getLogger("bot")

UPGRADE_COMMAND = "python -m bot db upgrade"


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 0
    if not getattr(args, "needs_settings", True):
        return int(args.handler(None, args) or 0)
    try:
        settings = load_settings()
        configure_logging(settings.log_level)
        if getattr(args, "needs_schema", False):
            # Every command that reads or writes the bot's tables: a missing or
            # un-migrated database gets the command to run, never a traceback.
            asyncio.run(_refuse_out_of_date_schema(settings.database_url))
        return int(args.handler(settings, args) or 0)
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except SchemaOutOfDate as error:
        print(f"error: {error}", file=sys.stderr)
        return 3
    except DatabaseUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 4


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Between: a Telegram companion for clients between sessions. "
        "Settings come from the environment or a .env file (see README).",
    )
    parser.add_argument("--version", action="version", version=f"between {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    run = commands.add_parser("run", help="run the bot (long polling, or --webhook)")
    run.add_argument(
        "--webhook",
        action="store_true",
        help="receive updates through a webhook (needs WEBHOOK_URL) instead of long polling",
    )
    run.add_argument(
        "--upgrade",
        action="store_true",
        help=f"bring the database schema up to date first (same as `{UPGRADE_COMMAND}`)",
    )
    run.set_defaults(handler=run_bot)

    db = commands.add_parser("db", help="database schema (Alembic migrations)")
    db_commands = db.add_subparsers(title="db commands", metavar="DB_COMMAND", required=True)
    upgrade = db_commands.add_parser("upgrade", help="migrate the schema to the latest revision")
    upgrade.add_argument("revision", nargs="?", default="head", help="target (default: head)")
    upgrade.set_defaults(handler=db_upgrade)
    current = db_commands.add_parser("current", help="print the schema's revision and the code's")
    current.set_defaults(handler=db_current)
    revision = db_commands.add_parser(
        "revision", help="(developers) write a new migration from the models' changes"
    )
    revision.add_argument("-m", "--message", required=True, help="what the migration does")
    revision.add_argument("--rev-id", help="revision id (default: the next number)")
    revision.set_defaults(handler=db_revision, needs_settings=False)

    keys = commands.add_parser("keys", help="encryption keys for free text at rest")
    key_commands = keys.add_subparsers(title="keys commands", metavar="KEYS_COMMAND", required=True)
    generate = key_commands.add_parser("generate", help="print a new key for ENCRYPTION_KEYS")
    generate.set_defaults(handler=keys_generate, needs_settings=False)
    rotate = key_commands.add_parser(
        "rotate", help="re-encrypt all stored free text with the first key of ENCRYPTION_KEYS"
    )
    rotate.set_defaults(handler=keys_rotate, needs_schema=True)

    demo = commands.add_parser(
        "demo",
        help="two simulated weeks against a built-in fake Telegram (no token, no network)",
    )
    demo.add_argument(
        "--out", type=Path, default=Path("between-demo"), help="where to write the files it makes"
    )
    demo.add_argument("--days", type=demo_days, default=14, help="simulated days, 1–14")
    demo.add_argument(
        "--chat", action="store_true", help="play the client yourself, in this terminal"
    )
    demo.add_argument(
        "--web",
        action="store_true",
        help="then serve the practitioner's web view locally and print an address that opens it",
    )
    demo.add_argument("--port", type=int, default=8080, help="the web view's port (with --web)")
    demo.set_defaults(handler=run_demo, needs_settings=False)

    web = commands.add_parser(
        "web",
        help="serve the practitioners' web view (Mini App) alone, beside a running bot "
        "(same database; WEB_APP_URL, WEB_HOST, WEB_PORT)",
    )
    web.set_defaults(handler=run_web, needs_schema=True)

    content = commands.add_parser("content", help="lessons, programs and measures in content/")
    content_commands = content.add_subparsers(
        title="content commands", metavar="CONTENT_COMMAND", required=True
    )
    check = content_commands.add_parser(
        "check", help="validate every lesson and program; exit 1 on any problem"
    )
    check.add_argument(
        "--content-dir", type=Path, help="folder to check (default: the CONTENT_DIR setting)"
    )
    check.set_defaults(handler=content_check)
    practitioner = commands.add_parser(
        "practitioner", help="practitioners (invite one, list them, link one to a practice)"
    )
    practitioner_commands = practitioner.add_subparsers(
        title="practitioner commands", metavar="PRACTITIONER_COMMAND", required=True
    )
    invite = practitioner_commands.add_parser(
        "invite", help="print a one-time link that registers a practitioner"
    )
    invite.add_argument("--name", help="the name clients will see (default: their Telegram name)")
    invite.add_argument("--practice", help="the practice they join (default: the default practice)")
    invite.set_defaults(handler=invite_practitioner, needs_schema=True)
    listing = practitioner_commands.add_parser(
        "list", help="every practitioner with their id and practice"
    )
    listing.add_argument("--practice", help="only this practice's practitioners")
    listing.set_defaults(handler=list_practitioners, needs_schema=True)
    link = practitioner_commands.add_parser(
        "link", help="move a registered practitioner into a practice"
    )
    link.add_argument("id", type=int, help="the practitioner's id (`practitioner list`)")
    link.add_argument("--practice", required=True, help="the practice's name")
    link.set_defaults(handler=link_practitioner, needs_schema=True)

    practice = commands.add_parser(
        "practice", help="practices: who sees whose names when choosing colleagues"
    )
    practice_commands = practice.add_subparsers(
        title="practice commands", metavar="PRACTICE_COMMAND", required=True
    )
    practice_add = practice_commands.add_parser("add", help="create a practice")
    practice_add.add_argument("name", help="its name (unique, up to 64 characters)")
    practice_add.set_defaults(handler=add_practice, needs_schema=True)
    practice_list = practice_commands.add_parser(
        "list", help="every practice, the default first, with how many practitioners"
    )
    practice_list.set_defaults(handler=list_practices, needs_schema=True)
    status = commands.add_parser(
        "status", help="the outbox: pending, sent, failed and expired messages by kind"
    )
    status.set_defaults(handler=print_status, needs_schema=True)

    config = commands.add_parser("config", help="print the settings as a Markdown table")
    config.set_defaults(handler=print_config_table, needs_settings=False)
    return parser


class SchemaOutOfDate(Exception):
    """The database is not at the schema this code expects."""


class DatabaseUnavailable(Exception):
    """The database cannot be opened: wrong URL, server down, database not created."""


def _shown_url(database_url: str) -> str:
    return make_url(database_url).render_as_string(hide_password=True)


@contextmanager
def _database_errors(database_url: str) -> Iterator[None]:
    """A failed connection becomes one line saying which database and what to check."""
    try:
        yield
    except (DBAPIError, OSError) as error:
        cause = error.orig if isinstance(error, DBAPIError) else error
        raise DatabaseUnavailable(
            f"cannot use the database {_shown_url(database_url)} ({cause}). "
            "Check DATABASE_URL and that the database server is running and the database "
            f"exists, then run `{UPGRADE_COMMAND}`."
        ) from error


def _missing_sqlite_file(database_url: str) -> Path | None:
    """The SQLite file named by the URL when it does not exist (opening it would create it)."""
    url = make_url(database_url)
    if not url.drivername.startswith("sqlite") or url.database in (None, "", ":memory:"):
        return None
    path = Path(url.database)
    return None if path.exists() else path


def keys_generate(_settings: None, _args: argparse.Namespace) -> int:
    print(crypto.generate_key())
    return 0


def keys_rotate(settings: Settings, _args: argparse.Namespace) -> int:
    """Re-encrypt with the newest key; afterwards older keys can be removed from the setting."""
    crypto.configure(crypto.cipher_from_settings(settings))

    async def _rotate() -> int:
        engine = create_engine(settings.database_url)
        try:
            async with create_session_factory(engine)() as session, session.begin():
                return await rotate_all(session, Base.metadata)
        finally:
            await engine.dispose()

    rotated = asyncio.run(_rotate())
    print(f"Re-encrypted {rotated} stored texts with the first key of ENCRYPTION_KEYS.")
    return 0


def demo_days(text: str) -> int:
    """``--days``: a whole number from 1 to 14, else argparse's usage error (never clamped)."""
    from bot.demo import MAX_DAYS  # imports the fake Bot API, which `run` never needs

    try:
        days = int(text)
    except ValueError:
        days = 0
    if not 1 <= days <= MAX_DAYS:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number of days the demo can play: choose 1 to {MAX_DAYS}"
        )
    return days


def run_demo(_settings: None, args: argparse.Namespace) -> int:
    from bot import demo  # imports the fake Bot API, which `run` never needs

    return demo.run(
        folder=args.out, days=args.days, chat=args.chat, web=args.web, web_port=args.port
    )


def run_web(settings: Settings, _args: argparse.Namespace) -> int:
    """The web view in its own process (the bot runs elsewhere on the same database)."""
    from bot.app import build_services
    from bot.web.app import create_app
    from bot.web.server import WebServer, root_path

    token = require_token(settings)
    crypto.cipher_from_settings(settings)
    asyncio.run(_refuse_out_of_date_schema(settings.database_url))

    async def _serve() -> None:
        services = build_services(settings)
        server = WebServer(
            create_app(services, bot_token=token),
            host=settings.web_host,
            port=settings.web_listen_port,
            root=root_path(settings.web_app_url),
        )
        await server.start()
        print(f"Web view on http://{settings.web_host}:{server.port} (Ctrl-C stops it).")
        try:
            await asyncio.Event().wait()
        finally:
            await server.stop()
            await services.engine.dispose()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve())
    return 0


def print_status(settings: Settings, _args: argparse.Namespace) -> int:
    from bot.delivery.status import outbox_report

    print(asyncio.run(outbox_report(settings.database_url)))
    return 0


def print_config_table(_settings: None, _args: argparse.Namespace) -> int:
    print(settings_table())
    return 0


def run_bot(settings: Settings, args: argparse.Namespace) -> int:
    # Everything that can refuse the start is checked before the database is touched.
    require_token(settings)
    crypto.cipher_from_settings(settings)
    if args.webhook:
        _check_webhook_settings(settings)
    if args.upgrade:
        asyncio.run(_upgrade(settings.database_url, "head"))
    else:
        asyncio.run(_refuse_out_of_date_schema(settings.database_url))
    # The bot itself is imported only to run it: the operator commands (and a refused
    # start) answer without loading python-telegram-bot and every flow.
    from telegram import Update

    from bot.app import build_application

    application = build_application(settings)
    if args.webhook:
        assert settings.webhook_url is not None  # checked above
        secret = settings.webhook_secret_token
        application.run_webhook(
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            url_path=_url_path(settings.webhook_url),
            webhook_url=settings.webhook_url,
            secret_token=secret.get_secret_value() if secret else None,
            allowed_updates=Update.ALL_TYPES,
            drop_pending_updates=False,
        )
    else:
        application.run_polling(
            timeout=settings.polling_timeout,
            allowed_updates=Update.ALL_TYPES,
            drop_pending_updates=False,
        )
    return 0


def _check_webhook_settings(settings: Settings) -> None:
    if not settings.webhook_url:
        raise SettingsError("WEBHOOK_URL is not set: `run --webhook` needs the public HTTPS URL")
    if settings.webhook_secret_token is None and settings.environment is Environment.PRODUCTION:
        raise SettingsError(
            "WEBHOOK_SECRET_TOKEN is not set: in production a webhook needs a secret, "
            "so that only Telegram can post updates to it"
        )


def _url_path(webhook_url: str) -> str:
    _scheme, _sep, rest = webhook_url.partition("://")
    _host, _slash, path = rest.partition("/")
    return path


async def _refuse_out_of_date_schema(database_url: str) -> None:
    _refuse_missing_folder(database_url)
    missing = _missing_sqlite_file(database_url)
    if missing is not None:
        raise SchemaOutOfDate(
            f"there is no database at {missing} yet. Run `{UPGRADE_COMMAND}` to create it, "
            "or start with `python -m bot run --upgrade`."
        )
    state = await _schema_state(database_url)
    if state.up_to_date:
        return
    found = ", ".join(sorted(state.current)) or "an empty database"
    raise SchemaOutOfDate(
        f"the database schema is out of date (found {found}, this version needs "
        f"{', '.join(sorted(state.head))}). Run `{UPGRADE_COMMAND}` first, "
        "or start with `python -m bot run --upgrade`."
    )


def _refuse_missing_folder(database_url: str) -> None:
    """A SQLite file in a folder that does not exist cannot be opened: say so before trying
    (a failed open leaves aiosqlite's thread answering a closed event loop, on stderr)."""
    missing = _missing_sqlite_file(database_url)
    if missing is not None and not missing.parent.is_dir():
        raise DatabaseUnavailable(
            f"cannot use the database {_shown_url(database_url)}: the folder {missing.parent} "
            "does not exist. Check DATABASE_URL or create the folder, then run "
            f"`{UPGRADE_COMMAND}`."
        )


async def _schema_state(database_url: str) -> migrate.SchemaState:
    _refuse_missing_folder(database_url)
    engine = create_engine(database_url)
    try:
        with _database_errors(database_url):
            return await migrate.schema_state(engine)
    finally:
        await engine.dispose()


async def _upgrade(database_url: str, revision: str) -> None:
    _refuse_missing_folder(database_url)
    engine = create_engine(database_url)
    try:
        with _database_errors(database_url):
            await migrate.upgrade(engine, revision)
            state = await migrate.schema_state(engine)
    finally:
        await engine.dispose()
    logger.info("event=db.upgraded revision=%s", ",".join(sorted(state.current)))


def db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    asyncio.run(_upgrade(settings.database_url, args.revision))
    print(f"Database schema is at {args.revision}.")
    return 0


def content_check(settings: Settings, args: argparse.Namespace) -> int:
    """Print a report on every lesson and program; non-zero when anything needs fixing."""
    from bot.content.check import check_content
    from bot.i18n import Catalogs
    from bot.lessons.messages import try_this_heading

    catalogs = Catalogs.load(settings.locales_dir, SUPPORTED_LOCALES, settings.default_locale)
    headings = {
        locale: try_this_heading(catalogs.translator(locale)) for locale in catalogs.locales
    }
    report = check_content(
        args.content_dir or settings.content_dir,
        SUPPORTED_LOCALES,
        headings,
        default_program=None if args.content_dir else settings.default_program,
    )
    print(report.render())
    return 0 if report.ok else 1


def db_revision(_settings: None, args: argparse.Namespace) -> int:
    """Autogenerate against a scratch SQLite database brought to head, then review by hand."""
    path = asyncio.run(migrate.autogenerate(args.message, args.rev_id))
    print(f"Wrote {path}: review it, then run the migration tests on SQLite and PostgreSQL.")
    return 0


def db_current(settings: Settings, _args: argparse.Namespace) -> int:
    state = asyncio.run(_schema_state(settings.database_url))
    print(f"database: {', '.join(sorted(state.current)) or '(empty)'}")
    print(f"code:     {', '.join(sorted(state.head))}")
    return 0 if state.up_to_date else 1


def invite_practitioner(settings: Settings, args: argparse.Namespace) -> int:
    """Make a practitioner invite and print its deep link and bare payload."""
    from bot.enrollment.cli import create_practitioner_invite
    from bot.enrollment.practices import PracticeError

    username = asyncio.run(_bot_username(settings))
    try:
        link, payload, expires_at = asyncio.run(
            create_practitioner_invite(settings, username, args.name, args.practice)
        )
    except PracticeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(link)
    print(f"payload: {payload}")
    print(f"single use, expires {expires_at:%Y-%m-%d %H:%M} UTC")
    return 0


def add_practice(settings: Settings, args: argparse.Namespace) -> int:
    """Create a practice; its practitioners see only each other's names."""
    from bot.enrollment import cli
    from bot.enrollment.practices import PracticeError

    try:
        made = asyncio.run(cli.add_practice(settings, args.name))
    except PracticeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"Practice {made.id} {made.name!r} created.")
    print(f"Invite into it: python -m bot practitioner invite --practice {made.name!r}")
    return 0


def list_practices(settings: Settings, _args: argparse.Namespace) -> int:
    from bot.enrollment import cli

    print("id\tpractitioners\tname")
    for row in asyncio.run(cli.list_practices(settings)):
        default = " (default)" if row.is_default else ""
        print(f"{row.id}\t{row.practitioners}\t{row.name}{default}")
    return 0


def list_practitioners(settings: Settings, args: argparse.Namespace) -> int:
    from bot.enrollment import cli
    from bot.enrollment.practices import PracticeError

    try:
        rows = asyncio.run(cli.list_practitioners(settings, args.practice))
    except PracticeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print("id\ttelegram id\tpractice\tname")
    for row in rows:
        print(f"{row.user_id}\t{row.telegram_id}\t{row.practice}\t{row.name}")
    return 0


def link_practitioner(settings: Settings, args: argparse.Namespace) -> int:
    """Move a practitioner into a practice (their current care teams stay as they are)."""
    from bot.enrollment import cli
    from bot.enrollment.practices import PracticeError

    try:
        name = asyncio.run(cli.link_practitioner(settings, args.id, args.practice))
    except PracticeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"{name} (id {args.id}) now belongs to {args.practice!r}.")
    return 0


async def _bot_username(settings: Settings) -> str:
    """BOT_USERNAME if set, else the Bot API's getMe: the link fits whichever bot the token is."""
    if settings.bot_username:
        return settings.bot_username.removeprefix("@")
    from telegram import Bot

    api = settings.telegram_api_url
    async with Bot(
        require_token(settings), base_url=f"{api}/bot", base_file_url=f"{api}/file/bot"
    ) as bot:
        return bot.username
