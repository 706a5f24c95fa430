"""Catalogs are complete in every language, match the code, and are valid Telegram HTML."""

from __future__ import annotations

import re
import string
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import Catalogs, supported_language
from bot.settings import PROJECT_ROOT, SUPPORTED_LOCALES

LOCALES_DIR = PROJECT_ROOT / "locales"
TELEGRAM_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre"}


def read_catalog(path: Path):
    with path.open("rb") as po_file:
        return read_po(po_file)


def msgids_in_code() -> set[str]:
    """What `pybabel extract -F babel.cfg` would find, computed here so the test can't go stale."""
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        PROJECT_ROOT,
        method_map=[("bot/**.py", "python"), ("bot/web/templates/**.html", "jinja2")],
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


class _TagChecker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.open: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in TELEGRAM_TAGS:
            self.problems.append(f"unsupported tag <{tag}>")
        self.open.append(tag)

    def handle_endtag(self, tag):
        if not self.open or self.open.pop() != tag:
            self.problems.append(f"unbalanced </{tag}>")

    def handle_entityref(self, name):
        if name not in {"lt", "gt", "amp", "quot"}:
            self.problems.append(f"unsupported entity &{name};")


def html_problems(text: str) -> list[str]:
    checker = _TagChecker()
    checker.feed(text)
    checker.close()
    if re.search(r"&(?![a-z]+;|#\d+;)", text):
        checker.problems.append("bare & (write &amp;)")
    return checker.problems + [f"unclosed <{tag}>" for tag in checker.open]


def test_template_holds_every_string_in_the_code():
    template = {
        m.id if isinstance(m.id, str) else m.id[0]
        for m in read_catalog(LOCALES_DIR / "messages.pot")
        if m.id
    }
    missing = msgids_in_code() - template
    assert not missing, f"run pybabel extract (README, 'Adding a string'): {sorted(missing)}"


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_catalog_translates_every_msgid(locale: str):
    catalog = read_catalog(LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po")
    problems = []
    for msgid in msgids_in_code():
        message = catalog.get(msgid) or next(
            (m for m in catalog if isinstance(m.id, tuple) and m.id[0] == msgid), None
        )
        if message is None:
            problems.append(f"missing: {msgid!r}")
            continue
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(forms):
            problems.append(f"untranslated or fuzzy: {msgid!r}")
            continue
        source = message.id if isinstance(message.id, tuple) else (message.id,)
        expected = set().union(*(placeholders(s) for s in source)) - {"count"}
        for form in forms:
            if placeholders(form) - {"count"} != expected:
                problems.append(f"placeholders differ in {msgid!r}: {form!r}")
            problems.extend(f"{p} in {locale} {msgid!r}" for p in html_problems(form))
    assert not problems, "\n".join(problems)


def test_catalogs_compile_and_translate():
    catalogs = Catalogs.load(LOCALES_DIR, SUPPORTED_LOCALES, "en")
    assert catalogs.translator("de")._("Hello, {name}!", name="Ana") == "Hallo, Ana!"
    assert catalogs.translator("es")._("Hello, {name}!", name="Ana") == "¡Hola, Ana!"
    assert catalogs.translator("en")._("Hello!") == "Hello!"
    # an unknown locale gets the default language, not an error
    assert catalogs.translator("fr")._("Hello!") == "Hello!"


@pytest.mark.parametrize(
    ("chosen", "telegram", "expected"),
    [
        (None, "de", "de"),
        (None, "es-419", "es"),
        (None, "de-AT", "de"),
        (None, "ES", "es"),
        (None, "pt-br", "en"),
        (None, None, "en"),
        (None, "", "en"),
        (None, "x-klingon-!!", "en"),
        ("es", "de", "es"),
        ("fr", "de", "de"),
    ],
)
def test_locale_resolution(chosen, telegram, expected):
    catalogs = Catalogs.load(LOCALES_DIR, SUPPORTED_LOCALES, "en")
    assert catalogs.resolve(chosen, telegram) == expected


def test_default_locale_applies_when_nothing_matches():
    catalogs = Catalogs.load(LOCALES_DIR, SUPPORTED_LOCALES, "de")
    assert catalogs.resolve(None, "pt-br") == "de"


def test_region_forms_map_to_base_languages():
    assert supported_language("es_MX", ("en", "es")) == "es"
    assert supported_language("zh-hans", ("en", "es")) is None
