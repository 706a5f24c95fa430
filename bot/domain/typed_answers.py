"""Reading a typed answer to a question that has buttons: "7", "seven", "sieben", "siete",
"6/10", "7 of 10", "yes", "ja", "sí".

Pure: plain text in, a number or a yes/no out (None when the text is not such an
answer). The whole message must be the answer, apart from case, spaces, accents and
punctuation around it: "7" is a rating, "7 hours of sleep" is not (the caller then
says what it is waiting for). Words of every supported language are understood
whatever the client's own language, since people mix them ("sieben" typed into an
English chat is still seven); no word means one thing in one language and another
thing in another. Single letters ("y", "n") are left out on purpose: a typed "yes"
can confirm an erasure.

The words are data, one table per language; a new language adds its own.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

NUMBER_WORDS: Mapping[str, Mapping[str, int]] = {
    "en": {
        "zero": 0,
        "nought": 0,
        "one": 1,
        "two": 2,
        "three": 3,
        "four": 4,
        "five": 5,
        "six": 6,
        "seven": 7,
        "eight": 8,
        "nine": 9,
        "ten": 10,
    },
    "de": {
        "null": 0,
        "eins": 1,
        "ein": 1,
        "eine": 1,
        "zwei": 2,
        "drei": 3,
        "vier": 4,
        "funf": 5,  # "fünf" once accents are folded
        "fuenf": 5,
        "sechs": 6,
        "sieben": 7,
        "acht": 8,
        "neun": 9,
        "zehn": 10,
    },
    "es": {
        "cero": 0,
        "uno": 1,
        "una": 1,
        "un": 1,
        "dos": 2,
        "tres": 3,
        "cuatro": 4,
        "cinco": 5,
        "seis": 6,
        "siete": 7,
        "ocho": 8,
        "nueve": 9,
        "diez": 10,
    },
}

# "7 of 10": the words between a rating and the top of its scale.
OUT_OF_WORDS: Mapping[str, tuple[str, ...]] = {
    "en": ("of", "out of"),
    "de": ("von", "aus"),
    "es": ("de", "sobre"),
}

# Compared after accents are folded ("sí" -> "si", "nö" -> "no").
YES_WORDS: Mapping[str, tuple[str, ...]] = {
    "en": ("yes", "yeah", "yep", "yup", "sure", "ok", "okay", "yes please"),
    "de": ("ja", "jawohl", "jep", "jo", "klar", "ja bitte", "ok", "okay"),
    "es": ("si", "claro", "dale", "ok", "vale", "si por favor"),
}
NO_WORDS: Mapping[str, tuple[str, ...]] = {
    "en": ("no", "nope", "nah", "no thanks", "not today"),
    "de": ("nein", "ne", "nee", "no", "noe", "nein danke", "nicht heute", "heute nicht"),
    "es": ("no", "no gracias", "hoy no"),
}
# A strategy's "Done ✓": these mean yes there (and only there).
DONE_WORDS: Mapping[str, tuple[str, ...]] = {
    "en": ("done", "did it", "i did"),
    "de": ("erledigt", "gemacht", "fertig", "geschafft"),
    "es": ("hecho", "lo hice", "listo"),
}

_SPACES = re.compile(r"\s+")
# Punctuation inside ("sí, por favor") separates words like a space.
_INNER = re.compile(r"[,;:!?¡¿.]+")
# Punctuation, emoji and other symbols around the answer ("7!", "¡sí!", "ja 🙂"); a
# leading minus stays, so "-1" is not read as 1.
_EDGES = re.compile(r"^[^\w\-\u2212]+|[\W_]+$")
_SLASH = re.compile(r"^(\w+)\s*/\s*(\w+)$")


def normalize(text: str) -> str:
    """Lower case, accents folded, punctuation around it removed, and inside it (but "/")
    read as a space."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _EDGES.sub("", _SPACES.sub(" ", _INNER.sub(" ", folded)).strip())


def _all(table: Mapping[str, tuple[str, ...]]) -> frozenset[str]:
    return frozenset(word for words in table.values() for word in words)


_NUMBERS: dict[str, int] = {
    word: value for words in NUMBER_WORDS.values() for word, value in words.items()
}
_OUT_OF = tuple(
    sorted({w for words in OUT_OF_WORDS.values() for w in words}, key=len, reverse=True)
)
_YES = _all(YES_WORDS)
_NO = _all(NO_WORDS)
_DONE = _all(DONE_WORDS)


def _number(token: str) -> int | None:
    token = token.strip()
    if token.isascii() and token.isdigit() and len(token) <= 3:
        return int(token)
    return _NUMBERS.get(token)


def _split(text: str) -> tuple[str, str | None]:
    """("7", "10") for "7/10" or "7 of 10"; ("7", None) for "7"."""
    slashed = _SLASH.match(text)
    if slashed:
        return slashed.group(1), slashed.group(2)
    for words in _OUT_OF:
        head, sep, tail = text.partition(f" {words} ")
        if sep:
            return head, tail
    return text, None


def parse_number(text: str, *, highest: int) -> int | None:
    """A whole number from 0 to ``highest`` typed as digits or a word, alone or as
    "n/<highest>" or "n of <highest>"; None for anything else (another scale too)."""
    value_text, top_text = _split(normalize(text))
    value = _number(value_text)
    if value is None or not 0 <= value <= highest:
        return None
    if top_text is not None and _number(top_text) != highest:
        return None
    return value


def parse_yes_no(text: str, *, done_words: bool = False) -> bool | None:
    """True for a yes, False for a no, None for anything else. With ``done_words``,
    "done", "erledigt", "hecho"… count as yes (a strategy's question)."""
    said = normalize(text)
    if said in _YES or (done_words and said in _DONE):
        return True
    if said in _NO:
        return False
    return None
