"""The crisis-language check: does a message a client typed need the crisis resources at once?

Pure Python, no Telegram. The lexicons are data (``content/safety/<locale>.yaml``),
validated by :class:`Lexicon`; :class:`CrisisMatcher` compiles them once and
answers :meth:`CrisisMatcher.check` with a :class:`CrisisCheck` that carries
rule ids, never the text.

How a message is read (see ``docs/safety.md`` for the reasoning):

1. :mod:`bot.domain.crisis_text` folds case, accents, look-alike digits,
   stretched and spelled-out letters, and cuts the message into words.
2. Per lexicon: its ``replacements`` (German ``ae`` → ``a`` …), then words split
   by a stray space are joined when together they make a keyword (``selbst
   mord``), then misspelt keywords are corrected (``sucide``) with RapidFuzz's
   optimal-string-alignment distance: one edit for a keyword of up to 7
   letters, two from 8 — same first letter, and never a word the lexicon marks
   as ``protected`` (``matarte`` is not ``matarme``).
3. Every rule's patterns are searched. A match is set aside only when one of
   the rule's ``unless`` patterns (a figurative use) covers it, or when the rule
   is ``negatable`` and a negation stands just before or inside it — and
   negation never counts in a message that holds a ``doubts`` word ("but",
   "sometimes", "not sure"), because that is where minimising hides risk.
   When unsure, flag. A pattern none of whose possible first words is in the
   message is skipped without running its regular expression
   (:func:`first_words`): the lexicons are large, and a 4,096-character message
   must stay fast.

Every lexicon is tried, the user's own first: people write in more than one
language, and a missed crisis costs more than a false alarm.

When no lexicon found crisis language (and none set a match aside), the crisis
model of the user's language (:mod:`bot.domain.crisis_model`, a second net for
wordings no pattern lists) may still read the message as an indirect warning
sign: severity medium, rule :data:`MODEL_RULE_ID`.

Pattern syntax (after folding, only ``a-z 0-9``, spaces and ``( ) | ? * ~ # !``):
words separated by single spaces; ``word*`` any ending (inflections);
``(a|b c)`` alternatives; ``(x )?`` optional; ``~`` up to three words of
anything; ``#`` a number. Patterns are whole-word: ``kil*`` does not match ``skill``.
`` !(a|b c)`` after a word: the words that follow are not ``a`` nor ``b c`` (the
message may also end there); it consumes nothing, so a figurative or everyday
continuation is excluded right where it stands, however far the match began
("disappear !(for a|into)" meets "I want to disappear forever", not "... for a
bit"). An optional part just before it can be skipped by the regular-expression
engine, so list its first word too: "wake( up)? !(up|early)".
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.domain.crisis_model import CrisisModel
from bot.domain.crisis_text import Words, collapse_repeats, fold_pattern, split_words


class Severity(StrEnum):
    HIGH = "high"  # explicit: suicide, self-harm, a plan or a method
    # indirect warning signs: passive death wishes, being a burden, entrapment, finality,
    # preparatory acts, farewells. Crisis language too: resources at once and an alert.
    MEDIUM = "medium"
    # Below crisis language: distress ("I'm so overwhelmed today", "😢"). A warm reply and a
    # flag for the practitioner's review, no real-time alert.
    DISTRESS = "distress"


# The rule id of a message the lexicons let through and the model (bot/domain/crisis_model.py)
# read as crisis language: always an indirect warning sign (medium), named so a flag says why.
MODEL_RULE_ID = "model_indirect"
CRISIS_SEVERITIES = frozenset({Severity.HIGH, Severity.MEDIUM})
_RANK = {Severity.HIGH: 2, Severity.MEDIUM: 1, Severity.DISTRESS: 0}
_PATTERN_CHARS = re.compile(r"^[a-z0-9 ()|?*~#!]+$")
_GAP = "(?:[a-z0-9]+ ){0,3}"  # "~ ": up to three words of anything
_NEGATION_WINDOW = 3  # words before a match in which a negation counts
_MIN_CORRECTED_LENGTH = 5  # shorter words are never "corrected" into a keyword

RuleId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,40}$")]
Word = Annotated[str, StringConstraints(min_length=1, max_length=40)]


class Rule(BaseModel):
    """One kind of crisis statement, as patterns, with the uses that are not one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: RuleId
    severity: Severity
    patterns: list[str] = []
    # Characters matched in the raw message, before folding drops them (distress emoji: "😢").
    emoji: list[Annotated[str, StringConstraints(min_length=1, max_length=8)]] = []
    # Figurative uses: a match inside one of these is set aside ("this homework is killing me").
    unless: list[str] = []
    # Whether "never", "not"... just before or inside the match set it aside.
    negatable: bool = False

    @model_validator(mode="after")
    def _something_to_match(self) -> Rule:
        if not self.patterns and not self.emoji:
            raise ValueError(f"rule {self.id!r} needs patterns or emoji")
        if self.emoji and self.severity in CRISIS_SEVERITIES:
            raise ValueError(f"rule {self.id!r}: emoji alone never make crisis language")
        return self


