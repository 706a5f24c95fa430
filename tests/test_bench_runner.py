"""The benchmark runner's bookkeeping: which result files belong to a run, the one table,
the one JSON. Pure functions on fixture figures; nothing here is timed."""

from __future__ import annotations

import json
import os
from dataclasses import asdict

import pytest

from bench.common import ROOT, Figure, format_value, load, paired_ratio, save, spread
from bench.run import BENCHMARKS, COMBINED, combine, render_table, written_since

UPDATES = [
    Figure("updates", "Between /help, SQLite", 82.4567, "updates/s", "python -m bench.updates"),
    Figure("updates", "Between /help ÷ best bare", 0.38, "ratio", "python -m bench.updates"),
]
SCALE = [
    Figure(
        "scale",
        "peak resident memory (VmHWM), 100,000 clients, SQLite",
        187.49,
        "MB",
        "python -m bench.scale",
        "after one tick",
    ),
    Figure("scale", "populate 100,000 clients, SQLite", 1234.5, "s", "python -m bench.scale"),
]


def _write(folder, name, figures, mtime):
    path = folder / f"{name}.json"
    path.write_text(json.dumps([asdict(f) for f in figures]), encoding="utf-8")
    os.utime(path, (mtime, mtime))
    return path


def test_a_run_gathers_only_the_files_written_during_it(tmp_path):
    run_started = 1_700_000_000.0
    _write(tmp_path, "updates", UPDATES, run_started + 5)
    _write(tmp_path, "scale", SCALE, run_started + 9)
    _write(tmp_path, "delivery", UPDATES, run_started - 3600)  # an earlier run's leftovers
    _write(tmp_path, COMBINED.removesuffix(".json"), UPDATES, run_started + 10)

    found = written_since(tmp_path, run_started)

    assert [path.name for path in found] == ["scale.json", "updates.json"]
    assert [figure for path in found for figure in load(path)] == SCALE + UPDATES
    assert written_since(tmp_path / "missing", run_started) == []


def test_save_and_load_keep_every_field(tmp_path, monkeypatch):
    monkeypatch.setattr("bench.common.RESULTS", tmp_path)
    path = save("scale", SCALE)
    assert path == tmp_path / "scale.json"
    assert load(path) == SCALE


def test_one_table_lists_every_figure_with_its_command():
    table = render_table(UPDATES + SCALE).splitlines()

    assert [cell.strip() for cell in table[0].split("|")[1:-1]] == [
        "benchmark",
        "measure",
        "value",
        "unit",
        "command",
    ]
    assert table[1].replace(" ", "").startswith("|---")
    assert table[1].split("|")[3].strip().endswith(":")  # values right-aligned
    rows = [[cell.strip() for cell in line.split("|")[1:-1]] for line in table[2:]]
    assert rows == [
        ["updates", "Between /help, SQLite", "82.5", "updates/s", "`python -m bench.updates`"],
        ["updates", "Between /help ÷ best bare", "0.38", "ratio", "`python -m bench.updates`"],
        [
            "scale",
            "peak resident memory (VmHWM), 100,000 clients, SQLite (after one tick)",
            "187",
            "MB",
            "`python -m bench.scale`",
        ],
        ["scale", "populate 100,000 clients, SQLite", "1,234", "s", "`python -m bench.scale`"],
    ]
    assert len({len(line) for line in table}) == 1  # columns line up


def test_the_combined_json_holds_the_run_the_machine_and_what_failed():
    machine = {"machine": "x86_64", "cpus": 2, "load_average_at_start": 4.2}

    combined = combine(
        UPDATES + SCALE, command="python -m bench.run --quick", machine=machine, failed=["crisis"]
    )

    assert json.loads(json.dumps(combined)) == {
        "command": "python -m bench.run --quick",
        "machine": machine,
        "failed": ["crisis"],
        "figures": [asdict(figure) for figure in UPDATES + SCALE],
    }
    assert [Figure(**item) for item in combined["figures"]] == UPDATES + SCALE


def test_values_are_shown_with_sensible_digits():
    assert [format_value(v) for v in (12345.6, 187.49, 82.4567, 3, 0.4567, 0, float("nan"))] == [
        "12,346",
        "187",
        "82.5",
        "3.00",
        "0.457",
        "0.00",
        "–",
    ]


def test_every_benchmark_is_a_module_with_a_distinct_name():
    names = [benchmark.name for benchmark in BENCHMARKS]
    assert len(names) == len(set(names))
    assert {"updates", "delivery", "crisis", "scale"} <= set(names)
    for benchmark in BENCHMARKS:
        assert (ROOT / (benchmark.module.replace(".", "/") + ".py")).is_file(), benchmark


def test_a_ratio_is_the_median_of_the_rounds_ratios_each_against_its_own_round():
    # Round 2's yardstick was disturbed (it ran at half speed): its ratio is an outlier,
    # and the median of the paired ratios is not moved by it.
    between = [300.0, 150.0, 330.0]
    yardstick = [400.0, 100.0, 400.0]
    ratio, note = paired_ratio(between, yardstick)
    assert ratio == pytest.approx(0.825)  # of the ratios 0.75, 1.5 and 0.825
    assert note == "median of 3 rounds: 0.75, 1.50, 0.82"
    assert spread([412.3, 98.76, 1500.0]) == "412, 98.8, 1,500"
