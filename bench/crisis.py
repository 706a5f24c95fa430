"""Print how the crisis check does on the labelled and held-out sentences, and how fast it is.

    python -m bench.crisis

Recall and false-alarm rate per language and per category, for both tiers
(crisis language; distress below it), on the labelled set, the first held-out
set and the held-out set written for issue 16 (the same figures
``tests/test_crisis_lexicon.py`` asserts bounds on), its batches 2 and 3 (batch 3
written blind; both measured only, never asserted), then the time one check
takes on a message of ordinary length and on one of Telegram's maximum length.
The per-language totals and the timings go to bench/results/crisis.json.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Figure, command_line, print_figures, save
from bot.safety.content import load_matcher
from bot.settings import SUPPORTED_LOCALES
from tests.crisis_labelled import SETS, Evaluation, evaluate

COMMAND = command_line("bench.crisis")


def accuracy(evaluation: Evaluation) -> list[Figure]:
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
                f"distress tier on distress sentences, {evaluation.name} set",
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
            f"distress tier on all sentences, {evaluation.name} set",
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
            f"recall, {evaluation.name} set",
            flagged / should_flag * 100,
            "%",
            COMMAND,
            per_language("flagged_correctly", "should_flag"),
        ),
        Figure(
            "crisis",
            f"false alarms, {evaluation.name} set",
            alarms / should_not * 100,
            "%",
            COMMAND,
            per_language("false_alarms", "should_not"),
        ),
    ]


def timing() -> list[Figure]:
    matcher = load_matcher(SUPPORTED_LOCALES)
    short = "Work was stressful today, but I went for a run and feel a bit better."
    longest = (short + " ") * (4096 // (len(short) + 1))
    figures = []
    for text in (short, longest):
        runs = 200 if len(text) < 200 else 20
        started = time.perf_counter()
        for _ in range(runs):
            matcher.check(text, "en")
        elapsed = (time.perf_counter() - started) / runs
        figures.append(
            Figure(
                "crisis",
                f"one check of {len(text):,} characters (all three lexicons)",
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
    results = [figure for evaluation in evaluations for figure in accuracy(evaluation)]
    results += timing()
    print_figures(results)
    print(f"written to {save('crisis', results)}")
