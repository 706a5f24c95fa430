"""All lessons and programs, loaded once at start; lookups with an English fallback.

Loading never stops at the first bad file: it keeps what is valid and returns
a list of problems, which ``python -m bot content check`` prints (and fails on)
and the running bot logs. A lesson missing in a language is shown in the
reference language (English) instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.content.lessons import Lesson, LessonFileError, parse_lesson
from bot.content.pages import PageTooLong, paginate
from bot.content.programs import Program, ProgramFileError, parse_program

LESSONS_FOLDER = "psychoeducation"
PROGRAMS_FOLDER = "programs"


@dataclass(frozen=True)
class Problem:
    """Something wrong in one content file, worded for the person who edits it."""

    path: str  # relative to the content folder
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass
class ContentLibrary:
    """Lessons per locale and id, and programs per id."""

    reference_locale: str
    lessons: dict[str, dict[str, Lesson]] = field(default_factory=dict)
    programs: dict[str, Program] = field(default_factory=dict)
    _pages: dict[tuple[str, str, str], list[str]] = field(default_factory=dict, repr=False)

    def lesson(self, lesson_id: str, locale: str) -> Lesson | None:
        """The lesson in ``locale``, else in the reference language, else None."""
        found = self.lessons.get(locale, {}).get(lesson_id)
        if found is None:
            found = self.lessons.get(self.reference_locale, {}).get(lesson_id)
        return found

    @property
    def lesson_ids(self) -> list[str]:
        """Every lesson id, in the reference language's order (by file name)."""
        return list(self.lessons.get(self.reference_locale, {}))

    def program(self, program_id: str) -> Program | None:
        return self.programs.get(program_id)

    def pages(self, lesson: Lesson, try_this_heading: str) -> list[str]:
        """The lesson's pages (cached: content does not change while the bot runs)."""
        key = (lesson.locale, lesson.id, try_this_heading)
        if key not in self._pages:
            self._pages[key] = paginate(lesson.blocks(try_this_heading))
        return self._pages[key]


def load_content(
    content_dir: Path, locales: Iterable[str], reference_locale: str = "en"
) -> tuple[ContentLibrary, list[Problem]]:
    """Every lesson and program under ``content_dir``, and every problem found on the way."""
    locales = tuple(locales)
    library = ContentLibrary(reference_locale=reference_locale)
    problems: list[Problem] = []
    for locale in locales:
        library.lessons[locale] = _load_lessons(content_dir, locale, problems)
    problems += _translation_problems(library, locales)
    library.programs = _load_programs(content_dir, library, problems)
    return library, problems


def _load_lessons(content_dir: Path, locale: str, problems: list[Problem]) -> dict[str, Lesson]:
    folder = content_dir / LESSONS_FOLDER / locale
    if not folder.is_dir():
        problems.append(Problem(f"{LESSONS_FOLDER}/{locale}", "folder is missing"))
        return {}
    lessons: dict[str, Lesson] = {}
    for path in sorted(folder.glob("*.md")):
        where = str(path.relative_to(content_dir))
        try:
            lesson = parse_lesson(path, locale)
        except LessonFileError as error:
            problems.append(Problem(where, str(error)))
            continue
        if lesson.id in lessons:
            other = lessons[lesson.id].slug
            problems.append(Problem(where, f"id {lesson.id!r} is already used by {other}.md"))
            continue
        lessons[lesson.id] = lesson
    return lessons


def _translation_problems(library: ContentLibrary, locales: tuple[str, ...]) -> list[Problem]:
    """Each lesson must exist in every shipped language under the same id."""
    problems = []
    reference = library.lessons.get(library.reference_locale, {})
    for locale in locales:
        if locale == library.reference_locale:
            continue
        present = library.lessons.get(locale, {})
        for lesson_id in reference.keys() - present.keys():
            problems.append(
                Problem(
                    f"{LESSONS_FOLDER}/{locale}",
                    f"lesson {lesson_id!r} has no translation "
                    f"(readers get the {library.reference_locale} text)",
                )
            )
        for lesson_id in present.keys() - reference.keys():
            problems.append(
                Problem(
                    f"{LESSONS_FOLDER}/{locale}/{present[lesson_id].slug}.md",
                    f"lesson {lesson_id!r} does not exist in {library.reference_locale}",
                )
            )
    return sorted(problems, key=str)


def _load_programs(
    content_dir: Path, library: ContentLibrary, problems: list[Problem]
) -> dict[str, Program]:
    programs: dict[str, Program] = {}
    folder = content_dir / PROGRAMS_FOLDER
    known = set(library.lesson_ids)
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        where = str(path.relative_to(content_dir))
        try:
            program = parse_program(path)
        except ProgramFileError as error:
            problems.append(Problem(where, str(error)))
            continue
        missing = [lesson for lesson in program.lesson_ids if lesson not in known]
        if missing:
            problems.append(
                Problem(where, f"names lessons that do not exist: {', '.join(missing)}")
            )
            continue
        programs[program.id] = program
    return programs


def page_problems(library: ContentLibrary, try_this_heading: dict[str, str]) -> list[Problem]:
    """Every lesson, in every language, must render and fit into Telegram's limits."""
    problems = []
    for locale, lessons in library.lessons.items():
        for lesson in lessons.values():
            try:
                library.pages(lesson, try_this_heading.get(locale, "Try this"))
            except PageTooLong as error:
                path = f"{LESSONS_FOLDER}/{locale}/{lesson.slug}.md"
                problems.append(Problem(path, str(error)))
    return problems
