"""Loading every measure file, and reporting every problem in them at once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bot import yaml_text
from bot.measures.model import Measure


@dataclass(frozen=True)
class Problem:
    path: Path
    message: str

    def __str__(self) -> str:
        return f"{self.path.name}: {self.message}"


def check_measures(directory: Path) -> tuple[dict[str, Measure], list[Problem]]:
    """Every valid measure by id, and a readable problem for every invalid file."""
    measures: dict[str, Measure] = {}
    problems: list[Problem] = []
    for path in sorted(directory.glob("*.yaml")):
        try:
            data = yaml_text.load(path.read_text(encoding="utf-8"))
            measure = Measure.model_validate(data)
        except yaml.YAMLError as error:
            problems.append(Problem(path, f"not valid YAML ({error.__class__.__name__})"))
            continue
        except ValidationError as error:
            problems.extend(Problem(path, _describe(problem)) for problem in error.errors())
            continue
        if measure.id != path.stem:
            problems.append(Problem(path, f"id {measure.id!r} differs from the file name"))
        elif measure.id in measures:
            problems.append(Problem(path, f"duplicate id {measure.id!r}"))
        else:
            measures[measure.id] = measure
    return measures, problems


def load_measures(directory: Path) -> dict[str, Measure]:
    """The measures, or an error listing every problem (start-up refuses broken content)."""
    measures, problems = check_measures(directory)
    if problems:
        raise ValueError("broken measure files:\n" + "\n".join(map(str, problems)))
    return measures


def _describe(problem: Mapping[str, Any]) -> str:
    where = ".".join(str(part) for part in problem["loc"])
    message = problem["msg"].removeprefix("Value error, ")
    return f"{where}: {message}" if where else message
