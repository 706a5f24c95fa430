"""Content read once per test process, not once per bot started.

Every ``bot`` fixture builds the real application, and building it read and validated
the lessons and programs, the measures, the Babel catalogs and the crisis lexicons
from YAML and PO files: about 0.2 s of CPU per test, more than most tests' own work.
:func:`install` wraps the loaders that the composition root (``bot/app.py``) calls
with a cache keyed by their arguments and by a fingerprint of the files under every
path argument (name, size, modification time), so a test that points the settings at
other content (``tests/fixtures/content``, a ``tmp_path``) or edits a file gets what
is on disk. Each call gets its own copy of the mutable containers (a test may add a
measure to its bot's ``services.measures``); the parsed lessons, measures and
compiled lexicons themselves are shared (nothing changes them).

Production code is untouched: ``python -m bot run`` builds its services once anyway.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot import app
from bot.content.library import ContentLibrary
from bot.i18n import Catalogs


def _fingerprint(path: Path) -> tuple[object, ...]:
    if path.is_file():
        stat = path.stat()
        return ((str(path), stat.st_size, stat.st_mtime_ns),)
    if not path.is_dir():
        return ((str(path), None),)
    entries: list[tuple[object, ...]] = [(str(path),)]
    for file in sorted(path.rglob("*")):
        stat = file.stat()
        entries.append((str(file), stat.st_size, stat.st_mtime_ns))
    return tuple(entries)


def _key(signature: inspect.Signature, args: tuple, kwargs: dict) -> tuple[object, ...]:
    bound = signature.bind(*args, **kwargs)
    bound.apply_defaults()
    key: list[object] = []
    for name, value in bound.arguments.items():
        if isinstance(value, Path):
            key.append((name, _fingerprint(value)))
        elif isinstance(value, list | tuple | set | frozenset):
            key.append((name, tuple(value)))
        else:
            key.append((name, value))
    return tuple(key)


def cached(loader: Callable[..., Any], copy: Callable[[Any], Any]) -> Callable[..., Any]:
    """``loader`` remembered per arguments and files, each result passed through ``copy``."""
    signature = inspect.signature(loader)
    results: dict[tuple[object, ...], Any] = {}

    @functools.wraps(loader)
    def load(*args: Any, **kwargs: Any) -> Any:
        try:
            key = _key(signature, args, kwargs)
            hash(key)
        except TypeError:  # an argument that cannot be a key (a generator of locales)
            return loader(*args, **kwargs)
        if key not in results:
            results[key] = loader(*args, **kwargs)
        return copy(results[key])

    load.cache = results  # type: ignore[attr-defined]
    return load


def _same(value: Any) -> Any:
    return value


def _copy_library(result: tuple[ContentLibrary, list]) -> tuple[ContentLibrary, list]:
    library, problems = result
    copied = dataclasses.replace(
        library,
        lessons={locale: dict(lessons) for locale, lessons in library.lessons.items()},
        programs=dict(library.programs),
        _pages={},
    )
    return copied, list(problems)


def _copy_measures(result: tuple[dict, list]) -> tuple[dict, list]:
    measures, problems = result
    return dict(measures), list(problems)


def _cached_catalogs() -> type[Catalogs]:
    """``Catalogs`` whose ``load`` is cached (a subclass: only ``bot.app`` sees it)."""
    load = cached(
        lambda locales_dir, locales, default_locale: Catalogs.load(
            locales_dir, locales, default_locale
        ),
        _same,
    )

    class CachedCatalogs(Catalogs):
        @classmethod
        def load(cls, locales_dir: Path, locales: tuple[str, ...], default_locale: str) -> Any:
            return load(locales_dir, locales, default_locale)

    return CachedCatalogs


def _shared_ssl_context(create: Callable[..., Any]) -> Callable[..., Any]:
    """httpx builds a fresh SSL context (loading every CA certificate, ~40 ms of CPU)
    for each client, and PTB makes two clients per bot; the bot only speaks plain HTTP to
    the fake. The default context is made once and shared (it is meant to be shared)."""
    default: list[Any] = []

    @functools.wraps(create)
    def create_ssl_context(verify: Any = True, cert: Any = None, trust_env: bool = True) -> Any:
        if verify is not True or cert is not None or not trust_env:
            return create(verify=verify, cert=cert, trust_env=trust_env)
        if not default:
            default.append(create(verify=verify, cert=cert, trust_env=trust_env))
        return default[0]

    return create_ssl_context


def install(patch: pytest.MonkeyPatch) -> None:
    """Point ``bot.app``'s loaders at cached versions (only ``bot.app``'s own names), and
    share httpx's default SSL context."""
    from httpx._transports import default as httpx_transports

    if hasattr(httpx_transports, "create_ssl_context"):
        patch.setattr(
            httpx_transports,
            "create_ssl_context",
            _shared_ssl_context(httpx_transports.create_ssl_context),
        )
    patch.setattr(app, "load_content", cached(app.load_content, _copy_library))
    patch.setattr(app, "check_measures", cached(app.check_measures, _copy_measures))
    patch.setattr(app, "load_matcher", cached(app.load_matcher, _same))
    patch.setattr(app, "load_resources", cached(app.load_resources, _same))
    patch.setattr(app, "Catalogs", _cached_catalogs())
