"""Telegram's send limits for every Bot API call the bot makes (a PTB rate-limiter plug-in).

Why not PTB's AIORateLimiter as is: it takes its rate token *before* waiting out a
429, so every request queued during the pause fires at once when it ends — a burst
above the configured rate. This limiter waits out the pause first, then takes its
tokens from aiolimiter buckets of capacity one, so no burst ever exceeds the rate:

- overall: at most ``overall_per_second`` calls that post into a chat;
- per chat: at most ``per_chat_per_second`` to one chat, for calls that ask for it
  with ``rate_limit_args=PER_CHAT`` (the outbox sender does; a direct reply to a
  user's own message does not need to);
- 429: all calls pause for ``retry_after``, then the call is retried (up to
  ``max_retries`` times) before RetryAfter reaches the caller;
- a deadline: a call that passes ``SendLimits(not_after=…)`` is not made once its
  turn comes after that moment (the outbox sender's lease would have lapsed: another
  instance may be sending the same row), and :class:`TooLateToSend` is raised instead;
- a share that lapses: with several instances sharing the rate, calls that post into a
  chat wait once the share's lease has run out, until it is renewed (see
  ``bot.delivery.shared_rate``).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.observability import metrics

logger = logging.getLogger(__name__)

PER_CHAT = "per_chat"


@dataclass(frozen=True)
class SendLimits:
    """``rate_limit_args`` of one call: the per-chat limit, and a deadline (loop time)."""

    per_chat: bool = True
    not_after: float | None = None


class TooLateToSend(Exception):
    """The call's turn came after its ``not_after``: it was not made."""


def _past(deadline: float | None) -> bool:
    return deadline is not None and asyncio.get_running_loop().time() > deadline


# Requests leave evenly spaced but arrive with network jitter; spacing them for 97% of
# the configured rate keeps any one second at Telegram within the rate itself.
MARGIN = 0.97
JSONValue = bool | dict[str, Any] | list[dict[str, Any]]


def retry_after_seconds(error: RetryAfter) -> float:
    """Telegram's retry_after in seconds (read without PTB's int/timedelta deprecation dance)."""
    wait = getattr(error, "_retry_after", None)
    return wait.total_seconds() if isinstance(wait, timedelta) else 1.0


class TelegramRateLimiter(BaseRateLimiter[str | SendLimits]):
    def __init__(
        self,
        *,
        overall_per_second: float,
        per_chat_per_second: float,
        max_retries: int = 3,
        max_chats: int = 10_000,
    ) -> None:
        self._overall = AsyncLimiter(1, 1 / (overall_per_second * MARGIN))
        self._per_chat_period = 1 / (per_chat_per_second * MARGIN)
        # Bounded: a chat's limiter is only needed for about a second after its last
        # use, and far fewer than max_chats chats can be served in a second.
        self._chats: OrderedDict[object, AsyncLimiter] = OrderedDict()
        self._max_chats = max_chats
        self._max_retries = max_retries
        self._resume = asyncio.Event()
        self._resume.set()
        self._paused_until = 0.0
        self._share_until: float | None = None  # loop time; None: no lease to keep
        self._share_renewed = asyncio.Event()
        self._share_renewed.set()

    def hold_after(self, deadline: float | None) -> None:
        """Calls that post into a chat wait once the loop time passes ``deadline``, until
        it is moved on; None: no deadline."""
        self._share_until = deadline
        if not self.holding:
            self._share_renewed.set()

    @property
    def holding(self) -> bool:
        """Whether calls that post into a chat are held now (a lapsed share)."""
        return _past(self._share_until)

    def set_overall_rate(self, per_second: float) -> None:
        """Change the overall rate in place (the instances on one database share it):
        what the bucket held is leaked at the old rate first, waiters keep their turn."""
        limiter = self._overall
        limiter._leak()  # aiolimiter has no public setter; these are its two rate fields
        limiter.time_period = 1 / (per_second * MARGIN)
        limiter._rate_per_sec = limiter.max_rate / limiter.time_period

    @property
    def overall_rate(self) -> float:
        return self._overall.max_rate / self._overall.time_period / MARGIN

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    def _chat_limiter(self, chat_id: object) -> AsyncLimiter:
        limiter = self._chats.pop(chat_id, None) or AsyncLimiter(1, self._per_chat_period)
        self._chats[chat_id] = limiter
        while len(self._chats) > self._max_chats:
            self._chats.popitem(last=False)
        return limiter

    async def _admit(self, chat_id: object, per_chat: bool) -> None:
        if per_chat:
            await self._chat_limiter(chat_id).acquire()
        while True:
            await self._resume.wait()
            await self._share_renewed.wait()
            await self._overall.acquire()
            if not self._resume.is_set():  # a 429 arrived while waiting for the token
                continue
            if self.holding:
                if self._share_renewed.is_set():
                    metrics.SEND_SHARE_LAPSED.inc()
                    logger.warning("event=delivery.shared_rate_lapsed")
                self._share_renewed.clear()
                continue
            return

    def _pause(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        until = loop.time() + seconds
        if until <= self._paused_until:
            return
        self._paused_until = until
        self._resume.clear()

        def resume() -> None:
            if loop.time() >= self._paused_until - 0.001:
                self._resume.set()

        loop.call_at(until, resume)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONValue]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: str | SendLimits | None,
    ) -> JSONValue:
        chat_id = data.get("chat_id")
        limits = rate_limit_args if isinstance(rate_limit_args, SendLimits) else None
        per_chat = rate_limit_args == PER_CHAT or (limits is not None and limits.per_chat)
        for attempt in range(self._max_retries + 1):
            if chat_id is not None:
                await self._admit(chat_id, per_chat=per_chat)
            else:
                await self._resume.wait()
            if limits is not None and _past(limits.not_after):
                raise TooLateToSend(endpoint)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                seconds = retry_after_seconds(error)
                metrics.count_rate_limited(seconds)
                logger.info(
                    "event=telegram.rate_limited endpoint=%s retry_after=%s attempt=%s",
                    endpoint,
                    seconds,
                    attempt + 1,
                )
                self._pause(seconds + 0.1)
                if attempt == self._max_retries:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover
