"""Text normalisation for the crisis check: what a typed message is reduced to before matching.

People in distress type fast, on phones, sometimes hiding what they write. So
the check sees the message with case, accents, apostrophes, look-alike digits
(``k1ll``), stretched letters (``diiiie``) and spelled-out letters (``k.i.l.l``,
``s u i c i d e``) ironed out. The lexicon's own patterns go through the same
folding (:func:`fold_pattern`), so a pattern and the text it should meet always
agree.

Clause boundaries (``. , ; : ! ?`` and line breaks) are kept as a number per
word: negation only counts inside the clause it belongs to.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_APOSTROPHES = re.compile(r"(?<=[^\W\d_])['’ʼ`´](?=[^\W\d_])")
# Look-alike characters, translated only inside a token that also holds letters.
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)
_LEET_TOKEN = re.compile(r"\S+")
# Single letters strung together with dots, dashes and the like ("k.i.l.l", "m-y-s-e-l-f")
# are one word; between longer parts ("self-harm") the same characters split words.
_SEPARATOR_CHARS = r"[.\-_*/+·•~|]"
_SPELLED_WITH_SEPARATORS = re.compile(
    rf"(?<![a-z0-9])(?:[a-z0-9]{_SEPARATOR_CHARS}+){{2,}}[a-z0-9](?![a-z0-9])"
)
_INNER_SEPARATORS = re.compile(rf"(?<=[a-z0-9]){_SEPARATOR_CHARS}+(?=[a-z0-9])")
_CLAUSE_BREAKS = re.compile(r"[.,;:!?¡¿\n\r()\"“”«»…]+")
_WORD = re.compile(r"[a-z0-9]+")
_REPEATED_LETTER = re.compile(r"([a-z])\1+")
# A run of at least this many one-letter words is a word spelled out ("k i l l").
_SPELLED_OUT_RUN = 3


def fold(text: str) -> str:
    """Case, compatibility forms, apostrophes, accents and look-alikes folded to plain a-z 0-9."""
    # Apostrophes first: NFKC turns the acute accent some keyboards type for one into a space.
    text = _APOSTROPHES.sub("", text.casefold())
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = _LEET_TOKEN.sub(_unleet, text)
    text = _SPELLED_WITH_SEPARATORS.sub(lambda m: re.sub(_SEPARATOR_CHARS, "", m.group(0)), text)
    return _INNER_SEPARATORS.sub(" ", text)


def collapse_repeats(word: str) -> str:
    """``kiiilll`` and ``kill`` both become ``kil``: stretched letters never hide a word."""
    return _REPEATED_LETTER.sub(r"\1", word)


def fold_pattern(pattern: str, replacements: dict[str, str]) -> str:
    """A lexicon pattern folded exactly as text is, leaving its syntax characters alone."""
    folded = unicodedata.normalize("NFKD", pattern.casefold().replace("'", ""))
    folded = "".join(char for char in folded if not unicodedata.combining(char))
    folded = collapse_repeats(folded)
    for old, new in replacements.items():
        folded = folded.replace(old, new)
    return collapse_repeats(folded)


@dataclass(frozen=True)
class Words:
    """A message as words, each with the number of the clause it stands in."""

    words: tuple[str, ...]
    clauses: tuple[int, ...]


def split_words(text: str) -> Words:
    """Fold a message and cut it into words and clauses (language-independent steps)."""
    words: list[str] = []
    clauses: list[int] = []
    for clause_number, clause in enumerate(_CLAUSE_BREAKS.split(fold(text))):
        for word in _join_spelled_out(_WORD.findall(clause)):
            words.append(word)
            clauses.append(clause_number)
    return Words(tuple(words), tuple(clauses))


def _unleet(match: re.Match[str]) -> str:
    token = match.group(0)
    if sum(char.isalpha() for char in token) < 2:
        return token  # "3", "24/7", "5km" stay as they are
    return token.translate(_LEET)


def _join_spelled_out(words: list[str]) -> list[str]:
    joined: list[str] = []
    run: list[str] = []
    for word in [*words, ""]:
        if len(word) == 1 and word.isalpha():
            run.append(word)
            continue
        if len(run) >= _SPELLED_OUT_RUN:
            joined.append("".join(run))
        else:
            joined.extend(run)
        run = []
        if word:
            joined.append(word)
    return joined
