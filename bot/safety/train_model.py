"""Train the crisis model of each language from its corpus, deterministically.

    python -m bot.safety.train_model          # every language, writes the weights
    python -m bot.safety.train_model en       # one language

Reads ``content/safety/corpus/<locale>.yaml`` (sentences this project wrote,
labelled by kind), fits a logistic regression by stochastic gradient descent
with L2 in a fixed order (seeded shuffle), prunes the weights too small to
matter, rounds them, and writes ``content/safety/model/<locale>.json``. The same
corpus always gives the same file: ``tests/test_crisis_model.py`` retrains and
compares, so weights are never edited by hand. Pure Python, a few seconds per
language.

The threshold of each language is not learnt here: it was chosen on the corpus
and the development sets (``docs/safety.md``, "The model") and is kept in
:data:`THRESHOLDS`, so retraining writes it back unchanged.
"""

from __future__ import annotations

import random
import sys
from collections import Counter
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot import yaml_text
from bot.domain.crisis_model import CrisisModel, features, scale, sigmoid
from bot.safety.content import MODEL_DIR, SAFETY_DIR
from bot.settings import SUPPORTED_LOCALES

CORPUS_DIR = SAFETY_DIR / "corpus"
Kind = Literal["explicit", "indirect", "figurative", "neutral", "hard", "distress"]
Sign = Literal["passive_death_wish", "burden", "entrapment", "finality", "preparatory", "farewell"]
CRISIS_KINDS = frozenset({"explicit", "indirect"})

# Chosen on the corpus (cross-validated) and the development sets by the rule in
# docs/safety.md (round 6): the model adds no neutral sentence to any development set and
# at most one figurative in eight (python -m bench.crisis_thresholds).
THRESHOLDS = {"en": 0.86, "de": 0.85, "es": 0.87}

SEED = 16
EPOCHS = 15
LEARNING_RATE = 0.5
L2 = 0.005
MIN_SENTENCES = 3  # a feature seen in one or two sentences only is those sentences, not language
PRUNE_BELOW = 0.3
DIGITS = 4


class CorpusSentence(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Kind
    text: str = Field(min_length=1)
    sign: Sign | None = None

    @model_validator(mode="after")
    def _sign_for_indirect_only(self) -> CorpusSentence:
        if (self.kind == "indirect") != (self.sign is not None):
            raise ValueError(f"an indirect sentence, and only one, names its sign: {self.text!r}")
        return self

    @property
    def crisis(self) -> bool:
        return self.kind in CRISIS_KINDS


class Corpus(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    locale: str
    sentences: list[CorpusSentence] = Field(min_length=1)


def load_corpus(locale: str, directory: Path = CORPUS_DIR) -> Corpus:
    path = directory / f"{locale}.yaml"
    corpus = Corpus.model_validate(yaml_text.load(path.read_text(encoding="utf-8")))
    if corpus.locale != locale:
        raise ValueError(f"{path} says locale {corpus.locale}")
    return corpus


def train(corpus: Corpus, threshold: float) -> CrisisModel:
    """Logistic regression by SGD in a seeded order; both classes weigh the same in total."""
    sentence_features = [sorted(features(s.text)) for s in corpus.sentences]
    seen = Counter(feature for found in sentence_features for feature in found)
    vocabulary = sorted(feature for feature, count in seen.items() if count >= MIN_SENTENCES)
    index = {feature: position for position, feature in enumerate(vocabulary)}
    rows = [[index[f] for f in found if f in index] for found in sentence_features]
    scales = [scale(len(found)) if found else 0.0 for found in sentence_features]
    labels = [1.0 if s.crisis else 0.0 for s in corpus.sentences]
    positives = sum(labels)
    negatives = len(labels) - positives
    if not positives or not negatives:
        raise ValueError(f"{corpus.locale}: the corpus needs crisis and other sentences")
    balance = {1.0: len(labels) / (2 * positives), 0.0: len(labels) / (2 * negatives)}
    weights = [0.0] * len(vocabulary)
    bias = 0.0
    order = list(range(len(rows)))
    shuffler = random.Random(SEED)
    for epoch in range(EPOCHS):
        shuffler.shuffle(order)
        rate = LEARNING_RATE / (1 + 0.1 * epoch)
        for row_number in order:
            row, label, size = rows[row_number], labels[row_number], scales[row_number]
            score = bias + size * sum(weights[i] for i in row)
            error = (sigmoid(score) - label) * balance[label]
            bias -= rate * error
            step = error * size
            for i in row:
                weights[i] -= rate * (step + L2 * weights[i])
    kept = {
        feature: round(weight, DIGITS)
        for feature, weight in zip(vocabulary, weights, strict=True)
        if abs(weight) >= PRUNE_BELOW
    }
    return CrisisModel(
        locale=corpus.locale, bias=round(bias, DIGITS), threshold=threshold, weights=kept
    )


def trained(locale: str) -> CrisisModel:
    return train(load_corpus(locale), THRESHOLDS[locale])


def main(arguments: list[str]) -> None:
    for locale in arguments or SUPPORTED_LOCALES:
        model = trained(locale)
        path = MODEL_DIR / f"{locale}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(model.to_json(), encoding="utf-8")
        print(f"{locale}: {len(model.weights)} weights, threshold {model.threshold} -> {path}")


if __name__ == "__main__":
    main(sys.argv[1:])
