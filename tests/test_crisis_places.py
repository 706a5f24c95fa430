"""Crisis lines for where the client is (issue 16, item 3): pure functions, no bot."""

from __future__ import annotations

import itertools

import pytest

from bot.domain.crisis_resources import CrisisResources, country_for_zone, lines_for_client
from bot.i18n import Catalogs
from bot.safety.content import load_resources
from bot.safety.lines import client_lines_text
from bot.settings import PROJECT_ROOT, SUPPORTED_LOCALES


@pytest.fixture(scope="module")
def resources() -> CrisisResources:
    return load_resources(SUPPORTED_LOCALES)


def first_own_line(lines: list[str]) -> str:
    """The first line after the anywhere line (which is always first)."""
    return lines[1]


@pytest.mark.parametrize(
    ("zone", "country"),
    [
        ("Europe/London", "GB"),
        ("Europe/Dublin", "IE"),
        ("Europe/Vienna", "AT"),
        ("Europe/Zurich", "CH"),
        ("America/Toronto", "CA"),
        ("Australia/Sydney", "AU"),
        ("America/Mexico_City", "MX"),
        ("America/Argentina/Buenos_Aires", "AR"),
        ("America/Bogota", "CO"),
        ("America/Santiago", "CL"),
        ("Europe/Berlin", "DE"),
        ("Europe/Madrid", "ES"),
        ("America/New_York", "US"),
    ],
)
def test_the_country_comes_from_tzdatas_zone_table(zone: str, country: str):
    assert country_for_zone(zone) == country


@pytest.mark.parametrize("zone", [None, "", "UTC", "Mars/Olympus_Mons", "../../etc/passwd"])
def test_an_unknown_zone_has_no_country(zone: str | None):
    assert country_for_zone(zone) is None


def test_a_client_in_london_with_english_gets_a_uk_line_first(resources: CrisisResources):
    lines = lines_for_client(resources, locale="en", zone="Europe/London")
    assert lines[0].startswith("If you are in danger right now")
    assert first_own_line(lines) == "Emergency number (UK): 999 or 112"
    assert "Samaritans" in lines[2] and "116 123" in lines[2]
    assert lines[-1].startswith("US – 988")  # the language's defaults after the country's own


def test_a_client_in_mexico_city_with_spanish_gets_mexicos_line_first(
    resources: CrisisResources,
):
    lines = lines_for_client(resources, locale="es", zone="America/Mexico_City")
    assert first_own_line(lines) == "Número de emergencias (México): 911"
    assert "Línea de la Vida" in lines[2] and "800 911 2000" in lines[2]
    assert lines.index(lines[2]) < next(i for i, line in enumerate(lines) if "024" in line)


def test_a_client_in_vienna_with_german_gets_austrias_line_before_germanys(
    resources: CrisisResources,
):
    lines = lines_for_client(resources, locale="de", zone="Europe/Vienna")
    austria = next(i for i, line in enumerate(lines) if "Österreich" in line)
    germany = next(i for i, line in enumerate(lines) if "Deutschland" in line)
    assert "142" in lines[austria]
    assert austria < germany
    assert all("Deutschland" not in line for line in lines[:austria])


def test_an_unknown_zone_falls_back_to_the_languages_defaults(resources: CrisisResources):
    for locale in SUPPORTED_LOCALES:
        for zone in (None, "Mars/Olympus_Mons", "Asia/Tokyo"):  # Japan has no lines here
            assert lines_for_client(resources, locale=locale, zone=zone) == resources.lines_for(
                locale
            )


def test_crisis_country_overrides_the_zone(resources: CrisisResources):
    lines = lines_for_client(resources, locale="en", zone="Europe/London", override_country="DE")
    assert lines == resources.lines_for("en", "DE")
    assert any("TelefonSeelsorge" in line for line in lines)
    assert all("116 123" not in line and "988" not in line for line in lines)


@pytest.mark.parametrize(
    ("zone", "number"),
    [
        ("Europe/Dublin", "116 123"),
        ("Europe/Zurich", "143"),
        ("America/Vancouver", "988"),
        ("Australia/Perth", "13 11 14"),
        ("America/Argentina/Cordoba", "135"),
        ("America/Bogota", "123"),
        ("America/Santiago", "*4141"),
    ],
)
def test_every_country_the_issue_names_has_its_own_line(
    resources: CrisisResources, zone: str, number: str
):
    for locale in SUPPORTED_LOCALES:
        own = lines_for_client(resources, locale=locale, zone=zone)[1:3]
        assert any(number in line for line in own), own


NEW_COUNTRIES = {"GB", "IE", "AT", "CH", "CA", "AU", "MX", "AR", "CO", "CL"}


def test_every_new_countrys_lines_come_after_a_source_comment(resources: CrisisResources):
    """Each line for the countries issue 16 added has a comment right above it, or above the
    line before it for the same country (a comment may cover a country's two lines)."""
    text = (PROJECT_ROOT / "content" / "safety" / "resources.yaml").read_text(encoding="utf-8")
    chunks = text.split("\n  - id: ")
    commented: dict[str, bool] = {}
    countries = {line.id: set(line.countries) for line in resources.lines}
    previous_id = None
    for before, chunk in itertools.pairwise(chunks):
        line_id = chunk.split("\n", 1)[0]
        tail = before.rstrip().splitlines()[-1].strip()
        commented[line_id] = tail.startswith("#") or (
            previous_id is not None
            and commented.get(previous_id, False)
            and bool(countries[previous_id] & countries[line_id])
        )
        previous_id = line_id
    for line in resources.lines:
        if set(line.countries) & NEW_COUNTRIES and not set(line.countries) - NEW_COUNTRIES:
            assert commented[line.id], f"{line.id} has no source comment"
    assert {c for line in resources.lines for c in line.countries} >= NEW_COUNTRIES


def test_the_practitioner_sees_the_clients_lines_in_their_own_language(
    resources: CrisisResources,
):
    t = Catalogs.load(PROJECT_ROOT / "locales", SUPPORTED_LOCALES, "en").translator("de")
    shown = client_lines_text(
        t, resources, client_locale="en", zone="Europe/London", override_country=None
    )
    assert shown.startswith("Krisenangebote, die diese Person angezeigt bekommt")
    assert "Vereinigtes Königreich" in shown
    assert "Samaritans, kostenlos, rund um die Uhr: 116 123" in shown
    overridden = client_lines_text(
        t, resources, client_locale="en", zone="Europe/London", override_country="DE"
    )
    assert "für diese Installation festgelegt: Deutschland" in overridden
    assert "116 123" not in overridden
