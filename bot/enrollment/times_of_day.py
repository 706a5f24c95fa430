"""Reading times of day people type: "8:30", "20 Uhr", "8 pm", "20h", "22-7".

Pure functions; anything unclear gives None so the flow can ask again kindly.
"""

from __future__ import annotations

import re
from datetime import time

_TIME = re.compile(
    r"^\s*(?P<hour>\d{1,2})(?:\s*[:.h]\s*(?P<minute>\d{2}))?\s*"
    r"(?P<suffix>am|a\.m\.|pm|p\.m\.|uhr|h|hs|horas|o'?clock)?\s*$",
    re.IGNORECASE,
)
_RANGE_SEPARATOR = re.compile(r"\s*[-–—]\s*|\s+(?:to|until|bis|a|hasta)\s+", re.IGNORECASE)


def parse_time(text: str) -> time | None:
    """A time of day from a short typed answer, or None."""
    match = _TIME.match(text)
    if not match:
        return None
    hour = int(match.group("hour"))
    minute = int(match.group("minute") or 0)
    suffix = (match.group("suffix") or "").lower().replace(".", "")
    if suffix in ("am", "pm"):
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    if hour == 24 and minute == 0:
        hour = 0
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return time(hour, minute)


def parse_range(text: str) -> tuple[time, time] | None:
    """Two times of day such as "22-7" or "22:00 bis 07:00", or None."""
    parts = _RANGE_SEPARATOR.split(text.strip(), maxsplit=1)
    if len(parts) != 2:
        return None
    start, end = parse_time(parts[0]), parse_time(parts[1])
    if start is None or end is None or start == end:
        return None
    return start, end


def encode(value: time) -> str:
    """Compact form for callback data: "0830"."""
    return f"{value.hour:02d}{value.minute:02d}"


def decode(text: str) -> time | None:
    if len(text) != 4 or not text.isdigit():
        return None
    hour, minute = int(text[:2]), int(text[2:])
    return time(hour, minute) if hour < 24 and minute < 60 else None
