"""Translations: gettext catalogs compiled in memory at start, one translator per locale.

The catalogs in ``locales/<lang>/LC_MESSAGES/messages.po`` are the source of
truth; they are compiled when the bot starts, so a fresh clone needs no build
step and a stale ``.mo`` file can never hide a fixed translation.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

DOMAIN = "messages"


def N_(message: str) -> str:
    """Mark a string for extraction without translating it yet (translated where shown)."""
    return message


@dataclass(frozen=True)
class Translator:
    """Translates and fills named placeholders for one locale."""

    locale: str
    translations: Translations

    def gettext(self, message: str, /, **params: object) -> str:
        text = self.translations.ugettext(message)
        return text.format(**params) if params else text

    _ = gettext

    def ngettext(self, singular: str, plural: str, count: int, /, **params: object) -> str:
        text = self.translations.ungettext(singular, plural, count)
        return text.format(count=count, **params)


class Catalogs:
    """Every supported locale's translator, plus the rules for picking one."""

    def __init__(self, translators: dict[str, Translator], default_locale: str) -> None:
        if default_locale not in translators:
            raise ValueError(f"no catalog for the default locale {default_locale!r}")
        self._translators = translators
        self.default_locale = default_locale

    @classmethod
    def load(cls, locales_dir: Path, locales: tuple[str, ...], default_locale: str) -> Catalogs:
        translators = {
            locale: Translator(locale, _compile(locales_dir / locale / "LC_MESSAGES", locale))
            for locale in locales
        }
        return cls(translators, default_locale)

    @property
    def locales(self) -> tuple[str, ...]:
        return tuple(self._translators)

    def translator(self, locale: str | None) -> Translator:
        return self._translators.get(locale or "", self._translators[self.default_locale])

    def resolve(self, chosen: str | None, telegram_language: str | None) -> str:
        """The user's stored choice, else Telegram's language, else the default."""
        for candidate in (chosen, telegram_language):
            language = supported_language(candidate, self.locales)
            if language:
                return language
        return self.default_locale


def supported_language(code: str | None, supported: tuple[str, ...]) -> str | None:
    """Map a language tag such as ``es-419`` or ``de_AT`` to a supported base language.

    Telegram's ``language_code`` is optional and an IETF tag; Babel parses the
    region forms, and anything it cannot parse falls back to its first subtag.
    """
    if not code:
        return None
    tag = code.strip().replace("-", "_")
    try:
        language = Locale.parse(tag).language
    except (ValueError, TypeError, UnknownLocaleError):
        language = tag.split("_", 1)[0].lower()
    return language if language in supported else None


def _compile(directory: Path, locale: str) -> Translations:
    po_path = directory / f"{DOMAIN}.po"
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=locale, domain=DOMAIN)
    buffer = BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)
