"""One lesson stream for a client who follows several programs (one per intake area).

The rules, chosen so that choosing more areas never means more messages:

* one stream: at most one lesson per spacing, whatever the number of programs; the
  spacing is the smallest of the programs' ``spacing_days``;
* the programs take turns: the next lesson comes from the program with the fewest
  lessons delivered for it so far, ties going to the area chosen first; a lesson that
  two programs share is delivered once (the next program's next lesson is taken);
* a lesson finished with its reflection answered moves the stream on sooner when its
  program says so (``spacing_after_reflection_days``);
* two unopened lessons in a row hold the stream: nothing more is sent until the client
  opens one or asks to resume (they are told once, gently).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

#: After this many delivered lessons in a row left unopened, the next one waits.
UNOPENED_LIMIT = 2


@dataclass(frozen=True)
class StreamProgram:
    id: str
    lesson_ids: tuple[str, ...]
    spacing_days: int
    spacing_after_reflection_days: int | None = None


@dataclass(frozen=True)
class Sent:
    """A lesson already delivered to the client, as the stream needs to know it."""

    lesson_id: str
    program_id: str | None
    delivered_at: datetime
    opened: bool
    reflected: bool


def next_lesson(programs: Sequence[StreamProgram], sent: Sequence[Sent]) -> tuple[str, str] | None:
    """(program id, lesson id) of the next lesson, or None when every program is done."""
    sent_ids = {item.lesson_id for item in sent}
    counts = Counter(item.program_id for item in sent)
    candidates = []
    for order, program in enumerate(programs):
        upcoming = next((lesson for lesson in program.lesson_ids if lesson not in sent_ids), None)
        if upcoming is not None:
            candidates.append((counts[program.id], order, program.id, upcoming))
    if not candidates:
        return None
    _, _, program_id, lesson_id = min(candidates)
    return program_id, lesson_id


def last_sent(sent: Sequence[Sent]) -> Sent | None:
    return max(sent, key=lambda item: item.delivered_at, default=None)


def spacing(programs: Sequence[StreamProgram], sent: Sequence[Sent]) -> int:
    """Days between two lessons of the stream, after the last one delivered."""
    days = min(program.spacing_days for program in programs)
    last = last_sent(sent)
    if last is not None and last.reflected:
        program = next((p for p in programs if p.id == last.program_id), None)
        if program is not None and program.spacing_after_reflection_days is not None:
            days = min(days, program.spacing_after_reflection_days)
    return days


def held(sent: Sequence[Sent]) -> bool:
    """Whether the last :data:`UNOPENED_LIMIT` lessons delivered were all left unopened."""
    recent = sorted(sent, key=lambda item: item.delivered_at)[-UNOPENED_LIMIT:]
    return len(recent) == UNOPENED_LIMIT and not any(item.opened for item in recent)
