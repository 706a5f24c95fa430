"""`python -m bot content check`: the shipped content passes; each kind of broken file is caught."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cli import main
from bot.content.check import check_content
from bot.content.library import load_content
from bot.content.quality import READING_BANDS, reading_score
from bot.content.telegram_html import visible_text
from bot.safety.content import load_matcher
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


MATCHER = load_matcher(SUPPORTED_LOCALES, models=None)


def problems_in(root: Path) -> list[str]:
    report = check_content(root, SUPPORTED_LOCALES, HEADINGS, matcher=MATCHER)
    return [str(problem) for problem in report.problems]


def test_shipped_content_passes_in_every_language(capsys: pytest.CaptureFixture[str]):
    assert main(["content", "check"]) == 0
    report = capsys.readouterr().out
    shipped = len(list((PROJECT_ROOT / "content" / "psychoeducation" / "en").glob("*.md")))
    assert shipped >= 13
    for locale in SUPPORTED_LOCALES:
        assert f"{locale}: {shipped} lessons" in report
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
    report = check_content(root, SUPPORTED_LOCALES, HEADINGS, matcher=MATCHER)
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
    # The fixture content, not the shipped one: its quality gate takes seconds per run.
    monkeypatch.setenv("CONTENT_DIR", str(FIXTURES / "valid"))
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


# The quality gate (bot/content/quality.py): each kind of bad lesson is named.


def edit_lesson(root: Path, locale: str, change: Callable[[str], str]) -> None:
    path = root / "psychoeducation" / locale / "breathing.md"
    path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")


def in_body(extra: str) -> Callable[[str], str]:
    """Adds ``extra`` as a paragraph right after the front matter."""
    return lambda text: text.replace("\n---\n", f"\n---\n{extra}\n\n", 1)


HARD_SPANISH = (
    "La implementación sistemática de intervenciones psicoterapéuticas multidimensionales "
    "requiere consideraciones metodológicas extraordinariamente pormenorizadas, "
    "particularmente respecto a contextualizaciones socioculturales heterogéneas."
)


# A look-back question (the lesson's ``review``), as in the shipped lessons.
REVIEW = """review:
  question: Which part of the breath do you make longer?
  answers:
  - text: Slower breathing out
    correct: true
    explanation: Yes, a longer out-breath helps the body settle.
  - text: Breathing in
    explanation: A longer out-breath is what calms."""


@pytest.mark.parametrize(
    ("locale", "change", "expected"),
    [
        (
            "es",
            lambda text: text.split("\n---\n")[0] + "\n---\n" + f"\n\n{HARD_SPANISH}" * 12,
            "psychoeducation/es/breathing.md: reading level Szigriszt-Pazos",
        ),
        (
            "en",
            lambda text: text + ("\n\n" + text.split("\n---\n", 1)[1]) * 3,
            "psychoeducation/en/breathing.md: is 6 Telegram page(s) long; a lesson takes 2 to 4",
        ),
        (
            "de",
            lambda text: text.split("\n---\n")[0] + "\n---\nNur ein kurzer Absatz.\n",
            "psychoeducation/de/breathing.md: is 1 Telegram page(s) long",
        ),
        (
            "de",
            lambda text: re.sub(r"sources:\n(  .*\n)+", "", text),
            "psychoeducation/de/breathing.md: front matter: sources: Field required",
        ),
        (
            "en",
            lambda text: text.replace("approach: relaxation\n", ""),
            "front matter: approach: Field required",
        ),
        ("de", in_body("## Noch ein Abschnitt\n\nMehr Text."), "keep the same sections"),
        (
            "es",
            lambda text: re.sub(r"try_this: >-\n(  .*\n)+", "", text),
            "a 'try this' must be in every language or none",
        ),
        (
            "de",
            lambda text: re.sub(r"quiz:\n(  .*\n)+", "", text),
            "keep the same questions",
        ),
        (
            "es",
            lambda text: text.replace("areas: [worry, sleep]", "areas: [worry]"),
            "areas ['worry'] differ from the en lesson's",
        ),
        (
            "en",
            in_body("More in [Worry time](lesson:no-such-lesson)."),
            "links to lesson:no-such-lesson, a lesson that does not exist",
        ),
        ("en", in_body("See [this one](worry-time.md)."), "link 'worry-time.md' goes nowhere"),
        (
            "en",
            in_body("You might think: I'm a burden to everyone."),
            "crisis rule 'burden' (en) fires on «You might think: I'm a burden to everyone.»",
        ),
        ("es", in_body("Piensa: «Soy un inútil»."), "crisis rule 'burden' (es) fires on"),
        (
            "en",
            lambda text: text.replace("\nareas:", f"\n{REVIEW}\nareas:", 1),
            "a look-back question in every language or none",
        ),
        (
            "en",
            lambda text: text.replace(
                "\nareas:", f"\n{REVIEW.replace('Slower', 'A burden to everyone')}\nareas:", 1
            ),
            "crisis rule 'burden' (en) fires on «A burden to everyone",
        ),
    ],
)
def test_each_kind_of_bad_lesson_is_reported(
    tmp_path: Path, locale: str, change: Callable[[str], str], expected: str
):
    root = content_with(tmp_path)
    edit_lesson(root, locale, change)
    problems = problems_in(root)
    assert any(expected in problem for problem in problems), problems


def test_good_links_and_an_exempted_rule_pass(tmp_path: Path):
    root = content_with(tmp_path)
    edit_lesson(
        root, "en", in_body("Also [a web page](https://example.org) and [more](lesson:breathing).")
    )
    edit_lesson(root, "en", in_body("You might think: I'm a burden to everyone."))
    assert any("crisis rule 'burden'" in problem for problem in problems_in(root))
    edit_lesson(
        root, "en", lambda text: text.replace("areas:", "safety_exemptions: [burden]\nareas:")
    )
    assert problems_in(root) == []


def test_a_safety_exemption_must_name_a_rule(tmp_path: Path):
    root = content_with(tmp_path)
    edit_lesson(
        root, "en", lambda text: text.replace("areas:", "safety_exemptions: [Plan!]\nareas:")
    )
    assert any("safety_exemptions.0: String should match" in p for p in problems_in(root))


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_shipped_lesson_is_inside_its_reading_band(locale: str):
    library, _ = load_content(PROJECT_ROOT / "content", SUPPORTED_LOCALES)
    band = READING_BANDS[locale]
    for lesson in library.lessons[locale].values():
        text = "\n\n".join(visible_text(page) for page in library.pages(lesson, "Try this"))
        score = reading_score(text, locale)
        assert score is not None and band.low <= score <= band.high, (lesson.slug, score)
