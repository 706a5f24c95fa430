"""A program: an ordered list of lessons, spaced some days apart.

``content/programs/<id>.yaml``::

    id: foundations
    title: {en: Foundations, de: Grundlagen, es: Fundamentos}
    spacing_days: 2
    lessons:
      - lesson: how-between-works
      - lesson: smart-goals
        questions:               # optional, asked after the lesson
          - {en: "...", de: "...", es: "..."}
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Self

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from bot import yaml_text
from bot.content.lessons import LessonId, describe


def _needs_english(text: dict[str, str]) -> dict[str, str]:
    if "en" not in text:
        raise ValueError("needs at least an English text (en)")
    return text


# A text per locale; English is required, being the fallback for any missing language.
LocalizedText = Annotated[
    dict[str, Annotated[str, Field(min_length=1, max_length=300)]], AfterValidator(_needs_english)
]


class ProgramStep(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    lesson: LessonId
    questions: Annotated[list[LocalizedText], Field(default_factory=list, max_length=3)]


class Program(BaseModel):
    """The validated contents of a program file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: LessonId
    title: LocalizedText
    spacing_days: Annotated[int, Field(ge=1, le=30)]
    # When set: after a lesson finished with its reflection answered, the next comes this
    # many days later instead of spacing_days (an engaged client moves on sooner).
    spacing_after_reflection_days: Annotated[int, Field(ge=1, le=30)] | None = None
    lessons: Annotated[list[ProgramStep], Field(min_length=1, max_length=100)]

    @model_validator(mode="after")
    def _well_formed(self) -> Self:
        ids = [step.lesson for step in self.lessons]
        repeated = sorted({lesson for lesson in ids if ids.count(lesson) > 1})
        if repeated:
            raise ValueError(f"lists a lesson more than once: {', '.join(repeated)}")
        return self

    @property
    def lesson_ids(self) -> tuple[str, ...]:
        return tuple(step.lesson for step in self.lessons)

    def title_in(self, locale: str) -> str:
        return self.title.get(locale) or self.title["en"]


class ProgramFileError(ValueError):
    """A program file that cannot be used; the message says what to fix."""


def parse_program(path: Path) -> Program:
    try:
        data = yaml_text.load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ProgramFileError(f"cannot be read: {error}") from None
    except yaml.YAMLError as error:
        raise ProgramFileError(f"is not valid YAML: {' '.join(str(error).split())}") from None
    if not isinstance(data, dict):
        raise ProgramFileError("must be a YAML mapping with id, title, spacing_days and lessons")
    try:
        program = Program.model_validate(data)
    except ValidationError as error:
        raise ProgramFileError(describe(error)) from None
    if program.id != path.stem:
        raise ProgramFileError(f"id {program.id!r} differs from the file name {path.stem!r}")
    return program
