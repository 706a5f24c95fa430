"""Operator settings, read from the environment and an optional `.env` file.

The names (``BOT_TOKEN``, ``DATABASE_URL``, ``TELEGRAM_API_URL`` …) are the
operator's interface: add new ones, never rename.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.domain import decision

PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: Languages with a complete catalog and complete content. Adding one is
#: described in the README ("Adding a language").
SUPPORTED_LOCALES: tuple[str, ...] = ("en", "de", "es")

_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+psycopg2": "postgresql+asyncpg",
}
_ALLOWED_SCHEMES = ("sqlite+aiosqlite", "postgresql+asyncpg")
_SECRET_SETTINGS = frozenset(
    {"BOT_TOKEN", "WEBHOOK_SECRET_TOKEN", "DATABASE_URL", "ENCRYPTION_KEYS"}
)


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """Everything the bot reads from its environment, validated at start."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    bot_token: Annotated[
        SecretStr | None,
        Field(description="Token from @BotFather. Required by `run`."),
    ] = None
    database_url: Annotated[
        str,
        Field(
            description="SQLAlchemy URL. `sqlite:///path.db` for one practice, "
            "`postgresql://user@host/db` for many or for several instances."
        ),
    ] = "sqlite+aiosqlite:///./between.db"
    telegram_api_url: Annotated[
        str,
        Field(
            description="Bot API server. The bot uses `<url>/bot` and `<url>/file/bot`; "
            "point it at a self-hosted Bot API server or a test fake."
        ),
    ] = "https://api.telegram.org"
    default_locale: Annotated[
        str,
        Field(description="Language used when a user's own is unknown or unsupported."),
    ] = "en"
    default_timezone: Annotated[
        str, Field(description="IANA time zone used until a user chooses theirs.")
    ] = "UTC"
    environment: Annotated[
        Environment,
        Field(
            description="`development` or `production`; production refuses unsafe "
            "configurations at start (no ENCRYPTION_KEYS, a webhook without "
            "WEBHOOK_SECRET_TOKEN)."
        ),
    ] = Environment.DEVELOPMENT
    encryption_keys: Annotated[
        SecretStr | None,
        Field(
            description="Fernet keys for free text at rest, comma-separated, newest first "
            "(`python -m bot keys generate`). Required in production; a development "
            "install keeps one in ./between.key."
        ),
    ] = None
    log_level: Annotated[
        str, Field(description="Python logging level: DEBUG, INFO, WARNING or ERROR.")
    ] = "INFO"
    concurrent_updates: Annotated[
        int,
        Field(
            ge=1,
            le=256,
            description="Updates handled at once. 8–32 is the useful range; the HTTP "
            "and database connection pools are sized to match (this many + 4 each).",
        ),
    ] = 16
    telegram_http_client: Annotated[
        Literal["aiohttp", "httpx"],
        Field(
            description="HTTP client for Bot API calls: aiohttp (the default: about a fifth "
            "of the CPU per call; reads HTTPS_PROXY) or httpx (python-telegram-bot's own "
            "default; also for ALL_PROXY or a SOCKS proxy)."
        ),
    ] = "aiohttp"
    rate_limit_per_second: Annotated[
        float,
        Field(
            gt=0,
            le=1000,
            description="Most messages per second sent to Telegram overall: the instances "
            "on one PostgreSQL database share it (up to 1000 with PAID_BROADCAST).",
        ),
    ] = 30.0
    paid_broadcast: Annotated[
        bool,
        Field(
            description="Send outbox messages with Telegram's allow_paid_broadcast (paid in "
            "Stars beyond 30/s), so that RATE_LIMIT_PER_SECOND may be set up to 1000.",
        ),
    ] = False
    per_chat_rate_per_second: Annotated[
        float,
        Field(
            gt=0,
            le=30,
            description="Most scheduled messages per second to one chat (Telegram: about 1).",
        ),
    ] = 1.0
    scheduler_tick_seconds: Annotated[
        float,
        Field(
            gt=0,
            le=3600,
            description="How often the scheduler looks for due prompts and writes them "
            "to the outbox.",
        ),
    ] = 30.0
    delivery_batch_size: Annotated[
        int,
        Field(
            ge=1,
            le=10000,
            description="Schedules handled per database transaction by a tick.",
        ),
    ] = 500
    delivery_concurrency: Annotated[
        int,
        Field(
            ge=1,
            le=256,
            description="Outbox messages being sent at once by one instance; at most the HTTP "
            "connection pool (CONCURRENT_UPDATES + 4), beyond which sending gets slower.",
        ),
    ] = 16
    delivery_poll_seconds: Annotated[
        float,
        Field(
            gt=0,
            le=60,
            description="How often an idle sender looks for outbox messages that became due "
            "(a message queued by the bot itself wakes it at once).",
        ),
    ] = 1.0
    delivery_send_timeout: Annotated[
        float,
        Field(gt=0, le=120, description="Seconds to wait for Telegram to answer one send."),
    ] = 10.0
    delivery_max_attempts: Annotated[
        int,
        Field(
            ge=1,
            le=50,
            description="Tries per message on 5xx, timeouts and network errors before it is "
            "marked failed.",
        ),
    ] = 5
    delivery_retry_base_seconds: Annotated[
        float,
        Field(
            gt=0,
            le=3600,
            description="First retry back-off; it doubles per attempt, with random jitter.",
        ),
    ] = 2.0
    delivery_retry_max_seconds: Annotated[
        float, Field(gt=0, le=86400, description="Longest retry back-off.")
    ] = 300.0
    delivery_lease_seconds: Annotated[
        float,
        Field(
            gt=0,
            le=3600,
            description="How long a claimed message belongs to one instance; after a crash it "
            "is sent by another once this passes.",
        ),
    ] = 120.0
    lesson_planning_seconds: Annotated[
        int,
        Field(
            ge=10,
            le=86400,
            description="How often program lessons due today are queued (each is sent at "
            "the client's check-in time, outside quiet hours).",
        ),
    ] = 300
    prompt_window_minutes: Annotated[
        int,
        Field(
            ge=1,
            le=1440,
            description="How long after its time a scheduled prompt may still be sent; after "
            "that it is marked expired, never sent late.",
        ),
    ] = 180
    checkin_window_hours: Annotated[
        int,
        Field(
            ge=1,
            le=24,
            description="How long a check-in can be answered after it was sent (or started "
            "with /checkin); after that it counts as missed and its buttons say so.",
        ),
    ] = 12
    checkin_nudge_after_hours: Annotated[
        int,
        Field(
            ge=1,
            le=23,
            description="One gentle nudge this many hours after a check-in was sent, if "
            "nothing was answered (never in quiet hours; must be shorter than the window).",
        ),
    ] = 4
    checkin_sweep_seconds: Annotated[
        int,
        Field(
            ge=10,
            le=3600,
            description="How often expired check-ins are marked missed and nudges are queued.",
        ),
    ] = 300
    streak_grace_days: Annotated[
        int,
        Field(
            ge=0,
            le=3,
            description="Missed check-in days forgiven per 7 days before a streak breaks.",
        ),
    ] = 1
    alert_drop_points: Annotated[
        float,
        Field(
            gt=0,
            le=10,
            description="A goal rated this many points (or more) below the client's mean of "
            "the 14 days before alerts the lead practitioner at once.",
        ),
    ] = 3.0
    alert_missed_in_a_row: Annotated[
        int,
        Field(
            ge=2,
            le=30,
            description="This many scheduled check-ins missed in a row alert the lead "
            "practitioner at once.",
        ),
    ] = 3
    polling_timeout: Annotated[
        int, Field(ge=0, le=50, description="Long-polling timeout in seconds for getUpdates.")
    ] = 10
    webhook_url: Annotated[
        str | None,
        Field(description="Public HTTPS URL Telegram posts updates to (`run --webhook`)."),
    ] = None
    webhook_listen: Annotated[str, Field(description="Address the webhook server binds to.")] = (
        "0.0.0.0"
    )
    webhook_port: Annotated[
        int, Field(ge=1, le=65535, description="Port the webhook server listens on.")
    ] = 8443
    metrics_port: Annotated[
        int | None,
        Field(
            ge=1,
            le=65535,
            description="Serve Prometheus metrics at /metrics, and /healthz and /readyz, on "
            "this port (unset: no metrics server).",
        ),
    ] = None
    metrics_host: Annotated[
        str, Field(description="Address the metrics server binds to (METRICS_PORT).")
    ] = "127.0.0.1"
    webhook_secret_token: Annotated[
        SecretStr | None,
        Field(
            description="Secret Telegram sends with every webhook call (1–256 of A-Z a-z 0-9 _ -)."
        ),
    ] = None
    web_app_url: Annotated[
        str | None,
        Field(
            description="Public HTTPS address of the practitioners' web view (Mini App) that "
            "Telegram opens; setting it (or WEB_PORT) starts the web server with the bot."
        ),
    ] = None
    web_host: Annotated[
        str, Field(description="Address the web view's server binds to (behind a proxy).")
    ] = "127.0.0.1"
    web_port: Annotated[
        int | None,
        Field(
            ge=0,
            le=65535,
            description="Port of the web view's server (default 8080 when WEB_APP_URL is set; "
            "0: any free port).",
        ),
    ] = None
    web_auth_max_age: Annotated[
        int,
        Field(
            ge=60,
            le=86400,
            description="Seconds a Mini App's initData (and the session it opens) stays valid.",
        ),
    ] = 3600
    invite_valid_days: Annotated[
        int,
        Field(ge=1, le=90, description="Days an invite link works before it expires (single use)."),
    ] = 7
    max_active_goals: Annotated[
        int,
        Field(
            ge=1,
            le=10,
            description="Most active goals a client has at once; beyond that a new goal "
            "waits (paused) until one is achieved, paused or dropped.",
        ),
    ] = 3
    bot_username: Annotated[
        str | None,
        Field(
            description="The bot's @username for invite links; when unset, "
            "`practitioner invite` asks the Bot API (getMe)."
        ),
    ] = None
    locales_dir: Annotated[
        Path, Field(description="Folder with the gettext catalogs (`<lang>/LC_MESSAGES/`).")
    ] = PROJECT_ROOT / "locales"
    content_dir: Annotated[
        Path,
        Field(
            description="Folder with the lessons (`psychoeducation/<lang>/`) and the "
            "programs (`programs/`)."
        ),
    ] = PROJECT_ROOT / "content"
    retention_days: Annotated[
        int,
        Field(
            ge=0,
            le=3650,
            description="Days after a client ends the companion (/stop) before a daily job "
            "erases all their data, as /delete does. 0 keeps it until they /delete (your "
            "practice's record-keeping rules decide).",
        ),
    ] = 0
    flood_burst: Annotated[
        int,
        Field(
            ge=1,
            le=1000,
            description="Updates one user may send in a quick burst before being asked to "
            "slow down. Presses of a button that answers the bot's question are not counted, "
            "and nothing is dropped (see README, Safety limits, for how it was chosen).",
        ),
    ] = 40
    flood_per_minute: Annotated[
        float,
        Field(
            gt=0,
            le=6000,
            description="Sustained updates per minute one user may send without being asked "
            "to slow down (counted per instance, as FLOOD_BURST).",
        ),
    ] = 40.0
    default_program: Annotated[
        str,
        Field(
            description="Program new clients follow (a file `programs/<id>.yaml` in "
            "CONTENT_DIR); a practitioner can assign another."
        ),
    ] = "foundations"
    crisis_country: Annotated[
        str | None,
        Field(
            description="Installation-wide override: the country whose crisis lines every "
            "client is shown after a crisis message and in /help (ISO 3166 code such as DE, ES, "
            "US). Unset: each client's lines follow the country of the time zone they chose, "
            "then their language's defaults from `content/safety/resources.yaml`."
        ),
    ] = None

    decision_baseline_days: Annotated[
        int,
        Field(
            ge=1,
            le=28,
            description="Decision support: a goal's first this many answered days are its "
            "baseline (the first half of them while fewer than twice as many exist). See "
            "docs/decision-support.md.",
        ),
    ] = decision.BASELINE_DAYS
    decision_reliable_z: Annotated[
        float,
        Field(
            gt=0,
            le=5,
            description="A goal's latest 7-day mean is a reliable change from its baseline "
            "when the autocorrelation-adjusted z exceeds this (1.96: 95 %, two-sided).",
        ),
    ] = decision.RELIABLE_Z
    decision_min_sd: Annotated[
        float,
        Field(
            gt=0,
            le=5,
            description="Floor (in points) of the daily ratings' standard deviation in the "
            "reliable-change test, so that a few identical ratings are not called reliable.",
        ),
    ] = decision.MIN_SD
    decision_min_phase_ratings: Annotated[
        int,
        Field(
            ge=1,
            le=14,
            description="A goal's change is called reliable only with at least this many "
            "rated days in its baseline and in its latest 7 days (an intake rating aside).",
        ),
    ] = decision.MIN_PHASE_RATINGS
    decision_red_week: Annotated[
        int,
        Field(
            ge=1,
            le=52,
            description="From this week of care, a goal with no reliable improvement and a flat "
            "or falling slope turns the client red (yellow if another goal improves).",
        ),
    ] = decision.RED_WEEK
    decision_yellow_after_week: Annotated[
        int,
        Field(
            ge=0,
            le=52,
            description="After this week of care, a goal changed by less than "
            "DECISION_SMALL_CHANGE_SD of its baseline SD turns the client yellow.",
        ),
    ] = decision.YELLOW_AFTER_WEEK
    decision_flat_slope_per_week: Annotated[
        float,
        Field(
            ge=0,
            le=5,
            description="A goal's 21-day Theil–Sen slope up to this many points a week counts "
            "as flat.",
        ),
    ] = decision.FLAT_SLOPE_PER_WEEK
    decision_small_change_sd: Annotated[
        float,
        Field(
            gt=0,
            le=5,
            description="A change smaller than this fraction of the baseline's SD is "
            '"little change" (yellow after DECISION_YELLOW_AFTER_WEEK).',
        ),
    ] = decision.SMALL_CHANGE_SD
    decision_missed_in_a_row: Annotated[
        int,
        Field(
            ge=1,
            le=30,
            description="This many check-ins missed in a row turn the client yellow.",
        ),
    ] = decision.MISSED_IN_A_ROW
    decision_gas_red_t: Annotated[
        float,
        Field(
            ge=20,
            le=80,
            description="A GAS T-score at or below this (with enough goals scored) turns the "
            "client red.",
        ),
    ] = decision.GAS_RED_T
    decision_gas_step_down_t: Annotated[
        float,
        Field(
            ge=20,
            le=80,
            description="A GAS T-score at or above this, with every measure past its clinical "
            "cut-off, suggests considering stepping down care.",
        ),
    ] = decision.GAS_STEP_DOWN_T
    decision_gas_min_goals: Annotated[
        int,
        Field(
            ge=1,
            le=10,
            description="Scored goals needed before the GAS T-score is shown as a summary "
            "and counts for the traffic light (fewer: labelled as one goal's).",
        ),
    ] = decision.GAS_MIN_GOALS
    decision_gas_review_points: Annotated[
        float,
        Field(
            gt=0,
            le=10,
            description="A goal's weekly mean this many points away from its mean when its "
            "GAS level was recorded suggests reviewing the level.",
        ),
    ] = decision.GAS_REVIEW_POINTS

    @field_validator("database_url")
    @classmethod
    def _async_database_url(cls, value: str) -> str:
        scheme, sep, rest = value.partition("://")
        if not sep:
            raise ValueError("must look like sqlite:///between.db or postgresql://user@host/db")
        scheme = _ASYNC_DRIVERS.get(scheme, scheme)
        if scheme not in _ALLOWED_SCHEMES:
            raise ValueError(
                "must start with sqlite:// or postgresql:// "
                "(drivers used: sqlite+aiosqlite, postgresql+asyncpg)"
            )
        return f"{scheme}://{rest}"

    @field_validator("telegram_api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")) or len(value) < 10:
            raise ValueError("must be an http:// or https:// URL, e.g. https://api.telegram.org")
        return value.rstrip("/")

    @field_validator("default_locale")
    @classmethod
    def _supported_locale(cls, value: str) -> str:
        if value not in SUPPORTED_LOCALES:
            raise ValueError(f"must be one of {', '.join(SUPPORTED_LOCALES)}")
        return value

    @field_validator("default_timezone")
    @classmethod
    def _iana_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("must be an IANA time zone such as UTC or Europe/Berlin") from None
        return value

    @field_validator("web_app_url")
    @classmethod
    def _web_app_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith(("https://", "http://")):
            raise ValueError(
                "must be the https:// address Telegram opens, e.g. https://example.org/"
            )
        return value.rstrip("/")

    @field_validator("crisis_country")
    @classmethod
    def _country_code(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        code = value.strip().upper()
        if code not in Locale("en").territories or not code.isalpha():
            raise ValueError("must be a two-letter country code such as DE, ES or US")
        return code

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
        return level

    @field_validator("webhook_secret_token")
    @classmethod
    def _secret_token_charset(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return value
        secret = value.get_secret_value()
        allowed = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
        if not 1 <= len(secret) <= 256 or not set(secret) <= allowed:
            raise ValueError("must be 1–256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @model_validator(mode="after")
    def _lease_outlasts_a_send(self) -> Settings:
        if self.delivery_lease_seconds <= 2 * self.delivery_send_timeout:
            raise ValueError(
                "DELIVERY_LEASE_SECONDS must be more than twice DELIVERY_SEND_TIMEOUT, so that "
                "a message being sent is never taken over by another instance"
            )
        return self

    @model_validator(mode="after")
    def _step_down_above_red(self) -> Settings:
        if self.decision_gas_step_down_t <= self.decision_gas_red_t:
            raise ValueError("DECISION_GAS_STEP_DOWN_T must be above DECISION_GAS_RED_T")
        return self

    def decision_rules(self) -> decision.DecisionRules:
        """The thresholds of decision support (trends, traffic light, GAS review)."""
        return decision.DecisionRules(
            baseline_days=self.decision_baseline_days,
            reliable_z=self.decision_reliable_z,
            min_sd=self.decision_min_sd,
            min_phase_ratings=self.decision_min_phase_ratings,
            red_week=self.decision_red_week,
            yellow_after_week=self.decision_yellow_after_week,
            flat_slope_per_week=self.decision_flat_slope_per_week,
            small_change_sd=self.decision_small_change_sd,
            missed_in_a_row=self.decision_missed_in_a_row,
            gas_red_t=self.decision_gas_red_t,
            gas_step_down_t=self.decision_gas_step_down_t,
            gas_min_goals=self.decision_gas_min_goals,
            gas_review_points=self.decision_gas_review_points,
        )

    @property
    def web_enabled(self) -> bool:
        """Whether the web view's server runs beside the bot."""
        return self.web_app_url is not None or self.web_port is not None

    @property
    def web_listen_port(self) -> int:
        return self.web_port if self.web_port is not None else 8080

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


class SettingsError(Exception):
    """A setting is missing or invalid; the message is meant for the operator."""


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning pydantic's report into one line per bad setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        raise SettingsError(describe_validation_error(error)) from None


def describe_validation_error(error: ValidationError) -> str:
    lines = []
    for problem in error.errors():
        name = str(problem["loc"][0]).upper() if problem["loc"] else "settings"
        given = problem.get("input")
        message = problem["msg"].removeprefix("Value error, ")
        secret = name in _SECRET_SETTINGS
        shown = f"={given!r}" if isinstance(given, str | int | float) and not secret else ""
        lines.append(f"Invalid setting {name}{shown}: {message}")
    return "\n".join(lines)


def require_token(settings: Settings) -> str:
    if settings.bot_token is None or not settings.bot_token.get_secret_value().strip():
        raise SettingsError(
            "BOT_TOKEN is not set: talk to @BotFather in Telegram, send /newbot, and put "
            "the token it gives you in BOT_TOKEN (environment or .env)."
        )
    return settings.bot_token.get_secret_value().strip()


def settings_table() -> str:
    """The configuration table of the README, generated from this model."""
    rows = ["| setting | default | meaning |", "| --- | --- | --- |"]
    for name, field in Settings.model_fields.items():
        default = field.default
        if isinstance(default, Path):
            default = (
                default.relative_to(PROJECT_ROOT)
                if default.is_relative_to(PROJECT_ROOT)
                else default
            )
        shown = "—" if default is None else f"`{default}`"
        rows.append(f"| `{name.upper()}` | {shown} | {field.description or ''} |")
    return "\n".join(rows)
