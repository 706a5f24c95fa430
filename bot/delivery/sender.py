"""The sender: drains the outbox through the Bot API under Telegram's limits.

The only module of the delivery engine that talks to Telegram. Each instance runs
one sender task: it claims due rows (leases), renders them in the user's current
language, sends them concurrently (the rate limiter spaces them), and records each
outcome with one log line:

- sent: the row keeps Telegram's message id; the kind's ``on_sent`` hook runs in the
  same transaction;
- 429 that outlived the limiter's retries: back to pending after ``retry_after``;
- 5xx, timeouts, network errors: back to pending after an exponential back-off with
  jitter, until ``DELIVERY_MAX_ATTEMPTS``, then failed with the reason. A timeout
  after the request was written is ambiguous (Telegram may have delivered it), and
  is retried: a message may then arrive twice, but is never lost;
- 403: the user is unreachable: status set, schedules stopped, their queued rows
  failed, and a ``user_events`` row for their practitioner;
- anything else Telegram refuses (400): failed with Telegram's reason.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import os
import random
import secrets
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, TypedDict, TypeVar

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import ExtBot

from bot.db.base import utcnow
from bot.db.models import User, UserEvent, UserStatus
from bot.delivery import outbox
from bot.delivery.outbox import Delivery
from bot.delivery.rate_limiter import PER_CHAT, SendLimits, TooLateToSend, retry_after_seconds
from bot.delivery.renderers import RenderContext, Rendered, Renderers, SentContext, UnknownKind
from bot.delivery.scheduling import stop_schedules
from bot.flows.keyboards import markup
from bot.i18n import Catalogs
from bot.observability import metrics

logger = logging.getLogger(__name__)

UNREACHABLE_EVENT = "unreachable"

# A row given back unsent and without counting an attempt, because this sender could not
# send it in time (its lease would end first) or is stopping: not Telegram's doing.
HANDED_BACK = "handed_back"

T = TypeVar("T")
Write = Callable[[AsyncSession], Awaitable[T]]


class _Timeouts(TypedDict):
    """One send's timeouts, as PTB's keyword arguments (each bounded by the lease)."""

    read_timeout: float
    write_timeout: float
    connect_timeout: float
    pool_timeout: float


@dataclass(frozen=True)
class SenderConfig:
    concurrency: int = 16
    poll_seconds: float = 1.0
    send_timeout: float = 10.0
    max_attempts: int = 5
    retry_base_seconds: float = 2.0
    retry_max_seconds: float = 300.0
    lease_seconds: float = 120.0
    # Telegram's paid broadcasts: up to 1,000 messages/s, each beyond 30/s paid in Stars.
    paid_broadcast: bool = False


def instance_id() -> str:
    """Who holds a lease: host, process id and a random suffix (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def backoff(attempt: int, base: float, cap: float) -> float:
    """Exponential back-off with jitter: half fixed, half random (spreads retry storms)."""
    delay = min(cap, base * 2 ** max(attempt - 1, 0))
    return delay / 2 + random.uniform(0, delay / 2)


@dataclass(frozen=True)
class _Sent:
    """An outcome to record: Telegram accepted the row's message."""

    delivery: Delivery
    message_id: int
    sent_at: datetime
    hook_data: Any  # the render's, for the kind's on_sent hook

    def context(self) -> SentContext:
        return SentContext(
            outbox_id=self.delivery.id,
            user_id=self.delivery.user_id,
            chat_id=self.delivery.chat_id,
            kind=self.delivery.kind,
            payload=self.delivery.payload,
            message_id=self.message_id,
            sent_at=self.sent_at,
            hook_data=self.hook_data,
        )


class Sender:
    """One per instance; ``start`` in post_init, ``stop`` before the bot shuts down."""

    def __init__(
        self,
        bot: ExtBot[Any],
        sessions: async_sessionmaker[AsyncSession],
        renderers: Renderers,
        catalogs: Catalogs,
        config: SenderConfig,
        instance: str | None = None,
    ) -> None:
        self._bot = bot
        self._sessions = sessions
        self._renderers = renderers
        self._catalogs = catalogs
        self._config = config
        self.instance = instance or instance_id()
        self._wakeup = asyncio.Event()
        self._in_flight: set[asyncio.Task[None]] = set()
        # Claimed and rendered, waiting for a free slot: a claim takes a round more than
        # the free slots, so a busy sender claims (a transaction, and rendering) once
        # per round of sends instead of once per few freed slots. Handed back on stop.
        self._ready: collections.deque[tuple[Delivery, Rendered | str | None]] = collections.deque()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        # Outcomes are written by one recorder task, many per transaction: one writer
        # instead of one per send (SQLite has one writer at a time; PostgreSQL saves
        # a commit per message). A send's task ends only once its outcome is written.
        # The sent ones of a transaction are marked in one statement, and each kind's
        # ``on_sent`` hook is given them together.
        self._outcomes: list[tuple[Write[Any] | _Sent, asyncio.Future[Any]]] = []
        self._outcome_ready = asyncio.Event()
        self._recorder: asyncio.Task[None] | None = None

    # --- lifecycle

    def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self._run(), name="delivery-sender")
            self._recorder = asyncio.create_task(self._record_outcomes(), name="delivery-recorder")
            logger.info("event=delivery.sender_started instance=%s", self.instance)

    def wake(self) -> None:
        """Look for due rows now (the tick calls this after enqueueing)."""
        self._wakeup.set()

    async def stop(self, grace: float | None = None) -> None:
        """Stop claiming; let sends in flight finish (a leased row left behind is sent
        by the next instance once its lease lapses)."""
        if self._task is None:
            return
        self._stopping = True
        self.wake()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        await self._hand_back_ready()
        if self._in_flight:
            wait = self._config.send_timeout + 1 if grace is None else grace
            _done, pending = await asyncio.wait(set(self._in_flight), timeout=wait)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)
        if self._recorder is not None:
            self._recorder.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._recorder
            self._recorder = None
        logger.info("event=delivery.sender_stopped instance=%s", self.instance)

    # --- the loop

    async def _run(self) -> None:
        config = self._config
        refill_at = max(1, config.concurrency // 4)
        while not self._stopping:
            self._start_ready()
            free = config.concurrency - len(self._in_flight)
            if free >= refill_at or (free > 0 and not self._in_flight):
                try:
                    await self._claim(free + config.concurrency)
                except Exception:  # the database may be restarting: log, wait, try again
                    logger.exception("event=delivery.claim_failed instance=%s", self.instance)
                self._start_ready()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), config.poll_seconds)
            self._wakeup.clear()

    def _start_ready(self) -> None:
        """Start sending claimed rows while there are free slots."""
        while self._ready and len(self._in_flight) < self._config.concurrency:
            delivery, rendered = self._ready.popleft()
            task = asyncio.create_task(self._deliver(delivery, rendered))
            self._in_flight.add(task)
            task.add_done_callback(self._finished)

    async def _claim(self, limit: int) -> None:
        """Claim and render up to ``limit`` due rows into the ready queue."""
        now = utcnow()
        lease = timedelta(seconds=self._config.lease_seconds)
        async with self._sessions() as session:
            async with session.begin():
                batch = await outbox.claim(
                    session, now=now, limit=limit, instance=self.instance, lease=lease
                )
            if not batch:
                return
            rendered = await self._render_all(session, batch)
        self._ready.extend((delivery, rendered.get(delivery.id)) for delivery in batch)
        if len(batch) == limit:
            self.wake()  # more may be due: claim again as soon as there is room

    async def _hand_back_ready(self) -> None:
        """Stopping: rows claimed but not yet sent go back to the queue at once (unsent,
        no attempt counted), for this instance after a restart or another one now, not
        after their lease. If the database is away, the lease brings them back."""
        ready, self._ready = list(self._ready), collections.deque()
        if not ready:
            return
        handed_back = [
            self._retry(delivery, "sender stopped", 0, count_attempt=False, outcome=HANDED_BACK)
            for delivery, _rendered in ready
        ]
        for outcome in await asyncio.gather(*handed_back, return_exceptions=True):
            if isinstance(outcome, Exception):
                logger.warning(
                    "event=delivery.hand_back_failed instance=%s error=%s",
                    self.instance,
                    type(outcome).__name__,
                )

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._wakeup.set()

    async def _render_all(
        self, session: AsyncSession, batch: list[Delivery]
    ) -> dict[int, Rendered | str]:
        """Each row's message in its user's language now (one query for the locales, then
        each kind's ``prefetch`` once for all its rows); a string instead of a message
        says why it could not be rendered."""
        user_ids = {delivery.user_id for delivery in batch}
        locales = dict(
            (await session.execute(select(User.id, User.locale).where(User.id.in_(user_ids)))).all()
        )
        contexts = [
            RenderContext(
                outbox_id=delivery.id,
                user_id=delivery.user_id,
                kind=delivery.kind,
                payload=delivery.payload,
                due_at=delivery.due_at,
                t=self._catalogs.translator(locales.get(delivery.user_id)),
                session=session,
            )
            for delivery in batch
        ]
        prefetched = await self._prefetch_all(session, contexts)
        rendered: dict[int, Rendered | str] = {}
        for context in contexts:
            if context.kind in prefetched:
                context = replace(context, prefetched=prefetched[context.kind])
            try:
                rendered[context.outbox_id] = await self._renderers.renderer(context.kind)(context)
            except UnknownKind:
                rendered[context.outbox_id] = f"no renderer for kind {context.kind}"
            except Exception as error:
                logger.exception(
                    "event=delivery.render_failed outbox_id=%s kind=%s",
                    context.outbox_id,
                    context.kind,
                )
                rendered[context.outbox_id] = f"render error: {type(error).__name__}"
        return rendered

    async def _prefetch_all(
        self, session: AsyncSession, contexts: list[RenderContext]
    ) -> dict[str, Any]:
        """What each kind with a ``prefetch`` loads once for all its rows in the batch.

        A failed prefetch is logged, the session rolled back (on PostgreSQL a failed
        statement spoils the transaction) and nothing prefetched is used: every row's
        render then reads for itself, so one row's bad data sinks that row only."""
        by_kind: dict[str, list[RenderContext]] = {}
        for context in contexts:
            by_kind.setdefault(context.kind, []).append(context)
        prefetched: dict[str, Any] = {}
        for kind, group in by_kind.items():
            try:
                prefetch = self._renderers.prefetch(kind)
            except UnknownKind:
                continue
            if prefetch is None:
                continue
            try:
                prefetched[kind] = await prefetch(session, group)
            except Exception:
                logger.exception("event=delivery.prefetch_failed kind=%s rows=%s", kind, len(group))
                await session.rollback()  # also expires what other kinds' prefetches loaded
                return {}
        return prefetched

    # --- writing outcomes

    async def _write(self, work: Write[T]) -> T:
        """Run ``work`` in the recorder's next transaction and return its result."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._outcomes.append((work, future))
        self._outcome_ready.set()
        return await future

    async def _write_sent(self, sent: _Sent) -> None:
        """Mark ``sent`` in the recorder's next transaction, with the others sent meanwhile."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._outcomes.append((sent, future))
        self._outcome_ready.set()
        await future

    async def _write_all(self, session: AsyncSession, items: list[Write[Any] | _Sent]) -> list[Any]:
        """The outcomes in one transaction: each write in turn, then the sent rows at once
        (one UPDATE) and, per kind, its ``on_sent`` hook with all of them."""
        results: list[Any] = []
        sent: list[_Sent] = []
        for item in items:
            if isinstance(item, _Sent):
                sent.append(item)
                results.append(None)
            else:
                results.append(await item(session))
        if sent:
            await outbox.mark_sent_many(
                session,
                [(s.delivery.id, s.message_id, s.sent_at) for s in sent],
                instance=self.instance,
            )
            by_kind: dict[str, list[SentContext]] = {}
            for s in sent:
                by_kind.setdefault(s.delivery.kind, []).append(s.context())
            for kind, contexts in by_kind.items():
                hook = self._renderers.sent_hook(kind)
                if hook is not None:
                    await hook(session, contexts)
        return results

    async def _record_outcomes(self) -> None:
        while True:
            await self._outcome_ready.wait()
            self._outcome_ready.clear()
            batch, self._outcomes = self._outcomes, []
            if not batch:
                continue
            try:
                async with self._sessions() as session, session.begin():
                    results = await self._write_all(session, [item for item, _future in batch])
            except Exception:
                # One bad outcome must not sink the others: write them one by one.
                await self._record_one_by_one(batch)
            else:
                for (_work, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)

    async def _record_one_by_one(
        self, batch: list[tuple[Write[Any] | _Sent, asyncio.Future[Any]]]
    ) -> None:
        for item, future in batch:
            try:
                async with self._sessions() as session, session.begin():
                    [result] = await self._write_all(session, [item])
            except Exception as error:
                if not future.done():
                    future.set_exception(error)
            else:
                if not future.done():
                    future.set_result(result)

    # --- one message

    async def _deliver(self, delivery: Delivery, rendered: Rendered | str | None) -> None:
        try:
            await self._send_and_record(delivery, rendered)
        except asyncio.CancelledError:
            raise
        except Exception:  # recording failed (database down): the lease brings it back
            logger.exception(
                "event=delivery.record_failed outbox_id=%s instance=%s", delivery.id, self.instance
            )

    async def _send_and_record(self, delivery: Delivery, rendered: Rendered | str | None) -> None:
        if not isinstance(rendered, Rendered):
            await self._fail(delivery, rendered or "not rendered")
            return
        timeout = self._config.send_timeout
        left = (delivery.lease_until - utcnow()).total_seconds() - timeout
        if left <= 0:
            # Too late to finish within the lease: another instance may take it over,
            # and two senders must never race for one row. Hand it back unsent.
            await self._retry(
                delivery, "lease too short", 0, count_attempt=False, outcome=HANDED_BACK
            )
            return
        # The same check when the rate limiter's turn comes (after its spacing and any
        # 429 pause, which can be long): the first part is not sent past that moment.
        first_limits = SendLimits(not_after=asyncio.get_running_loop().time() + left)
        timeouts: _Timeouts = {
            "read_timeout": timeout,
            "write_timeout": timeout,
            "connect_timeout": timeout,
            "pool_timeout": timeout,
        }
        # None leaves the parameter out of the request (PTB drops None values).
        paid = True if self._config.paid_broadcast else None
        try:
            message = await self._bot.send_message(
                delivery.chat_id,
                rendered.text,
                reply_markup=markup(rendered.buttons),
                allow_paid_broadcast=paid,
                rate_limit_args=first_limits,
                **timeouts,
            )
            for text in rendered.more:  # a long message's further parts, in order
                await self._bot.send_message(
                    delivery.chat_id,
                    text,
                    allow_paid_broadcast=paid,
                    rate_limit_args=PER_CHAT,
                    **timeouts,
                )
            if rendered.photo is not None:
                await self._bot.send_photo(
                    delivery.chat_id,
                    rendered.photo.data,
                    caption=rendered.photo.caption or None,
                    allow_paid_broadcast=paid,
                    rate_limit_args=PER_CHAT,
                    **timeouts,
                )
        except TooLateToSend:
            await self._retry(
                delivery, "lease too short", 0, count_attempt=False, outcome=HANDED_BACK
            )
        except RetryAfter as error:
            seconds = retry_after_seconds(error)
            await self._retry(
                delivery, "RetryAfter", seconds, count_attempt=False, outcome="rate_limited"
            )
        except Forbidden as error:
            await self._unreachable(delivery, error.message)
        except BadRequest as error:  # a NetworkError to PTB, but asking again won't help
            await self._fail(delivery, f"BadRequest: {error.message}")
        except NetworkError as error:  # TimedOut, 5xx and connection errors
            reason = f"{type(error).__name__}: {error.message}"
            if delivery.attempts >= self._config.max_attempts:
                await self._fail(delivery, reason)
            else:
                wait = backoff(
                    delivery.attempts,
                    self._config.retry_base_seconds,
                    self._config.retry_max_seconds,
                )
                await self._retry(delivery, reason, wait, count_attempt=True, outcome="retry")
        except TelegramError as error:
            await self._fail(delivery, f"{type(error).__name__}: {error.message}")
        else:
            await self._sent(delivery, message.message_id, rendered.hook_data)

    def _log(self, delivery: Delivery, outcome: str, **extra: object) -> None:
        metrics.count_send(delivery.kind, outcome)
        details = "".join(f" {key}={value}" for key, value in extra.items())
        logger.info(
            "event=delivery.outcome outbox_id=%s user_id=%s kind=%s outcome=%s attempt=%s%s",
            delivery.id,
            delivery.user_id,
            delivery.kind,
            outcome,
            delivery.attempts,
            details,
        )

    async def _sent(self, delivery: Delivery, message_id: int, hook_data: Any = None) -> None:
        await self._write_sent(_Sent(delivery, message_id, utcnow(), hook_data))
        self._log(delivery, "sent", message_id=message_id)

    async def _retry(
        self,
        delivery: Delivery,
        reason: str,
        seconds: float,
        *,
        count_attempt: bool,
        outcome: str,
    ) -> None:
        """Back to the queue, due in ``seconds``; ``outcome`` is what the log and the
        sends metric call it (``retry``, ``rate_limited`` or ``handed_back``)."""
        now = utcnow()

        async def write(session: AsyncSession) -> None:
            await outbox.retry_later(
                session,
                delivery.id,
                instance=self.instance,
                error=reason,
                at=now + timedelta(seconds=seconds),
                now=now,
                count_attempt=count_attempt,
                attempt=delivery.attempts,
            )

        await self._write(write)
        self._log(delivery, outcome, error=reason.split(":", 1)[0], wait=f"{seconds:.1f}")

    async def _fail(self, delivery: Delivery, reason: str) -> None:
        now = utcnow()

        async def write(session: AsyncSession) -> None:
            await outbox.mark_failed(
                session,
                delivery.id,
                instance=self.instance,
                error=reason,
                now=now,
                attempt=delivery.attempts,
            )

        await self._write(write)
        self._log(delivery, "failed", error=reason.split(":", 1)[0].replace(" ", "_"))

    async def _unreachable(self, delivery: Delivery, reason: str) -> None:
        """403: blocked or deactivated. Everything for this user stops, and it is recorded."""
        now = utcnow()

        async def write(session: AsyncSession) -> list[tuple[int, str]]:
            await outbox.mark_failed(
                session,
                delivery.id,
                instance=self.instance,
                error=reason,
                now=now,
                attempt=delivery.attempts,
            )
            changed = await session.execute(
                update(User)
                .where(User.id == delivery.user_id, User.status != UserStatus.UNREACHABLE)
                .values(status=UserStatus.UNREACHABLE, updated_at=now)
                .returning(User.id)
                .execution_options(synchronize_session=False)
            )
            if changed.first() is not None:
                session.add(
                    UserEvent(
                        user_id=delivery.user_id,
                        kind=UNREACHABLE_EVENT,
                        occurred_at=now,
                        data={"outbox_id": delivery.id, "reason": reason[:100]},
                    )
                )
            await stop_schedules(session, delivery.user_id)
            return await outbox.fail_pending_for_user(
                session, delivery.user_id, error="user unreachable", now=now
            )

        dropped = await self._write(write)
        self._log(delivery, "unreachable")
        for outbox_id, kind in dropped:
            logger.info(
                "event=delivery.outcome outbox_id=%s user_id=%s kind=%s outcome=failed "
                "error=unreachable",
                outbox_id,
                delivery.user_id,
                kind,
            )
