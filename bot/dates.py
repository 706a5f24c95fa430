"""Dates and times as a practitioner reads them: one helper, used by every part they read
(alerts, the digest, /client, /clients, the access log, the PDF report).

Unambiguous in every language — the month as a word, never "12/10/26": "10 Dec 2026,
19:00", "10. Dez. 2026, 19:00", "10 dic 2026, 19:00" (Babel's ``format_datetime`` with a
pattern per locale; a locale without one gets Babel's own medium format). Times are in
the reader's time zone; when that zone is unknown they are shown in UTC and say so
("… 19:00 UTC"), never a UTC time that looks local.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_datetime

# (a day, a moment) per language: day first, month as an abbreviated word, 24-hour clock.
PATTERNS = {
    "en": ("d MMM y", "d MMM y, HH:mm"),
    "de": ("d. MMM y", "d. MMM y, HH:mm"),
    "es": ("d MMM y", "d MMM y, H:mm"),
}
UTC_LABEL = "UTC"


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


@dataclass(frozen=True)
class Clock:
    """How one reader sees dates: their language and their zone (None: unknown)."""

    locale: str
    zone: ZoneInfo | None = None

    @classmethod
    def of(cls, locale: str, timezone: str | None) -> Clock:
        """The clock of someone whose stored zone name is ``timezone`` (None: not known)."""
        return cls(locale, _zone(timezone))

    def _patterns(self) -> tuple[str, str]:
        return PATTERNS.get(self.locale.split("_")[0], ("medium", "medium"))

    def moment(self, instant: datetime) -> str:
        """An instant at the reader's local time, e.g. "10 Dec 2026, 19:00"."""
        if instant.tzinfo is None:  # stored instants are UTC
            instant = instant.replace(tzinfo=UTC)
        pattern = self._patterns()[1]
        if self.zone is None:
            text = format_datetime(instant, pattern, tzinfo=ZoneInfo("UTC"), locale=self.locale)
            return f"{text} {UTC_LABEL}"
        return format_datetime(instant, pattern, tzinfo=self.zone, locale=self.locale)

    def day(self, value: date | datetime) -> str:
        """A calendar day, e.g. "10 Dec 2026" (an instant: its day in the reader's zone)."""
        if isinstance(value, datetime):
            if value.tzinfo is None:
                value = value.replace(tzinfo=UTC)
            value = value.astimezone(self.zone or ZoneInfo("UTC")).date()
        return format_date(value, self._patterns()[0], locale=self.locale)

    def span(self, start: date, end: date) -> str:
        """Two days, first and last inclusive: "1 Dec 2026 – 7 Dec 2026"."""
        return f"{self.day(start)} – {self.day(end)}"
