"""Loading the safety content: lexicons and crisis resources from ``content/safety/``.

Loaded once at start by the composition root; a file that does not validate
stops the start with a message naming the file and the problem.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import ValidationError

from bot import yaml_text
from bot.domain.crisis import CrisisMatcher, Lexicon
from bot.domain.crisis_model import CrisisModel
from bot.domain.crisis_resources import CrisisResources
from bot.settings import PROJECT_ROOT

SAFETY_DIR = PROJECT_ROOT / "content" / "safety"
MODEL_DIR = SAFETY_DIR / "model"
RESOURCES_FILE = "resources.yaml"

_Model = TypeVar("_Model", Lexicon, CrisisResources)


class SafetyContentError(Exception):
    """A safety content file is missing or invalid; the message names it."""


def load_lexicon(path: Path) -> Lexicon:
    lexicon = _validated(Lexicon, path)
    if lexicon.locale != path.stem:
        raise SafetyContentError(f"{path}: says locale {lexicon.locale!r}, file name differs")
    return lexicon


def load_matcher(
    locales: Iterable[str],
    directory: Path = SAFETY_DIR,
    *,
    models: Path | None = MODEL_DIR,
) -> CrisisMatcher:
    """One lexicon per supported language, compiled into the matcher every flow uses,
    with each language's model beside it (``models=None``: the lexicons alone)."""
    locales = list(locales)
    return CrisisMatcher(
        (load_lexicon(directory / f"{locale}.yaml") for locale in locales),
        [load_model(models / f"{locale}.json") for locale in locales] if models else [],
    )


def load_model(path: Path) -> CrisisModel:
    """One language's crisis model (``content/safety/model/<locale>.json``)."""
    try:
        model = CrisisModel.from_json(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise SafetyContentError(f"{path}: cannot be read: {error}") from None
    except (ValueError, KeyError, TypeError) as error:
        raise SafetyContentError(f"{path}: {error}") from None
    if model.locale != path.stem:
        raise SafetyContentError(f"{path}: says locale {model.locale!r}, file name differs")
    return model


def load_resources(locales: Iterable[str], directory: Path = SAFETY_DIR) -> CrisisResources:
    path = directory / RESOURCES_FILE
    resources = _validated(CrisisResources, path)
    try:
        resources.require_locales(locales)
    except ValueError as error:
        raise SafetyContentError(f"{path}: {error}") from None
    return resources


def _validated(model: type[_Model], path: Path) -> _Model:
    try:
        data: Any = yaml_text.load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise SafetyContentError(f"{path}: cannot be read: {error}") from None
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise SafetyContentError(f"{path}: {error}") from None
