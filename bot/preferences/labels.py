"""How a preference reads: a language's own name, a time span, a city, a summary."""

from __future__ import annotations

import html
from datetime import time

from babel import Locale
from babel.dates import format_time

from bot.db.models import Role, User
from bot.enrollment import timezones
from bot.i18n import Translator


def language_name(code: str) -> str:
    """A language in its own words: "Deutsch", "Español"."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


def quiet_label(locale: str, start: time, end: time) -> str:
    return (
        f"{format_time(start, 'short', locale=locale)}–{format_time(end, 'short', locale=locale)}"
    )


def place_and_time(locale: str, place: str, zone: str) -> str:
    """A button label: the place, and the time there now (a button is plain text)."""
    return f"{place} · {timezones.local_time(zone, locale)}"


def city_label(locale: str, city: timezones.City) -> str:
    return f"{city.name}, {timezones.country_name(city.country, locale)}"


def preferences_summary(t: Translator, user: User, default_timezone: str) -> str:
    """One line per choice, as /settings and "You're all set!" show them."""
    _ = t._
    locale = t.locale
    zone = user.timezone or default_timezone
    place = html.escape(timezones.zone_label(zone, locale))
    zone_shown = f"{place} ({timezones.local_time(zone, locale)})"
    lines = [
        _("Language: {value}", value=language_name(user.locale or locale)),
        _("Time zone: {value}", value=zone_shown),
    ]
    if user.role == Role.CLIENT:
        checkin = (
            format_time(user.checkin_time, "short", locale=locale)
            if user.checkin_time
            else _("not set yet")
        )
        lines.append(_("Check-in: {value}", value=checkin))
    quiet = (
        quiet_label(locale, user.quiet_start, user.quiet_end)
        if user.quiet_start and user.quiet_end
        else _("none")
    )
    lines.append(_("Quiet hours: {value}", value=quiet))
    return "\n".join(lines)
