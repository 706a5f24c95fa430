"""A lesson file: YAML front matter (validated) and a Markdown body.

A lesson is ``content/psychoeducation/<locale>/<slug>.md``. The front matter's
``id`` names the lesson across languages (the slug may differ per language);
everything a reader sees comes from the file, so a practitioner can review it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Literal, Self

import frontmatter
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from bot.content.telegram_html import markdown_blocks

LessonId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,39}$")]
Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
RuleName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,40}$")]

# The intake's life areas (content/measures/intake.yaml item ids), and "general" for the
# skills every client may use (goals, setbacks, self-compassion, values, support).
Area = Literal[
    "general",
    "mood",
    "worry",
    "sleep",
    "energy",
    "relationships",
    "work_study",
    "routine",
    "health",
    "focus",
]


class Source(BaseModel):
    """A public source a practitioner can check the lesson against."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: Annotated[Line, StringConstraints(max_length=300)]
    url: Annotated[str, StringConstraints(pattern=r"^https://\S+$")] | None = None


# Inline buttons show about 30 characters on a phone; longer answers get cut off.
MAX_QUIZ_ANSWER_LENGTH = 40


class QuizAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    text: Annotated[Line, StringConstraints(max_length=MAX_QUIZ_ANSWER_LENGTH)]
    correct: bool = False
    explanation: Annotated[Line, StringConstraints(max_length=400)]


class QuizQuestion(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    question: Annotated[Line, StringConstraints(max_length=300)]
    answers: Annotated[list[QuizAnswer], Field(min_length=2, max_length=4)]

    @model_validator(mode="after")
    def _one_right_answer(self) -> Self:
        right = sum(answer.correct for answer in self.answers)
        if right != 1:
            raise ValueError(f"needs exactly one answer with correct: true (found {right})")
        return self


class ReviewQuestion(BaseModel):
    """The spaced-review question asked about a week after the lesson, on its main idea:
    answers in the quiz's format (one right), or none for a question to think over."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    question: Annotated[Line, StringConstraints(max_length=300)]
    answers: Annotated[list[QuizAnswer], Field(default_factory=list, max_length=4)]

    @model_validator(mode="after")
    def _one_right_answer(self) -> Self:
        if not self.answers:
            return self
        right = sum(answer.correct for answer in self.answers)
        if len(self.answers) < 2 or right != 1:
            raise ValueError("needs no answers, or 2 to 4 with exactly one correct: true")
        return self


class LessonMeta(BaseModel):
    """The front matter of a lesson file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: LessonId
    title: Annotated[Line, StringConstraints(max_length=80)]
    summary: Annotated[Line, StringConstraints(max_length=200)]
    minutes: Annotated[int, Field(ge=1, le=10)]
    tags: Annotated[list[LessonId], Field(default_factory=list)]
    try_this: Annotated[Line, StringConstraints(max_length=1200)] | None = None
    reflection: Annotated[Line, StringConstraints(max_length=300)]
    quiz: Annotated[list[QuizQuestion], Field(default_factory=list, max_length=3)]
    review: ReviewQuestion | None = None
    # The need areas the lesson serves and the approach it draws on (e.g. "CBT",
    # "behavioural activation", "CBT-I"), with the sources that back it: a practitioner
    # must be able to check what a lesson teaches, so all three are required.
    areas: Annotated[list[Area], Field(min_length=1)]
    approach: Annotated[Line, StringConstraints(max_length=80)]
    sources: Annotated[list[Source], Field(min_length=1)]
    # Crisis-lexicon rule ids allowed to match this lesson's text (``python -m bot content
    # check`` fails on any other): only for a lesson that has to name crisis language,
    # such as one about staying safe. Empty for every other lesson.
    safety_exemptions: Annotated[list[RuleName], Field(default_factory=list)]
    reviewed: date
    updated: date

    @model_validator(mode="after")
    def _reviewed_after_change(self) -> Self:
        if self.reviewed < self.updated:
            raise ValueError("updated after its last review: have it reviewed, then set reviewed")
        return self


@dataclass(frozen=True)
class Lesson:
    """One lesson in one language, parsed and rendered."""

    locale: str
    slug: str
    meta: LessonMeta
    body: str  # Markdown, as written

    @property
    def id(self) -> str:
        return self.meta.id

    def blocks(self, try_this_heading: str) -> list[str]:
        """The lesson as Telegram HTML blocks, with its exercise (if any) at the end."""
        blocks = markdown_blocks(self.body)
        if self.meta.try_this:
            exercise = markdown_blocks(self.meta.try_this)
            blocks.append(f"<b>{try_this_heading}</b>\n" + "\n\n".join(exercise))
        return blocks


class LessonFileError(ValueError):
    """A lesson file that cannot be used; the message says what to fix."""


def parse_lesson(path: Path, locale: str) -> Lesson:
    """Read and validate one lesson file; raises LessonFileError with a readable reason."""
    try:
        post = frontmatter.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise LessonFileError(f"cannot be read: {error}") from None
    except yaml.YAMLError as error:
        raise LessonFileError(f"front matter is not valid YAML: {_first_line(error)}") from None
    if not post.metadata:
        raise LessonFileError("has no front matter (a block between --- lines at the top)")
    try:
        meta = LessonMeta.model_validate(post.metadata)
    except ValidationError as error:
        raise LessonFileError("front matter: " + describe(error)) from None
    if not post.content.strip():
        raise LessonFileError("has no text after the front matter")
    return Lesson(locale=locale, slug=path.stem, meta=meta, body=post.content)


def describe(error: ValidationError) -> str:
    """pydantic's errors as one readable line per field."""
    problems = []
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"]) or "(top)"
        problems.append(f"{where}: {problem['msg'].removeprefix('Value error, ')}")
    return "; ".join(problems)


def _first_line(error: Exception) -> str:
    return " ".join(str(error).split())