class Lexicon(BaseModel):
    """One language's crisis lexicon (``content/safety/<locale>.yaml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    locale: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")]
    # Spelling variants folded together in text and patterns alike (German "ae" for "ä").
    replacements: dict[str, str] = {}
    negations: list[Word] = Field(min_length=1)
    # Subject pronouns: one between a negation and a match starts a new statement
    # ("not today I want to die"), so the negation no longer counts.
    subjects: list[Word] = []
    doubts: list[Word] = []
    # Distinctive words a misspelling is corrected towards, and words never "corrected".
    keywords: list[Word] = []
    protected: list[Word] = []
    rules: list[Rule] = Field(min_length=1)

    @model_validator(mode="after")
    def _valid_rules(self) -> Lexicon:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise ValueError(f"rule id {rule.id!r} appears twice")
            seen.add(rule.id)
            for pattern in (*rule.patterns, *rule.unless):
                try:
                    compile_pattern(pattern, self.replacements)
                except ValueError as error:
                    raise ValueError(f"rule {rule.id!r}: {error}") from None
        return self


@dataclass(frozen=True)
class CrisisCheck:
    """What the check found. Holds rule ids only: safe to log, never the message.

    ``matched`` means crisis language (high or medium severity): the crisis reply and
    an alert. Distress below it leaves ``matched`` False and names its rule in
    ``distress_rule_id``: a warm reply and a flag for review, no alert.
    """

    matched: bool
    severity: Severity | None = None
    rule_id: str | None = None
    locale: str | None = None  # the lexicon whose rule matched
    set_aside: tuple[str, ...] = ()  # rules that matched but were read as negated or figurative
    distress_rule_id: str | None = None  # only when no crisis rule matched

    @property
    def distress(self) -> bool:
        """Distress, not crisis language: a warm reply and a flag for review, no alert."""
        return not self.matched and self.distress_rule_id is not None


NO_MATCH = CrisisCheck(matched=False)


def compile_pattern(pattern: str, replacements: Mapping[str, str] | None = None) -> re.Pattern[str]:
    """Turn a lexicon pattern into a whole-word regular expression over folded text."""
    return _compiled(pattern, tuple(sorted((replacements or {}).items())))


# Each pattern is compiled when its lexicon is validated and again when the matcher is
# built: about 1,350 of them, beyond ``re``'s own cache of 512. Kept here, start-up
# compiles each once: loading the three lexicons took 0.92 s, now 0.57 s. Bounded: the
# lexicons' patterns are a fixed set.
@functools.lru_cache(maxsize=8192)
def _compiled(pattern: str, replacements: tuple[tuple[str, str], ...]) -> re.Pattern[str]:
    folded = " ".join(fold_pattern(pattern, dict(replacements)).split())
    if not folded or not _PATTERN_CHARS.match(folded):
        raise ValueError(f"pattern {pattern!r} may only hold letters, digits, spaces and ()|?*~#!")
    if re.search(r"!(?!\()|[^ ]!|^!", folded):
        raise ValueError(f"pattern {pattern!r}: write 'word !(a|b)': '!' after a space, before '('")
    if re.search(r"~(?! )|~$", folded):
        raise ValueError(f"pattern {pattern!r}: '~' stands for words and needs a space after it")
    if re.search(r" \([^()]*\)\?$", folded):
        # "word (more)?" at the end would demand a trailing space the text never has
        raise ValueError(f"pattern {pattern!r}: write an optional last word as 'word( more)?'")
    regex = _not_followed_by(
        folded.replace("*", "[a-z0-9]*").replace("#", "[0-9]+").replace("~ ", _GAP)
    )
    try:
        return re.compile(rf"(?<![a-z0-9])(?:{regex})(?![a-z0-9])")
    except re.error as error:
        raise ValueError(f"pattern {pattern!r} is not well formed: {error}") from None


def _not_followed_by(regex: str) -> str:
    """`` !(a|b)`` as a look-ahead: the next words are not ``a`` nor ``b``."""
    while (start := regex.find(" !(")) != -1:
        depth, end = 0, -1
        for index in range(start + 2, len(regex)):
            depth += {"(": 1, ")": -1}.get(regex[index], 0)
            if depth == 0:
                end = index
                break
        if end == -1:
            raise ValueError("'!(' is not closed")
        inner = regex[start + 3 : end]
        regex = f"{regex[:start]}(?! (?:{inner})(?![a-z0-9])){regex[end + 1 :]}"
    return regex


def first_words(pattern: str) -> frozenset[str] | None:
    """The words a match of a folded pattern can start with, or None when that is not plain.

    A cheap filter before the regular expression: a pattern whose possible first words
    are all absent from a message cannot match it (``(wish|hope) ~ wake`` needs "wish"
    or "hope"). None (no filter) for a pattern that starts with a gap, a stem, a number,
    an optional part or a word glued to what follows.
    """
    pattern = pattern.strip()
    if not pattern:
        return None
    if pattern[0] == "(":
        depth, end = 0, 0
        for index, char in enumerate(pattern):
            depth += {"(": 1, ")": -1}.get(char, 0)
            if depth == 0:
                end = index
                break
        if pattern[end + 1 : end + 2] == "?":
            return None
        words: set[str] = set()
        for alternative in _top_level_alternatives(pattern[1:end]):
            found = first_words(alternative)
            if found is None:
                return None
            words |= found
        return frozenset(words)
    word = re.match(r"[a-z0-9]+", pattern)
    if word is None:
        return None
    after = pattern[word.end() : word.end() + 2]
    if after and (after[0] != " " or after == " ?"):
        return None
    return frozenset({word.group(0)})


def _top_level_alternatives(inner: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for index, char in enumerate(inner):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "|" and depth == 0:
            parts.append(inner[start:index])
            start = index + 1
    parts.append(inner[start:])
    return parts


@dataclass(frozen=True)
class _CompiledRule:
    id: str
    severity: Severity
    patterns: tuple[re.Pattern[str], ...]
    # Per pattern, the words its match can start with (None: no filter).
    firsts: tuple[frozenset[str] | None, ...]
    unless: tuple[re.Pattern[str], ...]
    negatable: bool
    emoji: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Match:
    rule: _CompiledRule
    set_aside: bool


class _CompiledLexicon:
    def __init__(
        self, lexicon: Lexicon, negations: set[str], subjects: set[str], doubts: set[str]
    ) -> None:
        self.locale = lexicon.locale
        replacements = dict(lexicon.replacements)
        self._replacements = replacements

        def folded(words: Iterable[str]) -> frozenset[str]:
            return frozenset(fold_pattern(word, replacements) for word in words)

        # Negations and doubts of every language count: "I'm not suizidal" is still negated.
        self._negations = folded(negations)
        self._subjects = folded(subjects)
        self._doubts = folded(doubts)
        self._keywords = sorted(folded(lexicon.keywords))
        self._keyword_set = frozenset(self._keywords)
        self._protected = folded(lexicon.protected)
        self._rules = tuple(
            _CompiledRule(
                id=rule.id,
                severity=rule.severity,
                patterns=tuple(compile_pattern(p, replacements) for p in rule.patterns),
                firsts=tuple(
                    first_words(" ".join(fold_pattern(p, replacements).split()))
                    for p in rule.patterns
                ),
                unless=tuple(compile_pattern(p, replacements) for p in rule.unless),
                negatable=rule.negatable,
                emoji=tuple(rule.emoji),
            )
            for rule in lexicon.rules
        )
        # Each pattern indexed by the words its match can start with: a message is tried
        # only against the patterns whose first words it holds, and those that can start
        # anywhere (a stem, a gap). A loop over every pattern's first words cost more
        # than the regular expressions themselves once the lexicons held 1,350 patterns.
        self._by_first: dict[str, list[tuple[int, int]]] = {}
        self._anywhere: list[tuple[int, int]] = []
        for rule_index, compiled in enumerate(self._rules):
            for pattern_index, firsts in enumerate(compiled.firsts):
                if firsts is None:
                    self._anywhere.append((rule_index, pattern_index))
                    continue
                for first in firsts:
                    self._by_first.setdefault(first, []).append((rule_index, pattern_index))

    def emoji_matches(self, raw: str) -> list[_Match]:
        """Rules met by an emoji in the raw text (folding drops them)."""
        return [
            _Match(rule, set_aside=False)
            for rule in self._rules
            if any(emoji in raw for emoji in rule.emoji)
        ]

    def matches(self, message: Words) -> list[_Match]:
        """Each rule that matched, and whether every one of its matches was set aside."""
        plain = [self._replace(word) for word in message.words]
        # Read as written and as corrected: a correction must never hide a word it changed.
        variants = [(plain, list(message.clauses))]
        corrected = self._corrected_words(plain, list(message.clauses))
        if corrected[0] != plain:
            variants.append(corrected)
        found: list[_Match] = []
        candidates = [self._candidates(words) for words, _clauses in variants]
        for rule_index, rule in enumerate(self._rules):
            outcomes = [
                self._outcome(rule, words, clauses, tried.get(rule_index))
                for (words, clauses), tried in zip(variants, candidates, strict=True)
            ]
            if any(outcome is not None for outcome in outcomes):
                found.append(_Match(rule, set_aside=not any(outcomes)))
        return found

    def _candidates(self, words: list[str]) -> dict[int, set[int]]:
        """Per rule, the patterns that may match these words (see ``_by_first``)."""
        found: dict[int, set[int]] = {}
        for rule_index, pattern_index in self._anywhere:
            found.setdefault(rule_index, set()).add(pattern_index)
        for word in set(words):
            for rule_index, pattern_index in self._by_first.get(word, ()):
                found.setdefault(rule_index, set()).add(pattern_index)
        return found

    def _outcome(
        self,
        rule: _CompiledRule,
        words: list[str],
        clauses: list[int],
        tried: set[int] | None,
    ) -> bool | None:
        """None: no match; True: a real match; False: every match negated or figurative.
        ``tried``: the rule's patterns that may match (None: none may)."""
        if not tried:
            return None
        text = " ".join(words)
        spans = [m.span() for index in sorted(tried) for m in rule.patterns[index].finditer(text)]
        if not spans:
            return None
        exceptions = [m.span() for pattern in rule.unless for m in pattern.finditer(text)]
        doubtful = not self._doubts.isdisjoint(words)
        starts = _word_starts(words)
        return any(
            not _covered(span, exceptions)
            and not (
                rule.negatable and not doubtful and self._negated(span, words, clauses, starts)
            )
            for span in spans
        )

    def _corrected_words(self, words: list[str], clauses: list[int]) -> tuple[list[str], list[int]]:
        """Words split by a stray space joined (``selbst mord``), misspelt keywords corrected."""
        merged_words: list[str] = []
        merged_clauses: list[int] = []
        index = 0
        while index < len(words):
            pair = words[index] + words[index + 1] if index + 1 < len(words) else ""
            if pair and pair in self._keyword_set and words[index] not in self._keyword_set:
                merged_words.append(pair)
                merged_clauses.append(clauses[index])
                index += 2
                continue
            merged_words.append(self._corrected(words[index]))
            merged_clauses.append(clauses[index])
            index += 1
        return merged_words, merged_clauses

    def _replace(self, word: str) -> str:
        # Collapsed before and after: "mooeeechte" must meet "oe" to become "mochte".
        word = collapse_repeats(word)
        for old, new in self._replacements.items():
            word = word.replace(old, new)
        return collapse_repeats(word)

    def _corrected(self, word: str) -> str:
        if (
            len(word) < _MIN_CORRECTED_LENGTH
            or word in self._keyword_set
            or word in self._protected
            or not self._keywords
        ):
            return word
        candidates = process.extract(
            word, self._keywords, scorer=OSA.distance, score_cutoff=2, limit=None
        )
        for keyword, distance, _index in sorted(candidates, key=lambda c: (c[1], c[0])):
            allowed = 1 if len(keyword) <= 7 else 2
            if distance <= allowed and keyword[0] == word[0]:
                return keyword
        return word

    def _negated(
        self, span: tuple[int, int], words: list[str], clauses: list[int], starts: list[int]
    ) -> bool:
        """A negation inside the match, or just before it in the same statement."""
        first = bisect.bisect_right(starts, span[0]) - 1
        last = bisect.bisect_right(starts, span[1] - 1) - 1
        if any(words[i] in self._negations for i in range(first, last + 1)):
            return True
        for i in range(first - 1, max(0, first - _NEGATION_WINDOW) - 1, -1):
            if clauses[i] != clauses[first] or words[i] in self._subjects:
                return False
            if words[i] in self._negations:
                return True
        return False


