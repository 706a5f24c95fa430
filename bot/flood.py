"""Incoming floods: a token bucket per user, kept in memory, bounded.

Every counted update from a user takes a token; tokens come back at ``per_minute``,
up to ``burst``. A press of a button that answers the bot's question is not counted
(``bot/middleware.py``): the guard is for abuse, hundreds of messages, not for a
client tapping through the intake (bench/onboarding_burst.py measures that). A user
with no token left is *flooding*: they get one polite "slow down" (at most once per
``WARN_EVERY``) and the general free-text reply is left out while it lasts. Nothing
is dropped: commands, buttons, answers to open questions and the crisis check all
still run, in the order PTB hands them over.

Per instance: with several instances behind a webhook each counts what it
sees. At most ``max_users`` buckets are kept (least recently seen forgotten
first), so memory stays bounded whoever writes.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

WARN_EVERY = timedelta(minutes=1)
MAX_USERS = 10_000


@dataclass
class _Bucket:
    tokens: float
    updated: datetime
    warned: datetime | None = None


@dataclass(frozen=True)
class Verdict:
    flooding: bool  # over the limit: leave out replies that only acknowledge
    warn: bool  # send the "slow down" message now (once per WARN_EVERY)


class FloodGuard:
    def __init__(self, burst: int, per_minute: float, max_users: int = MAX_USERS) -> None:
        self.burst = float(burst)
        self.per_second = per_minute / 60.0
        self.max_users = max_users
        self._buckets: OrderedDict[int, _Bucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def admit(self, user_id: int, now: datetime) -> Verdict:
        """Count one update from ``user_id`` at ``now``."""
        bucket = self._buckets.get(user_id)
        if bucket is None:
            bucket = _Bucket(tokens=self.burst, updated=now)
            self._buckets[user_id] = bucket
            while len(self._buckets) > self.max_users:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(user_id)
            elapsed = max((now - bucket.updated).total_seconds(), 0.0)
            bucket.tokens = min(self.burst, bucket.tokens + elapsed * self.per_second)
            bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return Verdict(flooding=False, warn=False)
        warn = bucket.warned is None or now - bucket.warned >= WARN_EVERY
        if warn:
            bucket.warned = now
        return Verdict(flooding=True, warn=warn)
