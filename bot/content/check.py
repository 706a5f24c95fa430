"""``python -m bot content check``: every lesson and program, validated and measured.

Reports, per file, what a content editor must fix: front matter that does not
validate (including malformed quizzes), a lesson missing in a shipped language
(readers would get English), a lesson whose text does not fit Telegram's
limits once rendered, a program naming a lesson that does not exist, and any
measure file (``measures/<id>.yaml``) that does not validate; then the lesson
quality gate (bot/content/quality.py): reading level, length in pages, the same
structure in every language, cross-links, and no crisis language.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.content.library import ContentLibrary, Problem, load_content, page_problems
from bot.content.quality import quality_problems
from bot.domain.crisis import CrisisMatcher
from bot.measures.catalog import check_measures


@dataclass(frozen=True)
class ContentReport:
    library: ContentLibrary
    locales: tuple[str, ...]
    problems: list[Problem]
    measures: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def render(self) -> str:
        """A readable report: a summary line per language, then each problem."""
        lines = []
        for locale in self.locales:
            count = len(self.library.lessons.get(locale, {}))
            lines.append(f"{locale}: {count} lessons")
        lines.append(f"programs: {', '.join(sorted(self.library.programs)) or '(none)'}")
        lines.append(f"measures: {', '.join(self.measures) or '(none)'}")
        if self.ok:
            lines.append("Content check passed: no problems found.")
            return "\n".join(lines)
        lines.append(f"{len(self.problems)} problem(s):")
        lines.extend(f"  {problem}" for problem in self.problems)
        return "\n".join(lines)


def check_content(
    content_dir: Path,
    locales: Sequence[str],
    try_this_headings: Mapping[str, str],
    *,
    default_program: str | None = None,
    matcher: CrisisMatcher | None = None,
) -> ContentReport:
    """Everything under ``content_dir``; lessons are checked against the shipped lexicons."""
    if matcher is None:
        from bot.safety.content import load_matcher

        # The lexicons only: lesson prose names crisis topics on purpose (rule by rule,
        # through safety_exemptions), and the model, trained on short client messages,
        # has no rule a lesson could name.
        matcher = load_matcher(locales, models=None)
    library, problems = load_content(content_dir, locales, "en")
    problems += page_problems(library, dict(try_this_headings))
    problems += quality_problems(library, dict(try_this_headings), matcher)
    if default_program is not None and library.program(default_program) is None:
        problems.append(
            Problem(
                f"programs/{default_program}.yaml",
                "DEFAULT_PROGRAM names this program, but there is no valid file for it",
            )
        )
    measures, measure_problems = check_measures(content_dir / "measures")
    problems += [Problem(f"measures/{p.path.name}", p.message) for p in measure_problems]
    return ContentReport(library, tuple(locales), problems, tuple(sorted(measures)))
