"""The lessons-by-area line of a client's block (/client, the digest, the PDF report):
per program, delivered / opened / finished / reflected on, over all time, then the
spaced-review answers. Its own module (and its own line) so the block's other
engagement counts can change without touching it."""

from __future__ import annotations

import html

from bot.content.library import ContentLibrary
from bot.i18n import Translator
from bot.lessons.engagement import Engagement


def engagement_lines(t: Translator, found: Engagement | None, library: ContentLibrary) -> list[str]:
    if found is None:
        return []
    _ = t._
    parts = []
    for area in found.areas:
        program = library.program(area.program_id) if area.program_id else None
        if program is not None:
            name = html.escape(program.title_in(t.locale))
        elif area.program_id:
            name = html.escape(area.program_id)
        else:
            name = _("sent on their own")
        parts.append(
            _(
                "{area}: {delivered} delivered, {opened} opened, {finished} finished, "
                "{reflected} reflected on",
                area=name,
                delivered=area.delivered,
                opened=area.opened,
                finished=area.finished,
                reflected=area.reflected,
            )
        )
    lines = [_("Lessons by area: {areas}", areas="; ".join(parts))]
    if found.reviews.asked:
        lines.append(
            _(
                "Look-back questions: {answered} of {asked} answered, {right} right",
                answered=found.reviews.answered,
                asked=found.reviews.asked,
                right=found.reviews.correct,
            )
        )
    return lines
