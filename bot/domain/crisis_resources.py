"""Crisis resources as data (``content/safety/resources.yaml``): which lines a user is shown.

Pure Python, no Telegram. Each line names the countries it applies to, so a
number is never shown as if it worked everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
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

    def lines_for(self, locale: str, country: str | None = None) -> list[str]:
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
        return [_text(line, locale) for line in chosen]


def _text(line: ResourceLine, locale: str) -> str:
    return line.text.get(locale) or line.text.get("en") or next(iter(line.text.values()))
