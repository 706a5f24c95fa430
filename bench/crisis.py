"""Print how the crisis check does on the labelled and held-out sentences, and how fast it is.

    python -m bench.crisis

Recall and false-alarm rate per language and per category (the same figures
``tests/test_crisis_lexicon.py`` asserts bounds on), then the time one check
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
from tests.crisis_labelled import Evaluation, evaluate

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

    return [
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
    labelled, held_out = evaluate("labelled"), evaluate("held-out", holdout=True)
    print(labelled.table())
    print()
    print(held_out.table())
    print()
    results = [*accuracy(labelled), *accuracy(held_out), *timing()]
    print_figures(results)
    print(f"written to {save('crisis', results)}")
