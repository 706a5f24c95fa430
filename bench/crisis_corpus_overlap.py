"""List the crisis model's corpus sentences too close to a sentence of tests/data.

    python -m bench.crisis_corpus_overlap

The corpus (``content/safety/corpus/<locale>.yaml``) must not copy the development sets,
nor come near them: a corpus sentence whose character trigrams overlap a development
sentence's by 0.7 or more (Dice: twice the shared trigrams over both counts, of the
folded text) is left out when the corpus is written. ``tests/test_crisis_model.py``
checks exact copies on every run; this slower check (every corpus sentence against
every sentence in tests/data) is run after the corpus changes, and prints nothing but
the counts when all is well.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.domain.crisis_text import split_words
from bot.safety.train_model import load_corpus
from bot.settings import PROJECT_ROOT, SUPPORTED_LOCALES

LIMIT = 0.7
DATA = PROJECT_ROOT / "tests" / "data"


def trigrams(text: str) -> frozenset[str]:
    folded = f" {' '.join(split_words(text).words)} "
    return frozenset(folded[i : i + 3] for i in range(len(folded) - 2))


def overlap(one: frozenset[str], other: frozenset[str]) -> float:
    return 2 * len(one & other) / (len(one) + len(other)) if one or other else 0.0


def development_sentences(locale: str) -> list[str]:
    found: list[str] = []
    for path in sorted(DATA.rglob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and data.get("locale") == locale:
            found.extend(sentence["text"] for sentence in data["sentences"])
    return found


def too_close(locale: str) -> list[tuple[float, str, str]]:
    development = [(text, trigrams(text)) for text in development_sentences(locale)]
    close = []
    for sentence in load_corpus(locale).sentences:
        mine = trigrams(sentence.text)
        for text, theirs in development:
            score = overlap(mine, theirs)
            if score >= LIMIT:
                close.append((score, sentence.text, text))
                break
    return close


if __name__ == "__main__":
    for locale in SUPPORTED_LOCALES:
        close = too_close(locale)
        print(f"{locale}: {len(close)} corpus sentences at {LIMIT} or more")
        for score, mine, theirs in close:
            print(f"  {score:.2f} {mine!r} ~ {theirs!r}")
