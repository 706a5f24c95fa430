"""Crisis resources as data (``content/safety/resources.yaml``): which lines a user is shown.

Pure Python, no Telegram. Each line names the countries it applies to, so a
number is never shown as if it worked everywhere. Where the client is decides,
not the language they speak: :func:`country_for_zone` reads the country of the
IANA time zone they chose from the tables tzdata ships, and
:func:`lines_for_client` puts that country's lines first.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Iterable
from functools import cache
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

ANYWHERE = "*"

Country = Annotated[str, StringConstraints(pattern=r"^([A-Z]{2}|\*)$")]
LineId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,40}$")]


class ResourceLine(BaseModel):
    """One place to turn to, in every language, for the countries it applies to."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: LineId
    countries: list[Country] = Field(min_length=1)
    text: dict[str, Annotated[str, StringConstraints(min_length=1, max_length=400)]]

    @property
    def anywhere(self) -> bool:
        return ANYWHERE in self.countries


class CrisisResources(BaseModel):
    """Every line, and which of them each language shows when no country is configured."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lines: list[ResourceLine] = Field(min_length=1)
    defaults: dict[str, list[LineId]] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> CrisisResources:
        ids = [line.id for line in self.lines]
        if len(ids) != len(set(ids)):
            raise ValueError("line ids must be unique")
        if not any(line.anywhere for line in self.lines):
            raise ValueError('one line must apply anywhere (countries: ["*"])')
        for locale, chosen in self.defaults.items():
            unknown = set(chosen) - set(ids)
            if unknown:
                raise ValueError(f"defaults for {locale!r} name unknown lines: {sorted(unknown)}")
        return self

    def require_locales(self, locales: Iterable[str]) -> None:
        """Every line and every language's defaults exist in each of ``locales``."""
        for locale in locales:
            if locale not in self.defaults:
                raise ValueError(f"no defaults for language {locale!r}")
            for line in self.lines:
                if locale not in line.text:
                    raise ValueError(f"line {line.id!r} has no text in {locale!r}")

    def lines_where(
        self, locale: str, country: str | None, shown_in: str | None = None
    ) -> list[str]:
        """The anywhere line, then the country's own lines, then the language's defaults.

        For a country with no lines of its own: the language's defaults alone. The
        texts are in ``shown_in`` (default: ``locale``).
        """
        own = [line for line in self.lines if country and country in line.countries]
        ids = set(self.defaults.get(locale) or next(iter(self.defaults.values())))
        defaults = [line for line in self.lines if line.id in ids and line not in own]
        anywhere = [line for line in defaults if line.anywhere]
        chosen = [*anywhere, *own, *(line for line in defaults if not line.anywhere)]
        return [_text(line, shown_in or locale) for line in chosen]

    def lines_for(
        self, locale: str, country: str | None = None, shown_in: str | None = None
    ) -> list[str]:
        """The texts to show, in order: the anywhere line first, then the country's own.

        With a country that has lines of its own, those; otherwise the
        language's defaults (the first language's when this one has none).
        """
        chosen: list[ResourceLine]
        own = [line for line in self.lines if country and country in line.countries]
        if own:
            chosen = [line for line in self.lines if line.anywhere] + own
        else:
            ids = self.defaults.get(locale) or next(iter(self.defaults.values()))
            chosen = [line for line in self.lines if line.id in ids]
        return [_text(line, shown_in or locale) for line in chosen]


def _text(line: ResourceLine, locale: str) -> str:
    return line.text.get(locale) or line.text.get("en") or next(iter(line.text.values()))


@cache
def _zone_countries() -> dict[str, str]:
    """IANA zone → ISO 3166 code, from tzdata's ``zone.tab`` (one country per zone), then
    ``zone1970.tab`` (its first country) for a zone ``zone.tab`` does not list."""
    folder = importlib.resources.files("tzdata").joinpath("zoneinfo")
    countries: dict[str, str] = {}
    for table in ("zone.tab", "zone1970.tab"):
        try:
            text = folder.joinpath(table).read_text(encoding="utf-8")
        except (FileNotFoundError, OSError):
            continue
        for row in text.splitlines():
            if not row or row.startswith("#"):
                continue
            columns = row.split("\t")
            if len(columns) >= 3:
                countries.setdefault(columns[2], columns[0].split(",")[0])
    return countries


def country_for_zone(zone: str | None) -> str | None:
    """The country of an IANA time zone ("Europe/London" → "GB"); None when unknown."""
    if not zone:
        return None
    return _zone_countries().get(zone)


def lines_for_client(
    resources: CrisisResources,
    *,
    locale: str,
    zone: str | None,
    override_country: str | None = None,
    shown_in: str | None = None,
) -> list[str]:
    """The crisis lines one client is shown, in order.

    ``override_country`` (the installation's ``CRISIS_COUNTRY``) wins: that country's
    lines only. Otherwise the country of the client's time zone: its lines first,
    then the language's defaults; an unknown zone gets the defaults alone. ``shown_in``
    writes the same lines in another language (the practitioner's, in their view).
    """
    if override_country:
        return resources.lines_for(locale, override_country, shown_in)
    return resources.lines_where(locale, country_for_zone(zone), shown_in)
