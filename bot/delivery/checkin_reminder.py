"""The daily check-in's scheduled kind, sent at the user's checkin_time.

The kind keeps its name so existing schedules keep working; its renderer is now the
check-in itself (``bot.checkins.delivery.render``: the first goal's 0–10 question).
What is left here is the gentle reminder a client without active goals still gets,
and the "Skip today" button of reminders sent before check-ins existed.
"""

from __future__ import annotations

from bot.callbacks import SkipReminder
from bot.delivery.renderers import Button, RenderContext, Rendered
from bot.i18n import N_

KIND = "checkin_reminder"
SKIP_PREFIX = f"{SkipReminder.PREFIX}:"

TEXT = N_(
    "It's time for your daily check-in. 🌱\n\n"
    "Take a moment to notice how today is going — there is no right or wrong answer."
)
SKIP_BUTTON = N_("Skip today")


async def render(context: RenderContext) -> Rendered:
    """The reminder in the user's language, with a way to skip."""
    _ = context.t._
    skip = Button(_(SKIP_BUTTON), SkipReminder(context.outbox_id).pack())
    return Rendered(text=_(TEXT), buttons=((skip,),))


def skip_data_outbox_id(data: str) -> int | None:
    """The outbox id in a skip button's callback data, or None when it is not one."""
    parsed = SkipReminder.parse(data)
    return parsed.outbox_id if parsed is not None else None
