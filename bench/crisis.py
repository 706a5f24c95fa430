"""Print how the crisis check does on the labelled and held-out sentences, and how fast it is.

    python -m bench.crisis

Recall and false-alarm rate per language and per category, for both tiers
(crisis language; distress below it), on the labelled set, the first held-out
set and the held-out set written for issue 16 (the same figures
``tests/test_crisis_lexicon.py`` asserts bounds on), its batches 2 and 3 (batch 3
written blind; both measured only, never asserted) and batch 4 when its files
are in tests/data/crisis_heldout (written blind, measured once, then read for the
lexicon round of 2026-12-07: no longer blind), and batch 5 likewise (written blind
after that round, measured once, then read for round 6: no longer blind), and
batch 6 (written blind during round 6, measured once after it: docs/safety.md).
These tables are the lexicons alone; then, per set, the lexicons alone beside
the lexicons with the crisis model (bot/domain/crisis_model.py), as the bot runs
them. Last, the time one check takes on a message of ordinary length and on one
of Telegram's maximum length, with and without the model, and the model alone.
The per-language totals and the timings go to bench/results/crisis.json.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Figure, command_line, print_figures, save
from bot.domain.crisis import CrisisMatcher
from bot.safety.content import MODEL_DIR, load_matcher, load_model
from bot.settings import SUPPORTED_LOCALES
from tests.crisis_labelled import SETS, Evaluation, combined_matcher, compare, evaluate

COMMAND = command_line("bench.crisis")


def accuracy(evaluation: Evaluation, label: str = "") -> list[Figure]:
    """Recall and false alarms over every language of one set; each language in the note."""
    tallies = evaluation.overall
    flagged = sum(t.flagged_correctly for t in tallies.values())
    should_flag = sum(t.should_flag for t in tallies.values())
    alarms = sum(t.false_alarms for t in tallies.values())
    should_not = sum(t.should_not for t in tallies.values())

    def per_language(part: str, whole: str) -> str:
        return ", ".join(
            f"{locale} {getattr(t, part)}/{getattr(t, whole)}" for locale, t in tallies.items()
        )

    counted = sum(t.counted for t in tallies.values())
    distress = sum(t.distress for t in tallies.values())
    wanted = [t for (_, category), t in evaluation.by_category.items() if category == "distress"]
    distress_answered = sum(t.distress for t in wanted)
    distress_sentences = sum(t.counted for t in wanted)
    figures = []
    if distress_sentences:
        figures.append(
            Figure(
                "crisis",
                f"distress tier on distress sentences, {evaluation.name} set{label}",
                distress_answered / distress_sentences * 100,
                "%",
                COMMAND,
                ", ".join(
                    f"{locale} {t.distress}/{t.counted}"
                    for (locale, category), t in evaluation.by_category.items()
                    if category == "distress"
                ),
            )
        )
    figures.append(
        Figure(
            "crisis",
            f"distress tier on all sentences, {evaluation.name} set{label}",
            distress / counted * 100,
            "%",
            COMMAND,
            per_language("distress", "counted"),
        )
    )
    return [
        *figures,
        Figure(
            "crisis",
            f"recall, {evaluation.name} set{label}",
            flagged / should_flag * 100,
            "%",
            COMMAND,
            per_language("flagged_correctly", "should_flag"),
        ),
        Figure(
            "crisis",
            f"false alarms, {evaluation.name} set{label}",
            alarms / should_not * 100,
            "%",
            COMMAND,
            per_language("false_alarms", "should_not"),
        ),
    ]


def timing() -> list[Figure]:
    short = "Work was stressful today, but I went for a run and feel a bit better."
    longest = (short + " ") * (4096 // (len(short) + 1))
    model = load_model(MODEL_DIR / "en.json")
    checks: list[tuple[str, CrisisMatcher | None]] = [
        ("all three lexicons", load_matcher(SUPPORTED_LOCALES, models=None)),
        ("all three lexicons and the English model", load_matcher(SUPPORTED_LOCALES)),
        ("the English model alone", None),
    ]
    figures = []
    for what, matcher in checks:
        for text in (short, longest):
            runs = 200 if len(text) < 200 else 20
            started = time.perf_counter()
            for _ in range(runs):
                if matcher is None:
                    model.probability(text)
                else:
                    matcher.check(text, "en")
            elapsed = (time.perf_counter() - started) / runs
            figures.append(
                Figure(
                    "crisis",
                    f"one check of {len(text):,} characters ({what})",
                    elapsed * 1000,
                    "ms",
                    COMMAND,
                )
            )
    return figures


if __name__ == "__main__":
    evaluations = [evaluate(name) for name in SETS]
    for evaluation in evaluations:
        print(evaluation.table())
        print()
    for name in SETS:
        print(compare(name))
        print()
    results = [figure for evaluation in evaluations for figure in accuracy(evaluation)]
    results += [
        figure
        for name in SETS
        for figure in accuracy(
            evaluate(name, matcher=combined_matcher()), label=" (lexicon and model)"
        )
    ]
    results += timing()
    print_figures(results)
    print(f"written to {save('crisis', results)}")
