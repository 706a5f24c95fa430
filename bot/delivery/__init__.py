"""The scheduling and delivery engine: every message that is not a direct reply.

How another feature sends something (alerts, lessons, digests, nudges):

1. register a renderer for its kind in ``bot/app.py`` (``build_renderers``): an async
   function ``RenderContext -> Rendered`` (text and buttons, in ``context.t``'s
   language), optionally with an ``on_sent`` hook that receives Telegram's message id
   (or ``on_sent_many``, given the rows sent together), and, for a render that reads
   the database, a ``prefetch`` that reads for all the kind's rows of a claimed batch
   at once (``renderers``: no query per row);
2. call :func:`enqueue` inside the feature's own transaction, with an idempotency key
   that names the message (``f"digest:{user_id}:{iso_week}"``), a payload of ids, and
   the window it may be sent in. The caller commits.

Recurring prompts are ``schedules`` rows (:func:`add_schedule`); after a change of a
user's time zone, times, quiet hours or status call :func:`reschedule_user`.

Modules: ``outbox`` (rows and their life cycle), ``scheduling`` (next slots, the
tick's batch), ``engine`` (the tick), ``renderers`` (the registry), ``sender`` and
``rate_limiter`` (the only two that import ``telegram``).

SQLite supports one running instance; several instances need PostgreSQL, where
rows are claimed with ``FOR UPDATE SKIP LOCKED``.
"""

from bot.delivery.outbox import OutboxItem, enqueue, enqueue_many
from bot.delivery.renderers import Button, RenderContext, Rendered, Renderers, SentContext
from bot.delivery.scheduling import add_schedule, reschedule_user, stop_schedules

__all__ = [
    "Button",
    "OutboxItem",
    "RenderContext",
    "Rendered",
    "Renderers",
    "SentContext",
    "add_schedule",
    "enqueue",
    "enqueue_many",
    "reschedule_user",
    "stop_schedules",
]
