"""Run every benchmark, then print one table of all their figures and write them as one JSON.

Usage: python -m bench.run [--quick] [--only NAME ...] [--note TEXT]

Each benchmark runs in its own process (as it also runs alone), writes its figures
with ``bench.common.save`` to ``bench/results/<name>.json``, and prints its own lines.
At the end this prints one Markdown table (benchmark, measure, value, unit, command)
of every figure written during this run and writes them all, with the machine, to
``bench/results/all.json``. Adding a benchmark: a module that calls ``save(name,
figures)``, and one line in BENCHMARKS. Run on a quiet machine: other load skews the
figures (the load average is recorded with them).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import RESULTS, ROOT, Figure, format_value, load

COMBINED = "all.json"


@dataclass(frozen=True)
class Benchmark:
    module: str  # run as `python -m <module>`
    quick: tuple[str, ...] = ()  # its arguments under `--quick`
    always: tuple[str, ...] = ()  # its arguments on every run

    @property
    def name(self) -> str:
        return self.module.rpartition(".")[2]


BENCHMARKS: tuple[Benchmark, ...] = (
    Benchmark("bench.http_client", quick=("--calls", "1000")),
    Benchmark("bench.updates", quick=("--updates", "500")),
    Benchmark("bench.delivery", quick=("--quick",)),
    Benchmark("bench.crisis"),
    Benchmark("bench.scale", quick=("--quick",)),
    Benchmark("bench.checkins", quick=("--clients", "100")),
    Benchmark("bench.digest", always=("--postgres",)),
    Benchmark("bench.web_caseload", always=("--postgres",)),
    Benchmark("bench.onboarding_burst"),
)


# --------------------------------------------------------------------------- pure parts


def written_since(folder: Path, since: float) -> list[Path]:
    """The result files a benchmark wrote after ``since`` (a time.time()), by name; never
    the combined file, never a stale file left by an earlier run."""
    if not folder.is_dir():
        return []
    return sorted(
        path
        for path in folder.glob("*.json")
        if path.name != COMBINED and path.stat().st_mtime >= since
    )


def render_table(figures: list[Figure]) -> str:
    """One Markdown table of every figure, in the order given."""
    rows = [("benchmark", "measure", "value", "unit", "command")]
    for figure in figures:
        measure = f"{figure.measure} ({figure.note})" if figure.note else figure.measure
        rows.append(
            (
                figure.benchmark,
                measure,
                format_value(figure.value),
                figure.unit,
                f"`{figure.command}`",
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(5)]

    def line(cells: tuple[str, ...]) -> str:
        padded = [
            cell.rjust(width) if column == 2 else cell.ljust(width)
            for column, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    separator = "| " + " | ".join(
        "-" * (width - 1) + ":" if column == 2 else "-" * width
        for column, width in enumerate(widths)
    )
    return "\n".join([line(rows[0]), separator + " |", *(line(row) for row in rows[1:])])


def combine(
    figures: list[Figure], *, command: str, machine: dict[str, Any], failed: list[str]
) -> dict[str, Any]:
    """Everything one run produced, as the JSON written to ``bench/results/all.json``."""
    return {
        "command": command,
        "machine": machine,
        "failed": failed,
        "figures": [asdict(figure) for figure in figures],
    }


# --------------------------------------------------------------------------- running


def machine_description() -> dict[str, Any]:
    return {
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "system": platform.platform(terse=True),
        "load_average_at_start": round(os.getloadavg()[0], 2),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs, for a first look")
    parser.add_argument(
        "--only",
        nargs="+",
        metavar="NAME",
        choices=[benchmark.name for benchmark in BENCHMARKS],
        help="run only these benchmarks",
    )
    parser.add_argument("--note", default="", help="a word on the conditions, kept in all.json")
    args = parser.parse_args()
    machine = machine_description()
    if args.note:
        machine["note"] = args.note
    print(
        f"machine: {machine['machine']}, {machine['cpus']} CPUs, Python {machine['python']}, "
        f"load average {machine['load_average_at_start']} at start\n",
        flush=True,
    )
    figures: list[Figure] = []
    failed: list[str] = []
    for benchmark in BENCHMARKS:
        if args.only and benchmark.name not in args.only:
            continue
        arguments = [*benchmark.always, *(benchmark.quick if args.quick else ())]
        print(f"== python -m {benchmark.module} {' '.join(arguments)}".rstrip(), flush=True)
        started = time.time()
        returncode = subprocess.run(
            [sys.executable, "-m", benchmark.module, *arguments], cwd=ROOT, check=False
        ).returncode
        if returncode != 0:
            failed.append(benchmark.name)
        for path in written_since(RESULTS, started):
            figures.extend(load(path))
        print(f"({benchmark.name} took {time.time() - started:.0f} s)\n", flush=True)
    machine["load_average_at_end"] = round(os.getloadavg()[0], 2)
    command = " ".join(["python -m bench.run", *sys.argv[1:]])
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / COMBINED
    out.write_text(
        json.dumps(combine(figures, command=command, machine=machine, failed=failed), indent=2)
        + "\n",
        encoding="utf-8",
    )
    print(
        f"machine: {machine['machine']}, {machine['cpus']} CPUs, Python {machine['python']}; "
        f"load average {machine['load_average_at_start']} at start, "
        f"{machine['load_average_at_end']} at the end\n"
    )
    print(render_table(figures))
    if failed:
        print(f"\nFAILED: {', '.join(failed)} (their figures are missing above)")
    print(f"\nall figures written to {out.relative_to(ROOT)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
