"""The lesson quality gate: readable, phone-sized, translated alike, linked right, and calm.

Run by ``python -m bot content check`` after every lesson has loaded. Each check
reports a :class:`Problem` worded for the person who edits the file:

- **reading level**: a readability formula for the language (textstat) must fall in
  that language's band (README "Lessons and programs" says how the bands were chosen);
- **length**: the rendered lesson must take MIN_PAGES to MAX_PAGES Telegram pages;
- **same structure in every language**: as many headings, a "try this" in all or
  none, as many quiz questions and answers, and the same need areas as the reference;
- **cross-links**: a link is either a web address (https://, tg://) or
  ``lesson:<id>`` naming a lesson that exists;
- **safety**: no crisis rule of any lexicon fires on any text a reader sees, unless the
  lesson's front matter lists that rule in ``safety_exemptions``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from markdown_it import MarkdownIt
from textstat.textstat import textstatistics

from bot.content.lessons import Lesson, QuizQuestion, ReviewQuestion
from bot.content.library import LESSONS_FOLDER, ContentLibrary, Problem
from bot.content.pages import PageTooLong
from bot.content.telegram_html import markdown_blocks, visible_text
from bot.domain.crisis import CrisisMatcher

MIN_PAGES = 2  # under two pages (~230 words) is too thin to teach a skill
MAX_PAGES = 4  # over four pages is more than the 2-4 minutes a lesson promises
LESSON_LINK = "lesson:"
_WEB_LINKS = ("https://", "tg://")
_parser = MarkdownIt("commonmark")


@dataclass(frozen=True)
class ReadingBand:
    """A textstat formula (higher = easier) and the range a lesson must fall in."""

    formula: str  # its name, for the report
    method: str  # the textstat method that computes it
    low: float
    high: float


# Measured on the 13 first lessons as this module measures them (README "Lessons and
# programs"): English Flesch 82-102, German Flesch-Amstad 69-81, Spanish Szigriszt-Pazos
# (INFLESZ) 76-87. Each floor is about ten points under the hardest of them; each
# ceiling leaves room above the easiest and only catches text that is no longer prose.
READING_BANDS: dict[str, ReadingBand] = {
    "en": ReadingBand("Flesch reading ease", "flesch_reading_ease", 72, 120),
    "de": ReadingBand("Flesch-Amstad", "flesch_reading_ease", 58, 110),
    "es": ReadingBand("Szigriszt-Pazos", "szigriszt_pazos", 65, 110),
}


@cache
def _textstat(locale: str) -> Any:
    """One textstat instance per language: choosing a language loads its hyphenation
    dictionary (over a second), so it is done once, never per lesson."""
    stats = textstatistics()
    stats.set_lang(locale)
    return stats


def reading_score(text: str, locale: str) -> float | None:
    """The locale's readability score of ``text``, or None when it has no band."""
    band = READING_BANDS.get(locale)
    if band is None:
        return None
    return float(getattr(_textstat(locale), band.method)(text))


def quality_problems(
    library: ContentLibrary, try_this_heading: dict[str, str], matcher: CrisisMatcher
) -> list[Problem]:
    problems: list[Problem] = []
    known = set(library.lesson_ids)
    reference = library.lessons.get(library.reference_locale, {})
    for locale, lessons in library.lessons.items():
        heading = try_this_heading.get(locale, "Try this")
        for lesson in lessons.values():
            where = f"{LESSONS_FOLDER}/{locale}/{lesson.slug}.md"
            messages = [
                *_length_and_level(library, lesson, heading),
                *_links(lesson, known),
                *_crisis_language(lesson, matcher),
            ]
            twin = reference.get(lesson.id)
            if twin is not None and twin is not lesson:
                messages += _structure(lesson, twin)
            problems += [Problem(where, message) for message in messages]
    return problems


