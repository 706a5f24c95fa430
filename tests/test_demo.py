"""The offline demo (the README's first command): a shortened run, and what it produced.

Eight simulated days take in every kind of moment of the full two weeks: the
enrollment, the intake, two SMART goals, check-ins with a milestone, missed
evenings with their nudge, a welcome back, lessons, the Monday digest with its
chart, and at the end the client's progress chart and the practitioner's export.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest

from bot import cli, demo


async def test_the_demo_plays_a_week_and_writes_its_files(tmp_path: Path):
    lines: list[str] = []
    result = await demo.play(out=lines.append, folder=tmp_path / "out", days=8)
    transcript = "\n".join(lines)

    # Both sides of the conversations, in the practitioner's and the client's language.
    assert "Welcome to Between, Dr. Weber!" in transcript
    assert "Lucía → scans the QR code" in transcript
    assert "¡Todo listo!" in transcript
    assert "1 de 9" in transcript  # the intake, one item at a time
    assert "Busquemos un objetivo para las preocupaciones y el estrés." in transcript
    assert "¿Te gustaría hacerlo más pequeño?" in transcript  # confidence 5: a smaller step
    assert transcript.count("Tu objetivo está listo") == 2
    assert "Strategy for goal 2 of Lucía" in transcript
    assert transcript.count("Tu check-in 🌱 (1 de 2)") == 8  # one prompt every evening
    assert "3 check-ins seguidos" in transcript  # the first milestone
    assert transcript.count("Solo un recordatorio suave") == 2  # a nudge after each miss
    assert "tenerte de vuelta" in transcript  # back after the break, never blamed
    assert "Weekly digest, 30 Nov 2026 – 6 Dec 2026" in transcript
    assert "Check-ins: 5 of 7 answered (71%)" in transcript
    assert "Lucía → /progress" in transcript and "Eva → /export Lucía" in transcript

    # The files: images (QR code, digest chart, progress, client view), the export, the
    # transcript itself.
    names = sorted(path.name for path in result.files)
    assert result.folder == tmp_path / "out"
    assert sum(name.endswith(".png") for name in names) == 4
    for path in result.files:
        if path.suffix == ".png":
            assert path.read_bytes().startswith(b"\x89PNG")
    (pdf,) = [path for path in result.files if path.suffix == ".pdf"]
    assert pdf.read_bytes().startswith(b"%PDF")
    (bundle,) = [path for path in result.files if path.suffix == ".zip"]
    with zipfile.ZipFile(bundle) as archive:
        ratings = next(name for name in archive.namelist() if "rating" in name)
        rows = list(csv.DictReader(io.StringIO(archive.read(ratings).decode("utf-8"))))
    # Six evenings answered in eight (two missed), two goals each.
    assert len(rows) == 12
    assert (tmp_path / "out" / "transcript.txt").read_text(encoding="utf-8").strip() == (
        transcript.split("\nFiles written to")[0].strip()
    )


@pytest.mark.parametrize("days", ["0", "15", "-3", "100", "two", "1.5"])
def test_days_outside_one_to_fourteen_are_refused_with_a_clear_message(
    days: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
):
    with pytest.raises(SystemExit) as stopped:
        cli.main(["demo", "--days", days, "--out", str(tmp_path / "out")])
    assert stopped.value.code == 2  # argparse's usage error, before anything runs
    error = capsys.readouterr().err
    assert "--days" in error and "choose 1 to 14" in error
    assert not (tmp_path / "out").exists()


async def test_play_refuses_a_number_of_days_it_cannot_play(tmp_path: Path):
    for days in (0, 15):
        with pytest.raises(ValueError, match="1 to 14 days"):
            await demo.play(out=lambda _line: None, folder=tmp_path / "out", days=days)


def test_a_second_run_starts_from_an_empty_folder(tmp_path: Path):
    folder = tmp_path / "between-demo"
    first = demo.fresh_folder(folder)
    (first / "01-eva-qr.png").write_bytes(b"old")
    (first / "transcript.txt").write_text("old run")
    again = demo.fresh_folder(folder)
    assert again == folder
    assert sorted(path.name for path in again.iterdir()) == [demo.MARK]


def test_a_folder_the_demo_did_not_write_is_left_alone(tmp_path: Path):
    mine = tmp_path / "between-demo"
    mine.mkdir()
    (mine / "thesis.tex").write_text("precious")
    chosen = demo.fresh_folder(mine)
    assert chosen == tmp_path / "between-demo-2"
    assert (mine / "thesis.tex").read_text() == "precious"
    assert sorted(path.name for path in chosen.iterdir()) == [demo.MARK]
    assert demo.fresh_folder(mine) == chosen  # and the next run reuses the new one
