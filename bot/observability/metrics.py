"""The bot's Prometheus metrics, in one registry of their own.

Labels are kinds and outcomes from small fixed sets (update types, outbox kinds,
send outcomes): never a name, a Telegram id, a chat or anything a client wrote.
Counters are module-level so the code that counts needs no wiring; an
increment costs a lock and an add, nothing when no one scrapes.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

REGISTRY = CollectorRegistry(auto_describe=True)

UPDATES = Counter("between_updates_total", "Updates handled, by kind", ["kind"], registry=REGISTRY)
UPDATE_SECONDS = Histogram(
    "between_update_seconds",
    "Time to handle one update, by kind",
    ["kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
ERRORS = Counter(
    "between_errors_total",
    "Errors that reached the error handler, by exception class",
    ["error"],
    registry=REGISTRY,
)
SENDS = Counter(
    "between_sends_total",
    "Outbox messages by send outcome (rate() gives sends per second)",
    ["kind", "outcome"],
    registry=REGISTRY,
)
RATE_LIMITED = Counter(
    "between_telegram_429_total", "429 Too Many Requests answers from Telegram", registry=REGISTRY
)
RETRY_AFTER_SECONDS = Counter(
    "between_telegram_retry_after_seconds_total",
    "Seconds Telegram asked to wait, summed over its 429 answers",
    registry=REGISTRY,
)
TICK_SECONDS = Histogram(
    "between_tick_seconds",
    "Duration of one delivery tick",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
    registry=REGISTRY,
)
TICK_LAG_SECONDS = Gauge(
    "between_tick_lag_seconds",
    "How late the last delivery tick started after it was due",
    registry=REGISTRY,
)
TICK_LAST = Gauge(
    "between_tick_last_timestamp_seconds",
    "When the last delivery tick finished (Unix time)",
    registry=REGISTRY,
)
OUTBOX = Gauge(
    "between_outbox_messages",
    "Outbox messages by state and kind (one grouped query per scrape)",
    ["state", "kind"],
    registry=REGISTRY,
)
OUTBOX_OLDEST_DUE = Gauge(
    "between_outbox_oldest_due_seconds",
    "How long the longest-waiting due message (pending or sending) has waited, by kind",
    ["kind"],
    registry=REGISTRY,
)
SEND_INSTANCES = Gauge(
    "between_send_instances",
    "Instances sharing RATE_LIMIT_PER_SECOND, as this one counted them at its last heartbeat",
    registry=REGISTRY,
)
SEND_SHARE_LAPSED = Counter(
    "between_send_share_lapsed_total",
    "Times this instance held its sends: its share of the rate lapsed (no heartbeat for 5 s)",
    registry=REGISTRY,
)
POOL = Gauge(
    "between_db_pool_connections",
    "Database connections of this process: checked out, idle in the pool, the pool's size",
    ["state"],
    registry=REGISTRY,
)

# Update kinds as Telegram names them (a fixed set; an unknown one is "other").
_UPDATE_KINDS = (
    "message",
    "edited_message",
    "callback_query",
    "my_chat_member",
    "chat_member",
    "inline_query",
    "channel_post",
    "edited_channel_post",
    "pre_checkout_query",
    "poll_answer",
    "chat_join_request",
    "message_reaction",
)


def update_kind(update: object) -> str:
    for kind in _UPDATE_KINDS:
        if getattr(update, kind, None) is not None:
            return kind
    return "other"


async def timed_update(update: object, handle: Awaitable[Any]) -> None:
    """Count one update and time its handling (PTB's update processor calls this)."""
    kind = update_kind(update)
    started = time.perf_counter()
    try:
        await handle
    finally:
        UPDATES.labels(kind).inc()
        UPDATE_SECONDS.labels(kind).observe(time.perf_counter() - started)


def count_error(error: BaseException | None) -> None:
    ERRORS.labels(type(error).__name__ if error is not None else "unknown").inc()


def count_send(kind: str, outcome: str) -> None:
    SENDS.labels(kind, outcome).inc()


def count_rate_limited(retry_after: float) -> None:
    RATE_LIMITED.inc()
    RETRY_AFTER_SECONDS.inc(retry_after)


class TickTimer:
    """Times the delivery tick and how late each one starts after it was due."""

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval = interval
        self._clock = clock
        self._last_start: float | None = None

    async def run(self, tick: Awaitable[None]) -> None:
        started = self._clock()
        if self._last_start is not None:
            TICK_LAG_SECONDS.set(max(started - self._last_start - self._interval, 0.0))
        self._last_start = started
        try:
            await tick
        finally:
            TICK_SECONDS.observe(self._clock() - started)
            TICK_LAST.set(time.time())


def record_pool(engine: AsyncEngine) -> None:
    """The pool's numbers, as SQLAlchemy's QueuePool keeps them (other pools: nothing)."""
    pool: Any = engine.sync_engine.pool
    for state, method in (("checked_out", "checkedout"), ("idle", "checkedin"), ("size", "size")):
        reader = getattr(pool, method, None)
        if callable(reader):
            POOL.labels(state).set(reader())


async def record_outbox(sessions: async_sessionmaker[AsyncSession], *, now: datetime) -> None:
    """The outbox by state and kind: the same two grouped queries as `python -m bot status`."""
    from bot.delivery.outbox import status_by_kind

    async with sessions() as session:
        kinds = await status_by_kind(session, now=now)
    OUTBOX.clear()
    OUTBOX_OLDEST_DUE.clear()
    for kind in kinds:
        for state, count in kind.counts.items():
            OUTBOX.labels(state.value, kind.kind).set(count)
        if kind.oldest_pending_due_at is not None:
            OUTBOX_OLDEST_DUE.labels(kind.kind).set(
                max((now - kind.oldest_pending_due_at).total_seconds(), 0.0)
            )
