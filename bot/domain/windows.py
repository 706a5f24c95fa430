"""When a prompt may be answered, and when its one gentle nudge is due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class PromptState(StrEnum):
    OPEN = "open"
    EXPIRED = "expired"


@dataclass(frozen=True)
class ResponseWindow:
    """Answerable for ``length`` after ``sent_at``, with one nudge after ``nudge_after``."""

    sent_at: datetime
    length: timedelta
    nudge_after: timedelta

    def __post_init__(self) -> None:
        if self.sent_at.tzinfo is None:
            raise ValueError("windows work on aware instants")
        if not timedelta(0) < self.nudge_after < self.length:
            raise ValueError("the nudge must fall inside the window")

    @property
    def closes_at(self) -> datetime:
        return self.sent_at + self.length

    @property
    def nudge_at(self) -> datetime:
        return self.sent_at + self.nudge_after

    def state(self, now: datetime) -> PromptState:
        return PromptState.OPEN if now < self.closes_at else PromptState.EXPIRED

    def nudge_due(self, now: datetime, *, answered: bool, nudged: bool) -> bool:
        """One nudge only, only while unanswered and still open."""
        return not answered and not nudged and self.nudge_at <= now < self.closes_at
