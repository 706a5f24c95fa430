"""Choose each crisis model's threshold on the corpus and the development sets.

    python -m bench.crisis_thresholds

For each language: the lowest threshold (in steps of 0.01) at which, with the
lexicon deciding first, no neutral sentence of any development set is flagged
and at most one in eight figurative sentences of each set is, the model
flags no sentence of its own corpus labelled ``not``, and it flags at most 1 % of
the paragraphs of the shipped lessons (ordinary prose it was never trained on: a
stand-in for the long, unusual messages a corpus of short ones does not cover).
Recall of explicit and indirect sentences over the development sets is printed
for it and for a few thresholds around it. The result goes by hand into
``bot/safety/train_model.THRESHOLDS`` (then retrain): a choice made once, in
the open, not a number the trainer quietly moves. Batch 4 is never read here.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.domain.crisis_model import CrisisModel
from bot.safety.train_model import load_corpus, trained
from bot.settings import PROJECT_ROOT, SUPPORTED_LOCALES
from tests.crisis_labelled import DEVELOPMENT_SETS, lexicon_matcher, sentences_of

GRID = [step / 100 for step in range(30, 100)]
LESSON_SHARE = 0.01
_NEUTRAL = frozenset({"everyday", "neutral", "hard"})


@dataclass(frozen=True)
class Reading:
    group: str  # the set's name, or "corpus"
    category: str
    should_flag: bool
    by_lexicon: bool
    set_aside: bool
    probability: float

    def flagged(self, threshold: float) -> bool:
        return self.by_lexicon or (not self.set_aside and self.probability >= threshold)


def readings(locale: str, model: CrisisModel) -> list[Reading]:
    lexicon = lexicon_matcher()
    found = []
    groups = [
        (name, [(s.text, s.category, s.flag) for s in sentences_of(name, locale).sentences])
        for name in DEVELOPMENT_SETS
    ]
    groups.append(("corpus", [(s.text, s.kind, s.crisis) for s in load_corpus(locale).sentences]))
    for name, sentences in groups:
        for text, category, should_flag in sentences:
            check = lexicon.check(text, locale)
            found.append(
                Reading(
                    name,
                    category,
                    should_flag,
                    check.matched,
                    bool(check.set_aside),
                    model.probability(text),
                )
            )
    return found


def lesson_paragraphs(locale: str) -> list[str]:
    """What a reader of the shipped lessons sees, a paragraph at a time, that the
    lexicon lets through (the content check keeps the lexicon's own matches out)."""
    from bot.content.library import load_content
    from bot.content.quality import reader_texts

    library, _problems = load_content(PROJECT_ROOT / "content", [locale])
    lexicon = lexicon_matcher()
    return [
        text
        for lesson in library.lessons[locale].values()
        for text in reader_texts(lesson)
        if text.strip() and not lexicon.check(text, locale).matched
    ]


def acceptable(found: list[Reading], threshold: float) -> bool:
    """No neutral sentence flagged, at most one figurative in eight, in every set; in the
    corpus (which holds sentences the lexicon flags on purpose) nothing the model adds."""
    corpus = [r for r in found if r.group == "corpus" and not r.should_flag]
    if any(r.flagged(threshold) and not r.by_lexicon for r in corpus):
        return False
    for group in {r.group for r in found} - {"corpus"}:
        mine = [r for r in found if r.group == group]
        if any(r.flagged(threshold) for r in mine if r.category in _NEUTRAL):
            return False
        figurative = [r for r in mine if r.category == "figurative"]
        if sum(r.flagged(threshold) for r in figurative) * 8 > len(figurative):
            return False
    return True


def summary(found: list[Reading], threshold: float) -> str:
    development = [r for r in found if r.group != "corpus"]
    parts = []
    for category in ("explicit", "indirect", "figurative", "everyday", "distress"):
        mine = [r for r in development if r.category == category]
        lexicon = sum(r.by_lexicon for r in mine)
        combined = sum(r.flagged(threshold) for r in mine)
        parts.append(f"{category} {lexicon}->{combined}/{len(mine)}")
    return ", ".join(parts)


if __name__ == "__main__":
    for locale in SUPPORTED_LOCALES:
        model = trained(locale)
        found = readings(locale, model)
        lessons = [model.probability(text) for text in lesson_paragraphs(locale)]

        def lessons_flagged(threshold: float, lessons: list[float] = lessons) -> int:
            return sum(p >= threshold for p in lessons)

        chosen = next(
            (
                t
                for t in GRID
                if acceptable(found, t) and lessons_flagged(t) <= LESSON_SHARE * len(lessons)
            ),
            None,
        )
        print(f"{locale}: lowest acceptable threshold {chosen}")
        for threshold in (0.5, 0.6, 0.7, 0.8, 0.9, *([chosen] if chosen else [])):
            print(
                f"  {threshold:.2f}: {summary(found, threshold)}, "
                f"lesson paragraphs {lessons_flagged(threshold)}/{len(lessons)}"
            )
