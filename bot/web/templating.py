"""The web view's pages: Jinja2 templates (``bot/web/templates/``), autoescaped, with the
reader's translator and their ways of writing dates and numbers (Babel).

Strings in the templates are extracted into the same catalogs as the bot's
(``babel.cfg``: ``[jinja2: bot/web/templates/**.html]``).
"""

from __future__ import annotations

import html
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.i18n import Translator
from bot.web import views

TEMPLATES = Path(__file__).parent / "templates"
# The one script from elsewhere: Telegram's, which gives the page initData and the theme.
TELEGRAM_SCRIPT = "https://telegram.org/js/telegram-web-app.js"


def plain(text: str) -> str:
    """Telegram HTML from a use case (reasons, answers) as plain text (escaped again by
    the template)."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


class Templates:
    def __init__(self) -> None:
        self._environment = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(["html"]),
            extensions=["jinja2.ext.i18n"],
        )

    def render(self, name: str, t: Translator, root: str, **values: Any) -> str:
        """A page in the reader's language; ``root`` prefixes every local address."""
        locale = t.locale

        def day(value: date | None) -> str:
            return format_date(value, "medium", locale=locale) if value else ""

        def when(value: datetime, zone: ZoneInfo) -> str:
            return format_datetime(value, "short", tzinfo=zone, locale=locale)

        def number(value: float | None) -> str:
            return format_decimal(value, "0.0", locale=locale) if value is not None else "–"

        return self._environment.get_template(name).render(
            _=t.gettext,
            gettext=t.gettext,
            ngettext=t.ngettext,
            lang=locale,
            root=root,
            telegram_script=TELEGRAM_SCRIPT,
            date=day,
            when=when,
            number=number,
            plain=plain,
            colour_names=views.COLOUR_NAMES,
            trend_names=views.TREND_NAMES,
            **values,
        )
