"""A client's lesson progress as the practitioner reads it: Telegram HTML, in messages
that each fit Telegram's limits.

Plain functions of plain data (``client_progress`` results), so the layout is
tested without a bot. The client's reflections are their own words: escaped,
quoted, and labelled as theirs.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.content.pages import TELEGRAM_ENTITY_LIMIT, TELEGRAM_TEXT_LIMIT
from bot.content.telegram_html import measure
from bot.dates import Clock
from bot.i18n import Translator
from bot.lessons.progress import LessonProgress

# Room to spare under Telegram's limits (its counting of whitespace differs slightly).
MESSAGE_TEXT_LIMIT = TELEGRAM_TEXT_LIMIT - 96
MESSAGE_ENTITY_LIMIT = TELEGRAM_ENTITY_LIMIT - 4
# A long reflection is quoted in parts of at most this many characters (UTF-16 safe: a
# character is at most two code units), each part a whole <blockquote>.
REFLECTION_PART = 1800


def when(moment: datetime, locale: str, zone: ZoneInfo) -> str:
    """A date and time as the practitioner reads it, in their time zone (``bot.dates``)."""
    return Clock(locale, zone).moment(moment)


def render(
    t: Translator,
    *,
    client: str,
    program_title: str | None,
    lessons: Sequence[LessonProgress],
    zone: ZoneInfo,
    now: datetime,
) -> list[str]:
    """The messages to send, in order. ``client`` is the client's label, already escaped.

    A lesson is recorded when it is planned, at the moment it is due: one still ahead of
    ``now`` is shown as planned, never as delivered."""
    _ = t._
    header = [_("<b>Lessons of {client}</b>", client=client)]
    if program_title is not None:
        header.append(_("Program: {program}", program=html.escape(program_title)))
    if not lessons:
        header.append(_("{client} hasn't received a lesson yet.", client=client))
    pieces = ["\n".join(header)]
    for number, lesson in enumerate(lessons, start=1):
        pieces.extend(_lesson(t, number, lesson, zone, now))
    return pack(pieces)


def _lesson(
    t: Translator, number: int, lesson: LessonProgress, zone: ZoneInfo, now: datetime
) -> list[str]:
    _ = t._

    def at(moment: datetime) -> str:
        return when(moment, t.locale, zone)

    lines = [
        _("<b>{number}. {title}</b>", number=number, title=html.escape(lesson.title)),
        _("Planned for {date}", date=at(lesson.delivered_at))
        if lesson.delivered_at > now
        else _("Delivered {date}", date=at(lesson.delivered_at)),
        _("Opened {date}", date=at(lesson.opened_at)) if lesson.opened_at else _("Not opened yet"),
        _("Finished {date}", date=at(lesson.finished_at))
        if lesson.finished_at
        else _("Not finished yet"),
    ]
    if lesson.quiz:
        right = sum(1 for answer in lesson.quiz if answer.correct)
        lines.append(
            t.ngettext(
                "Quiz: {right} of {count} answer right",
                "Quiz: {right} of {count} answers right",
                len(lesson.quiz),
                right=right,
            )
        )
    looked_back = {
        "right": _("Look-back question a week later: answered right"),
        "wrong": _("Look-back question a week later: answered, not quite right"),
        "done": _("Look-back question a week later: thought over"),
        "skipped": _("Look-back question a week later: skipped"),
        "waiting": _("Look-back question a week later: asked, no answer yet"),
    }
    if lesson.review is not None:
        lines.append(looked_back[lesson.review])
    blocks: list[tuple[str, str]] = []  # (label, the client's own words)
    if lesson.reflection:
        answered = lesson.reflection_answered_at or lesson.delivered_at
        label = _("<i>Their reflection, in their own words ({date}):</i>", date=at(answered))
        blocks.append((label, lesson.reflection))
    for answer in lesson.answers:
        label = _(
            "<i>Their answer to “{question}” ({date}):</i>",
            question=html.escape(answer.question),
            date=at(answer.answered_at),
        )
        blocks.append((label, answer.text))
    pieces = []
    for label, text in blocks:
        quotes = [
            f"<blockquote>{html.escape(part)}</blockquote>"
            for part in _parts(text, REFLECTION_PART)
        ]
        # The label stays with the first part of the quote, so it never stands alone.
        pieces.append("\n".join([label, quotes[0]]))
        pieces.extend(quotes[1:])
    if not pieces:
        return ["\n".join(lines)]
    return ["\n".join([*lines, pieces[0]]), *pieces[1:]]


def _parts(text: str, size: int) -> list[str]:
    """Cut ``text`` into parts of at most ``size`` characters, at a space when there is one."""
    parts = []
    while len(text) > size:
        cut = text.rfind(" ", size // 2, size)
        cut = size if cut == -1 else cut
        parts.append(text[:cut])
        text = text[cut:].lstrip(" ")
    parts.append(text)
    return parts


def pack(pieces: Sequence[str]) -> list[str]:
    """Join whole pieces (each valid HTML on its own) into as few messages as fit."""
    messages: list[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current}\n\n{piece}" if current else piece
        if current and not _fits(candidate):
            messages.append(current)
            current = piece
        else:
            current = candidate
    if current:
        messages.append(current)
    return messages


def _fits(text: str) -> bool:
    length, entities = measure(text)
    return length <= MESSAGE_TEXT_LIMIT and entities <= MESSAGE_ENTITY_LIMIT
