"""Choose each crisis model's threshold on the corpus and the development sets.

    python -m bench.crisis_thresholds

For each language: the lowest threshold (in steps of 0.01) at which, with the
lexicon deciding first, no neutral sentence of any development set is flagged
and at most one in eight figurative sentences of each set is; on its own corpus,
cross-validated (each sentence scored by a model trained on the other four fifths),
no ordinary (``neutral``) sentence is flagged and at most one in eight figurative
ones and one in eight hard negatives (they share crisis words on purpose); and it
flags at most 1 % of the paragraphs of the shipped lessons (ordinary prose it was
never trained on: a stand-in for the long, unusual messages a corpus of short ones
does not cover).
Recall of explicit and indirect sentences over the development sets is printed
for it and for a few thresholds around it. The result goes by hand into
``bot/safety/train_model.THRESHOLDS`` (then retrain): a choice made once, in
the open, not a number the trainer quietly moves. The development sets include the
batches read for a lexicon round (4 and 5); a batch written blind after the last round
is never read here.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import random

from bot.domain.crisis_model import CrisisModel
from bot.safety.train_model import Corpus, load_corpus, train, trained
from bot.settings import PROJECT_ROOT, SUPPORTED_LOCALES
from tests.crisis_labelled import DEVELOPMENT_SETS, lexicon_matcher, sentences_of

GRID = [step / 100 for step in range(30, 100)]
LESSON_SHARE = 0.01
FOLDS = 5
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
    corpus = load_corpus(locale)
    for sentence, probability in zip(corpus.sentences, held_out_probabilities(corpus), strict=True):
        check = lexicon.check(sentence.text, locale)
        found.append(
            Reading(
                "corpus",
                sentence.kind,
                sentence.crisis,
                check.matched,
                bool(check.set_aside),
                probability,
            )
        )
    return found


def held_out_probabilities(corpus: Corpus) -> list[float]:
    """Each corpus sentence scored by a model trained without it (FOLDS-fold, seeded)."""
    order = list(range(len(corpus.sentences)))
    random.Random(6).shuffle(order)
    probabilities = [0.0] * len(order)
    for fold in range(FOLDS):
        held_out = set(order[fold::FOLDS])
        rest = [s for i, s in enumerate(corpus.sentences) if i not in held_out]
        model = train(Corpus(locale=corpus.locale, sentences=rest), 0.5)
        for i in held_out:
            probabilities[i] = model.probability(corpus.sentences[i].text)
    return probabilities


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
    """No neutral sentence flagged by the model, at most one figurative in eight (or no more
    than the lexicon flags alone), in every set; in the
    corpus, cross-validated (it holds sentences the lexicon flags on purpose, so only what
    the model adds counts), no ordinary sentence and at most one in eight figurative and
    hard ones."""
    corpus = [r for r in found if r.group == "corpus" and not r.should_flag]
    added = [r for r in corpus if r.flagged(threshold) and not r.by_lexicon]
    if any(r.category == "neutral" for r in added):
        return False
    for kind in ("figurative", "hard"):
        if sum(r.category == kind for r in added) * 8 > sum(r.category == kind for r in corpus):
            return False
    for group in {r.group for r in found} - {"corpus"}:
        mine = [r for r in found if r.group == group]
        # A neutral sentence the lexicon flags (batch 4's first-aid course that taught what
        # to do in an "Überdosis") no threshold can change: the model must add none.
        if any(r.flagged(threshold) and not r.by_lexicon for r in mine if r.category in _NEUTRAL):
            return False
        figurative = [r for r in mine if r.category == "figurative"]
        allowed = max(len(figurative) / 8, sum(r.by_lexicon for r in figurative))
        if sum(r.flagged(threshold) for r in figurative) > allowed:
            return False
    return True


def summary(found: list[Reading], threshold: float) -> str:
    development = [r for r in found if r.group != "corpus"]
    corpus = [r for r in found if r.group == "corpus"]
    parts = [
        f"corpus (cross-validated) {kind} "
        f"{sum(r.flagged(threshold) for r in corpus if r.category == kind)}"
        f"/{sum(r.category == kind for r in corpus)}"
        for kind in ("explicit", "indirect", "neutral", "hard", "figurative", "distress")
    ]
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
