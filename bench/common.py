"""What every benchmark shares: the fake Telegram, bot processes, timing, results."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from bot.crypto import generate_key
from bot.offline.fake_bot_api import FakeBotApi
from tests.processes import stop

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
POSTGRES_SERVER = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


#: The CPUs this bench may use, read once (``pinned`` narrows the bench's own).
_CPUS = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []


def pinned(command: list[str]) -> list[str]:
    """``command`` on a CPU of its own, the bench (and the fake Bot API in it) on another.

    A bot under test and the fake it talks to otherwise take turns on the same cores
    with everything else, and the scheduler's choices moved one bot's rate by half
    between runs. Each bot of a comparison is pinned the same way, so the ratios read
    what each bot costs itself. ``BENCH_NO_PIN=1`` (or one CPU, or no ``taskset``):
    unpinned."""
    if len(_CPUS) < 2 or shutil.which("taskset") is None or os.environ.get("BENCH_NO_PIN"):
        return command
    os.sched_setaffinity(0, {_CPUS[0]})
    return ["taskset", "-c", str(_CPUS[1]), *command]


@dataclass(frozen=True)
class Figure:
    benchmark: str
    measure: str
    value: float
    unit: str
    command: str
    note: str = ""


def save(name: str, figures: list[Figure]) -> Path:
    """Write one benchmark's figures to ``bench/results/<name>.json`` (a list of Figure
    dicts); ``python -m bench.run`` gathers every file written during its run."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps([asdict(f) for f in figures], indent=2) + "\n", encoding="utf-8")
    return path


def load(path: Path) -> list[Figure]:
    """The figures ``save`` wrote."""
    return [Figure(**item) for item in json.loads(path.read_text(encoding="utf-8"))]


def command_line(module: str, argv: list[str] | None = None) -> str:
    """How to reproduce this run: ``python -m <module>`` and the arguments it was given."""
    arguments = sys.argv[1:] if argv is None else argv
    return " ".join(["python -m", module, *arguments])


def format_value(value: float) -> str:
    """Enough digits to read, not more: 1234 → "1,234", 12.34 → "12.3", 3 → "3.00",
    0.4567 → "0.457"."""
    if value != value:  # NaN
        return "–"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1 or value == 0:
        return f"{value:.2f}"
    return f"{value:.3g}"


def print_figures(figures: list[Figure]) -> None:
    """One benchmark's own short table (the runner prints the combined one)."""
    for figure in figures:
        note = f"  ({figure.note})" if figure.note else ""
        print(f"  {figure.measure:<52} {format_value(figure.value):>10} {figure.unit}{note}")


#: Rounds of a comparison by default: each bot of it measured this many times, in turn.
ROUNDS = 3


def paired_ratio(values: list[float], yardsticks: list[float]) -> tuple[float, str]:
    """The median of ``values[i] / yardsticks[i]`` (each pair measured in the same round,
    one right after the other), and a note listing every round's ratio.

    One run of a bot moved by half from the next on this shared machine; a pair taken in
    turn shares the machine's state, and the median of three pairs is not thrown by one
    disturbed run, where one pair or the best of several runs of one bot would be."""
    ratios = [value / yardstick for value, yardstick in zip(values, yardsticks, strict=True)]
    note = ", ".join(f"{ratio:.2f}" for ratio in ratios)
    return statistics.median(ratios), f"median of {len(ratios)} rounds: {note}"


def spread(values: list[float]) -> str:
    """Every run's figure, for a note: "412, 398, 455"."""
    return ", ".join(format_value(value) for value in values)


def bot_environment(fake: FakeBotApi, database_url: str, **extra: str) -> dict[str, str]:
    environment = dict(os.environ)
    environment.update(
        BOT_TOKEN=fake.token,
        TELEGRAM_API_URL=fake.url,
        DATABASE_URL=database_url,
        POLLING_TIMEOUT="1",
        ENCRYPTION_KEYS=generate_key(),
        LOG_LEVEL="WARNING",
        RATE_LIMIT_PER_SECOND="1000",
        **extra,
    )
    return environment


@contextmanager
def process(command: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    child = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        yield child
    finally:
        stop(child)


def wait_for(
    condition: Callable[[], bool], timeout: float, what: str, interval: float = 0.005
) -> float:
    """Seconds until ``condition`` held (checked every ``interval``); raises if it did not
    within ``timeout``."""
    start = time.perf_counter()
    while not condition():
        if time.perf_counter() - start > timeout:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(interval)
    return time.perf_counter() - start


@contextmanager
def postgres_database() -> Iterator[str | None]:
    """A throwaway PostgreSQL database URL, or None when no server answers."""
    sys.path.insert(0, str(ROOT))
    from tests.postgres import PostgresServer

    server = PostgresServer(POSTGRES_SERVER)
    try:
        name = server.create_database()
    except Exception as error:
        print(f"(PostgreSQL not reachable: {type(error).__name__}; its figures are skipped)")
        yield None
        return
    try:
        yield server.url_for(name)
    finally:
        server.drop_database(name)