class CrisisMatcher:
    """Every lexicon compiled once; :meth:`check` is called for each message a client types."""

    def __init__(self, lexicons: Iterable[Lexicon], models: Iterable[CrisisModel] = ()) -> None:
        lexicons = list(lexicons)
        # The second net: consulted only when no lexicon found crisis language.
        self._models = {model.locale: model for model in models}
        negations = {word for lexicon in lexicons for word in lexicon.negations}
        subjects = {word for lexicon in lexicons for word in lexicon.subjects}
        doubts = {word for lexicon in lexicons for word in lexicon.doubts}
        self._lexicons = {
            lexicon.locale: _CompiledLexicon(lexicon, negations, subjects, doubts)
            for lexicon in lexicons
        }
        if not self._lexicons:
            raise ValueError("the crisis check needs at least one lexicon")

    @property
    def locales(self) -> tuple[str, ...]:
        return tuple(self._lexicons)

    def check(self, text: str, locale: str | None = None) -> CrisisCheck:
        """Match ``text`` against every lexicon, the user's own language first.

        When no lexicon finds crisis language, the user's language model (if loaded)
        reads the message: at or above its threshold the message is crisis language of
        medium severity, rule :data:`MODEL_RULE_ID`. The model never lowers or removes
        what a lexicon found: it is asked only when there is nothing to lower, and not
        when a lexicon set a match aside as negated or figurative.
        """
        message = split_words(text)
        order = sorted(self._lexicons, key=lambda code: code != locale)
        best: tuple[_CompiledRule, str] | None = None
        distress: tuple[_CompiledRule, str] | None = None
        set_aside: list[str] = []
        for code in order:
            lexicon = self._lexicons[code]
            found = lexicon.emoji_matches(text)
            if message.words:
                found += lexicon.matches(message)
            for match in found:
                if match.set_aside:
                    set_aside.append(match.rule.id)
                elif match.rule.severity is Severity.DISTRESS:
                    distress = distress or (match.rule, code)
                elif best is None or _RANK[match.rule.severity] > _RANK[best[0].severity]:
                    best = (match.rule, code)
        if best is not None:
            rule, code = best
            return CrisisCheck(
                matched=True,
                severity=rule.severity,
                rule_id=rule.id,
                locale=code,
                set_aside=tuple(set_aside),
            )
        model = self._models.get(locale or "")
        # A match the lexicon read as negated or figurative is its judgement: not overruled.
        if model is not None and not set_aside and model.flags(text):
            return CrisisCheck(
                matched=True,
                severity=Severity.MEDIUM,
                rule_id=MODEL_RULE_ID,
                locale=model.locale,
            )
        if distress is not None:
            rule, code = distress
            return CrisisCheck(
                matched=False,
                severity=Severity.DISTRESS,
                locale=code,
                set_aside=tuple(set_aside),
                distress_rule_id=rule.id,
            )
        return CrisisCheck(matched=False, set_aside=tuple(set_aside))


def _word_starts(words: list[str]) -> list[int]:
    starts, offset = [], 0
    for word in words:
        starts.append(offset)
        offset += len(word) + 1
    return starts


def _covered(span: tuple[int, int], exceptions: list[tuple[int, int]]) -> bool:
    return any(start <= span[0] and span[1] <= end for start, end in exceptions)
