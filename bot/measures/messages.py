"""What a questionnaire message says: one item with its buttons and progress ("3 of 9"),
and the closing words. Plain data (``Rendered``): the delivery engine's renderer and
the flow (which edits the pressed message) both use it.
"""

from __future__ import annotations

import html

from babel.numbers import format_decimal

from bot.db.models import MeasureAdministration
from bot.delivery.renderers import Button, Rendered
from bot.i18n import N_, Translator
from bot.measures import callbacks
from bot.measures.model import ItemKind, Measure, Method

PROGRESS = N_("{number} of {total}")
SKIP = N_("Skip")
DONE = N_("Done")
THANKS = N_("Thank you, that's all. Your answers are saved.")
YOUR_SCORE = N_("Your score: {score} of {most}")
EXPIRED = N_(
    "This questionnaire has closed, so I didn't save that. No problem — there will be another one."
)
ALREADY_DONE = N_("You've finished this one already. Thank you!")
CHANGED = N_("Changed.")
NUMBERS_PER_ROW = 6
CHOICES_PER_ROW = 2


def item_message(
    t: Translator,
    measure: Measure,
    administration: MeasureAdministration,
    *,
    picked: tuple[int, ...] = (),
) -> Rendered:
    """The item being asked, with its answers as buttons and a way to skip."""
    locale = t.locale
    index = administration.current_item
    item = measure.items[index]
    parts = [f"<b>{html.escape(measure.title.get(locale))}</b>"]
    if index == 0:
        parts.append(html.escape(measure.intro.get(locale)))
    progress = t._(PROGRESS, number=index + 1, total=len(measure.items))
    parts.append(f"<i>{progress}</i>\n{html.escape(item.text.get(locale))}")
    options = measure.option_sets[item.options]
    admin_id = administration.id
    rows: list[tuple[Button, ...]]
    if item.kind is ItemKind.CHOICE:
        buttons = [
            Button(
                ("✓ " if option.value in picked else "") + option.text(locale),
                callbacks.toggle(admin_id, index, option.value),
            )
            for option in options
        ]
        rows = _rows(buttons, CHOICES_PER_ROW)
        rows.append((Button(t._(DONE), callbacks.done(admin_id, index)),))
    else:
        buttons = [
            Button(option.text(locale), callbacks.answer(admin_id, index, option.value))
            for option in options
        ]
        labelled = any(option.label is not None for option in options)
        rows = _rows(buttons, 1 if labelled else NUMBERS_PER_ROW)
        rows.append((Button(t._(SKIP), callbacks.skip(admin_id, index)),))
    return Rendered(text="\n\n".join(parts), buttons=tuple(rows))


def _rows(buttons: list[Button], per_row: int) -> list[tuple[Button, ...]]:
    return [tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]


def number(value: float, locale: str) -> str:
    return format_decimal(value, format="#,##0.#", locale=locale)


def highest(measure: Measure) -> float:
    """The highest total the measure's scoring can give."""
    scored = measure.scored_items
    tops = [max(measure.option_values(item)) for item in scored]
    if measure.scoring is not None and measure.scoring.method is Method.MEAN:
        return max(tops)
    return float(sum(tops))


def band_label(measure: Measure, band: int | None, locale: str) -> str | None:
    bands = measure.scoring.bands if measure.scoring else ()
    if band is None or not 0 <= band < len(bands):
        return None
    return bands[band].label.get(locale)


def closing_message(
    t: Translator, measure: Measure, administration: MeasureAdministration
) -> Rendered:
    """Thanks; and the score and its band where the measure lets the client see them."""
    locale = t.locale
    parts = [f"<b>{html.escape(measure.title.get(locale))}</b>", t._(THANKS)]
    shown = measure.scoring is not None and measure.scoring.show_to_client
    if shown and administration.score_total is not None:
        line = t._(
            YOUR_SCORE,
            score=number(administration.score_total, locale),
            most=number(highest(measure), locale),
        )
        label = band_label(measure, administration.band, locale)
        if label:
            line += f" — {html.escape(label)}"
        parts.append(line)
    return Rendered(text="\n\n".join(parts))