def _length_and_level(library: ContentLibrary, lesson: Lesson, heading: str) -> Iterator[str]:
    try:
        pages = library.pages(lesson, heading)
    except PageTooLong:
        return  # reported by page_problems already
    if not MIN_PAGES <= len(pages) <= MAX_PAGES:
        yield (
            f"is {len(pages)} Telegram page(s) long; a lesson takes {MIN_PAGES} to "
            f"{MAX_PAGES} (about 300-550 words)"
        )
    band = READING_BANDS.get(lesson.locale)
    score = reading_score(_plain_text(pages), lesson.locale)
    if band is not None and score is not None and not band.low <= score <= band.high:
        hint = "shorter sentences and simpler words" if score < band.low else "fuller sentences"
        yield (
            f"reading level {band.formula} {score:.0f} is outside {band.low:g}-{band.high:g} "
            f"for {lesson.locale}: use {hint}"
        )


def _plain_text(pages: list[str]) -> str:
    return "\n\n".join(visible_text(page) for page in pages)


def _structure(lesson: Lesson, reference: Lesson) -> Iterator[str]:
    """What differs from the reference language's lesson of the same id."""
    other = reference.locale
    mine, theirs = _headings(lesson.body), _headings(reference.body)
    if mine != theirs:
        yield f"has {mine} heading(s), the {other} lesson {theirs}: keep the same sections"
    if (lesson.meta.try_this is None) != (reference.meta.try_this is None):
        yield f"a 'try this' must be in every language or none (see the {other} lesson)"
    my_quiz = [len(question.answers) for question in lesson.meta.quiz]
    their_quiz = [len(question.answers) for question in reference.meta.quiz]
    if my_quiz != their_quiz:
        yield (
            f"quiz has {my_quiz or 'no'} answers per question, the {other} lesson "
            f"{their_quiz or 'none'}: keep the same questions"
        )
    if _review_shape(lesson) != _review_shape(reference):
        yield (
            f"review has {_review_shape(lesson)} answers, the {other} lesson "
            f"{_review_shape(reference)}: a look-back question in every language or none, "
            "with as many answers"
        )
    if set(lesson.meta.areas) != set(reference.meta.areas):
        yield f"areas {sorted(lesson.meta.areas)} differ from the {other} lesson's"


def _review_shape(lesson: Lesson) -> int | None:
    """None without a look-back question, else its number of answers (0: free)."""
    review = lesson.meta.review
    return None if review is None else len(review.answers)


def _headings(markdown: str) -> int:
    return sum(token.type == "heading_open" for token in _parser.parse(markdown))


def _links(lesson: Lesson, known: set[str]) -> Iterator[str]:
    for source in (lesson.body, lesson.meta.try_this or ""):
        for token in _parser.parse(source):
            for child in token.children or []:
                if child.type != "link_open":
                    continue
                href = str(child.attrs.get("href", ""))
                if href.startswith(LESSON_LINK):
                    if href.removeprefix(LESSON_LINK) not in known:
                        yield f"links to {href}, a lesson that does not exist"
                elif not href.startswith(_WEB_LINKS):
                    yield (f"link {href!r} goes nowhere: use https://… or {LESSON_LINK}<lesson id>")


def _crisis_language(lesson: Lesson, matcher: CrisisMatcher) -> Iterator[str]:
    allowed = set(lesson.meta.safety_exemptions)
    for text in reader_texts(lesson):
        check = matcher.check(text, lesson.locale)
        if check.matched and check.rule_id not in allowed:
            excerpt = " ".join(text.split())[:80]
            yield (
                f"crisis rule {check.rule_id!r} ({check.locale}) fires on «{excerpt}»: "
                "reword it, or list the rule in safety_exemptions if the lesson must "
                "name it"
            )


def reader_texts(lesson: Lesson) -> Iterator[str]:
    """Everything a reader sees, a paragraph at a time (as a message is checked)."""
    meta = lesson.meta
    yield from (meta.title, meta.summary, meta.reflection)
    for block in markdown_blocks(lesson.body):
        yield visible_text(block)
    if meta.try_this:
        yield from (visible_text(block) for block in markdown_blocks(meta.try_this))
    asked: list[QuizQuestion | ReviewQuestion] = [*meta.quiz]
    if meta.review is not None:
        asked.append(meta.review)
    for question in asked:
        yield question.question
        for answer in question.answers:
            yield answer.text
            yield answer.explanation
