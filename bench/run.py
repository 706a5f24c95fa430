"""Run every benchmark, print one table, and write bench/results/all.json.

Usage: python -m bench.run
Each benchmark also runs alone (python -m bench.<name>); figures print with the
command that produced them. Run on a quiet machine: other load skews them.
"""

from __future__ import annotations

import importlib
import platform
import time

from bench.common import Figure, save

BENCHMARKS = ("bench.updates",)


def main() -> None:
    figures: list[Figure] = []
    for name in BENCHMARKS:
        started = time.perf_counter()
        figures.extend(importlib.import_module(name).run_default())
        print(f"({name} took {time.perf_counter() - started:.0f} s)")
    print(
        f"\nmachine: {platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}\n"
    )
    print("| benchmark | measure | value | command |\n| --- | --- | ---: | --- |")
    for f in figures:
        print(f"| {f.benchmark} | {f.measure} | {f.value:,.2f} {f.unit} | `{f.command}` |")
    print(f"\nwritten to {save('all', figures)}")


if __name__ == "__main__":
    main()
