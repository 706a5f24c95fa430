"""Every need area the intake asks about has a program, and every lesson is in one."""

from __future__ import annotations

from typing import get_args

from bot.content.lessons import Area
from bot.content.library import load_content
from bot.measures.catalog import load_measures
from bot.settings import PROJECT_ROOT, SUPPORTED_LOCALES

CONTENT = PROJECT_ROOT / "content"


def area_program_id(area: str) -> str:
    # A program id cannot hold "_" (LessonId), so work_study's program is work-study.
    return area.replace("_", "-")


def test_every_intake_area_has_a_program_with_lessons():
    library, problems = load_content(CONTENT, SUPPORTED_LOCALES)
    assert problems == []
    intake_areas = [item.id for item in load_measures(CONTENT / "measures")["intake"].items]
    assert set(intake_areas) == set(get_args(Area)) - {"general"}
    for area in intake_areas:
        program = library.program(area_program_id(area))
        assert program is not None, f"no content/programs/{area_program_id(area)}.yaml"
        assert program.lesson_ids, area


def test_no_lesson_is_left_out_of_every_program():
    library, _ = load_content(CONTENT, SUPPORTED_LOCALES)
    in_a_program = {
        lesson for program in library.programs.values() for lesson in program.lesson_ids
    }
    assert sorted(set(library.lesson_ids) - in_a_program) == []
