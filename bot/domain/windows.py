"""When a prompt may be answered, and when its one gentle nudge is due; and the one
window a practitioner's views count in (:func:`review_week`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from bot.domain.review import Week


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


def review_week(today: date) -> Week:
    """The one window every practitioner view counts in (the digest, /client, the PDF,
    the alerts' reasons): the seven local days before ``today``, today left out because
    it is not over (its check-in may still be open). Read the same morning, the digest
    and /client therefore agree on every count and name the same dates."""
    return Week.before(today)
