"""The crisis check's second net: a small linear classifier beside the lexicon.

The lexicon (:mod:`bot.domain.crisis`) catches what was written into it. Indirect
warning signs ("everyone would be better off", "I gave my cat away") come in
more wordings than patterns can list, so a logistic regression trained on
sentences this project wrote (``content/safety/corpus/<locale>.yaml``, trained
by ``python -m bot.safety.train_model``) reads every message the lexicon let
through. Pure Python, no dependency: the weights are a readable
feature → weight table in ``content/safety/model/<locale>.json``.

Features of the folded text (:mod:`bot.domain.crisis_text`, stretched letters
collapsed), all binary: words, word pairs inside a clause, and character 3- to
5-grams inside word boundaries (``<word>``), which carry inflections and
misspellings the words miss. Each feature weighs 1/sqrt(number of features), so
a long text does not add up the small weights of ordinary words into an alarm. A
long message is scored sentence by sentence (and pairs of neighbouring ones), and
its highest part counts: one sentence of crisis language must not be diluted by a
page of ordinary news.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from bot.domain.crisis_text import collapse_repeats, split_words

CHAR_NGRAMS = (3, 4, 5)
MIN_CHARACTER_WORD = 3  # shorter words ("it", "im") give no character n-grams
# A message this short is scored whole (the corpus holds messages of this length);
# a longer one sentence by sentence, no part longer than this.
CHUNK_CHARACTERS = 240
_SENTENCE_END = re.compile(r"(?<=[.!?\n])\s*")


def features(text: str) -> set[str]:
    """The features one text (one chunk) has: ``w:`` words, ``b:`` pairs, ``c:`` n-grams."""
    message = split_words(text)
    words = [collapse_repeats(word) for word in message.words]
    found: set[str] = set()
    previous: tuple[str, int] | None = None
    for word, clause in zip(words, message.clauses, strict=True):
        found.add("w:" + word)
        if previous is not None and previous[1] == clause:
            found.add(f"b:{previous[0]} {word}")
        previous = (word, clause)
        if len(word) < MIN_CHARACTER_WORD:
            continue  # "it", "was": the word itself says all; its pieces would only add noise
        bounded = f"<{word}>"
        for size in CHAR_NGRAMS:
            for start in range(len(bounded) - size + 1):
                found.add("c:" + bounded[start : start + size])
    return found


def sentences(text: str) -> list[str]:
    """A long message's sentences, none longer than :data:`CHUNK_CHARACTERS`."""
    return [part for part in _sentences(text) if part.strip()]


def _sentences(text: str) -> Iterator[str]:
    for sentence in _SENTENCE_END.split(text):
        # A "sentence" longer than a chunk (no full stops) is cut at a space.
        while len(sentence) > CHUNK_CHARACTERS:
            cut = sentence.rfind(" ", 0, CHUNK_CHARACTERS)
            cut = cut if cut > 0 else CHUNK_CHARACTERS
            yield sentence[:cut]
            sentence = sentence[cut:]
        yield sentence


def scale(count: int) -> float:
    """Each of a text's ``count`` features weighs 1/sqrt(count) (unit length): a long text
    does not add up small weights of ordinary words into an alarm."""
    return 1.0 / math.sqrt(count)


def sigmoid(score: float) -> float:
    if score >= 0:
        return 1.0 / (1.0 + math.exp(-score))
    exp = math.exp(score)
    return exp / (1.0 + exp)


@dataclass(frozen=True)
class CrisisModel:
    """One language's weights; :meth:`probability` is what the check compares to ``threshold``."""

    locale: str
    bias: float
    threshold: float
    weights: Mapping[str, float]

    def score(self, text: str) -> float:
        return self.score_features(features(text))

    def score_features(self, found: set[str]) -> float:
        if not found:
            return self.bias
        weights = self.weights
        return self.bias + scale(len(found)) * sum(weights.get(feature, 0.0) for feature in found)

    def probability(self, text: str) -> float:
        """The probability of crisis language: of the whole of a short message; of a long
        one the highest over its sentences and pairs of neighbouring sentences that fit a
        chunk (a farewell often takes two: "this is my last message. it was nice knowing
        you"). A pair's features are its sentences' together, each sentence read once."""
        if len(text) <= CHUNK_CHARACTERS:
            return sigmoid(self.score_features(features(text)))
        parts = [(len(part), features(part)) for part in sentences(text)]
        best = 0.0
        for index, (length, found) in enumerate(parts):
            best = max(best, sigmoid(self.score_features(found)))
            if index + 1 < len(parts) and length + parts[index + 1][0] < CHUNK_CHARACTERS:
                best = max(best, sigmoid(self.score_features(found | parts[index + 1][1])))
        return best

    def flags(self, text: str) -> bool:
        return self.probability(text) >= self.threshold

    def to_json(self) -> str:
        """Readable and stable: the weights sorted by size, strongest first."""
        ordered = sorted(self.weights.items(), key=lambda item: (-abs(item[1]), item[0]))
        data = {
            "locale": self.locale,
            "bias": self.bias,
            "threshold": self.threshold,
            "weights": dict(ordered),
        }
        return json.dumps(data, ensure_ascii=False, indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str) -> CrisisModel:
        data = json.loads(text)
        weights = data["weights"]
        if not isinstance(weights, dict) or not all(
            isinstance(value, (int, float)) for value in weights.values()
        ):
            raise ValueError("weights must map features to numbers")
        threshold = float(data["threshold"])
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"threshold {threshold} must lie between 0 and 1")
        return cls(
            locale=str(data["locale"]),
            bias=float(data["bias"]),
            threshold=threshold,
            weights={str(key): float(value) for key, value in weights.items()},
        )
