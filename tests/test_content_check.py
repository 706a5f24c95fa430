"""`python -m bot content check`: the shipped content passes; each kind of broken file is caught."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.cli import main
from bot.content.check import check_content
from bot.settings import PROJECT_ROOT, SUPPORTED_LOCALES

FIXTURES = Path(__file__).parent / "fixtures" / "content"
HEADINGS = {"en": "Try this", "de": "Probier das aus", "es": "Pruébalo"}


def content_with(tmp_path: Path, broken: str | None = None, placed_at: str | None = None) -> Path:
    """A copy of the valid fixture content, with one broken file put in place (or removed)."""
    root = tmp_path / "content"
    shutil.copytree(FIXTURES / "valid", root)
    if broken is not None and placed_at is not None:
        target = root / placed_at
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(FIXTURES / "broken" / broken, target)
    return root


def problems_in(root: Path) -> list[str]:
    return [str(problem) for problem in check_content(root, SUPPORTED_LOCALES, HEADINGS).problems]


def test_shipped_content_passes_in_every_language(capsys: pytest.CaptureFixture[str]):
    assert main(["content", "check"]) == 0
    report = capsys.readouterr().out
    for locale in SUPPORTED_LOCALES:
        assert f"{locale}: 13 lessons" in report
    assert "foundations" in report
    assert "measures: gad7, intake, phq9, wellbeing, who5" in report
    assert "no problems found" in report


def test_the_valid_fixture_passes(tmp_path: Path):
    assert problems_in(content_with(tmp_path)) == []


@pytest.mark.parametrize(
    ("broken", "placed_at", "expected"),
    [
        (
            "missing-reflection.md",
            "psychoeducation/en/no-reflection.md",
            "psychoeducation/en/no-reflection.md: front matter: ",
        ),
        (
            "missing-reflection.md",
            "psychoeducation/en/no-reflection.md",
            "reflection: Field required",
        ),
        ("missing-reflection.md", "psychoeducation/en/no-reflection.md", "minutes: Input should"),
        ("bad-yaml.md", "psychoeducation/en/bad-yaml.md", "front matter is not valid YAML"),
        ("no-front-matter.md", "psychoeducation/de/plain.md", "has no front matter"),
        (
            "two-right-answers.md",
            "psychoeducation/en/two-right.md",
            "quiz.0: needs exactly one answer with correct: true (found 2)",
        ),
        ("unreviewed-change.md", "psychoeducation/es/unreviewed.md", "updated after its last"),
        (
            "duplicate-id.md",
            "psychoeducation/en/zz-duplicate.md",
            "id 'breathing' is already used by breathing.md",
        ),
        (
            "orphan.md",
            "psychoeducation/de/nur-deutsch.md",
            "lesson 'only-in-german' does not exist in en",
        ),
        (
            "too-long.md",
            "psychoeducation/es/breathing.md",
            "psychoeducation/es/breathing.md: paragraph 2 is too long for one message",
        ),
        (
            "unknown-lesson.yaml",
            "programs/unknown-lesson.yaml",
            "programs/unknown-lesson.yaml: names lessons that do not exist: no-such-lesson",
        ),
        ("bad-program.yaml", "programs/bad-program.yaml", "spacing_days: Input should be"),
        ("bad-program.yaml", "programs/bad-program.yaml", "lessons: List should have at least"),
        ("wrong-name.yaml", "programs/wrong-name.yaml", "differs from the file name"),
    ],
)
def test_each_kind_of_broken_file_is_reported(
    tmp_path: Path, broken: str, placed_at: str, expected: str
):
    problems = problems_in(content_with(tmp_path, broken, placed_at))
    assert any(expected in problem for problem in problems), problems


def test_a_program_needs_an_english_title(tmp_path: Path):
    problems = problems_in(content_with(tmp_path, "bad-program.yaml", "programs/bad-program.yaml"))
    assert any("needs at least an English text" in problem for problem in problems), problems


def test_a_missing_translation_is_reported_and_falls_back_to_english(tmp_path: Path):
    root = content_with(tmp_path)
    (root / "psychoeducation" / "es" / "breathing.md").unlink()
    report = check_content(root, SUPPORTED_LOCALES, HEADINGS)
    assert [str(p) for p in report.problems] == [
        "psychoeducation/es: lesson 'breathing' has no translation (readers get the en text)"
    ]
    lesson = report.library.lesson("breathing", "es")
    assert lesson is not None and lesson.locale == "en"
    assert report.library.lesson("breathing", "de").locale == "de"


def test_the_command_prints_each_problem_and_exits_non_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    root = content_with(tmp_path, "two-right-answers.md", "psychoeducation/en/two-right.md")
    (root / "psychoeducation" / "de" / "breathing.md").unlink()
    assert main(["content", "check", "--content-dir", str(root)]) == 1
    report = capsys.readouterr().out
    assert "2 problem(s):" in report
    assert "psychoeducation/en/two-right.md: front matter: quiz.0" in report
    assert "lesson 'breathing' has no translation" in report


def test_the_command_fails_when_the_default_program_is_missing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.setenv("DEFAULT_PROGRAM", "no-such-program")
    assert main(["content", "check"]) == 1
    assert "DEFAULT_PROGRAM names this program" in capsys.readouterr().out


def test_the_shipped_content_dir_is_the_default():
    assert (PROJECT_ROOT / "content" / "programs" / "foundations.yaml").is_file()


def test_a_broken_measure_file_fails_the_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    root = content_with(tmp_path)
    (root / "measures").mkdir()
    measures = Path(__file__).parent / "fixtures" / "measures"
    shutil.copy(measures / "good" / "sample.yaml", root / "measures")
    shutil.copy(measures / "broken" / "overlapping_bands.yaml", root / "measures")
    assert main(["content", "check", "--content-dir", str(root)]) == 1
    report = capsys.readouterr().out
    assert "measures: sample" in report
    assert "measures/overlapping_bands.yaml" in report and "must not overlap" in report
