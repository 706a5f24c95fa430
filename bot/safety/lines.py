"""What the practitioner sees of the crisis lines their client is shown.

A pure function of the client's language and time zone and the installation's
``CRISIS_COUNTRY`` (the same :func:`bot.domain.crisis_resources.lines_for_client`
the client's own replies use), written in the practitioner's language.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from babel import Locale

from bot.domain.crisis_resources import CrisisResources, country_for_zone, lines_for_client
from bot.i18n import N_, Translator

if TYPE_CHECKING:
    from bot.db.models import User
    from bot.services import Services

HEADING = N_("Crisis lines this client is shown ({place}):")
PLACE_OVERRIDE = N_("set for this installation: {country}")
PLACE_ZONE = N_("from their time zone: {country}")
PLACE_UNKNOWN = N_("no country known from their time zone, so their language's defaults")


def client_lines_text(
    t: Translator,
    resources: CrisisResources,
    *,
    client_locale: str,
    zone: str | None,
    override_country: str | None,
) -> str:
    """The heading and the client's lines, in the order they see them (practitioner's language)."""
    _ = t._
    country = override_country or country_for_zone(zone)
    if override_country:
        place = _(PLACE_OVERRIDE, country=_country_name(override_country, t.locale))
    elif country:
        place = _(PLACE_ZONE, country=_country_name(country, t.locale))
    else:
        place = _(PLACE_UNKNOWN)
    lines = lines_for_client(
        resources,
        locale=client_locale,
        zone=zone,
        override_country=override_country,
        shown_in=t.locale,
    )
    return "\n".join(
        [_(HEADING, place=html.escape(place)), *(f"• {html.escape(line)}" for line in lines)]
    )


def _country_name(code: str, locale: str) -> str:
    """The country's name in ``locale`` (GB: United Kingdom), or the code when Babel has none."""
    return str(Locale.parse(locale).territories.get(code, code))


def for_practitioner(t: Translator, services: Services, client: User) -> str:
    """:func:`client_lines_text` for one client, as the practitioner's /client shows it."""
    settings = services.settings
    return client_lines_text(
        t,
        services.crisis_resources,
        client_locale=client.locale or settings.default_locale,
        zone=client.timezone,
        override_country=settings.crisis_country,
    )
