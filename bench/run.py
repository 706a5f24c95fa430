"""Run every benchmark, one after another, each printing its own table.

Usage: python -m bench.run [--quick]
Each benchmark also runs alone; results go to bench/results/*.json. Run on a
quiet machine: other load skews the figures.
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import time

from bench.common import ROOT

BENCHMARKS: tuple[tuple[str, list[str]], ...] = (
    ("updates per second", [sys.executable, "-m", "bench.updates"]),
    ("delivery", [sys.executable, "bench/delivery.py"]),
    ("crisis check", [sys.executable, "bench/crisis.py"]),
    ("weekly digest", [sys.executable, "bench/digest.py", "--postgres"]),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs (delivery, updates)")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, Python {platform.python_version()}\n")
    failed = 0
    for name, command in BENCHMARKS:
        if args.quick and name == "delivery":
            command = [*command, "--quick"]
        if args.quick and name == "updates per second":
            command = [*command, "--updates", "500"]
        print(f"== {name}: {' '.join(command[1:])}", flush=True)
        started = time.perf_counter()
        failed += subprocess.run(command, cwd=ROOT, check=False).returncode != 0
        print(f"({name} took {time.perf_counter() - started:.0f} s)\n", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
