"""Print how the crisis check does on the labelled and held-out sentences, and how fast it is.

    python bench/crisis.py

Recall and false-alarm rate per language and per category (the same figures
``tests/test_crisis_lexicon.py`` asserts bounds on), then the time one check
takes on a message of ordinary length and on one of Telegram's maximum length.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.safety.content import load_matcher
from bot.settings import SUPPORTED_LOCALES
from tests.crisis_labelled import report


def timing() -> str:
    matcher = load_matcher(SUPPORTED_LOCALES)
    short = "Work was stressful today, but I went for a run and feel a bit better."
    longest = (short + " ") * (4096 // (len(short) + 1))
    lines = ["time per check (all three lexicons)"]
    for name, text in (("70 characters", short), (f"{len(longest)} characters", longest)):
        runs = 200 if len(text) < 200 else 20
        started = time.perf_counter()
        for _ in range(runs):
            matcher.check(text, "en")
        elapsed = (time.perf_counter() - started) / runs
        lines.append(f"  {name:<18} {elapsed * 1000:8.2f} ms")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report())
    print()
    print(timing())
