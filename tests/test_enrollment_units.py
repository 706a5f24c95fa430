"""The pure parts of enrollment: tokens, typed times, city and location lookup."""

from __future__ import annotations

import os
import pickle
import re
from datetime import UTC, datetime, time

import pytest

from bot.enrollment import times_of_day, timezones, tokens


def test_tokens_are_long_random_url_safe_and_fit_a_start_payload():
    seen = {tokens.new_token() for _ in range(200)}
    assert len(seen) == 200
    for token in seen:
        payload = tokens.make_payload("c", token)
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", payload)
        assert len(token) * 6 >= 128  # base64url: 6 bits a character
        assert tokens.parse_payload(payload) == tokens.Payload("c", token)
    assert tokens.hash_token("abc") != "abc" and len(tokens.hash_token("abc")) == 64


@pytest.mark.parametrize("text", ["", "x-abc", "c-short", "c-" + "A" * 61, "c-abc def ghi jkl mno"])
def test_what_is_not_a_payload(text: str):
    assert tokens.parse_payload(text) is None


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("8:30", time(8, 30)),
        ("08.30", time(8, 30)),
        ("20 Uhr", time(20)),
        ("8 pm", time(20)),
        ("8:15 a.m.", time(8, 15)),
        ("12am", time(0)),
        ("21h", time(21)),
        ("19 horas", time(19)),
        ("24:00", time(0)),
        ("25:00", None),
        ("13 pm", None),
        ("half past eight", None),
        ("", None),
    ],
)
def test_typed_times(typed: str, expected: time | None):
    assert times_of_day.parse_time(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("22-7", (time(22), time(7))),
        ("22:00 – 07:30", (time(22), time(7, 30))),
        ("10pm to 7am", (time(22), time(7))),
        ("22 bis 6 Uhr", (time(22), time(6))),
        ("23 a 8", (time(23), time(8))),
        ("22-22", None),
        ("never", None),
    ],
)
def test_typed_quiet_hours(typed: str, expected):
    assert times_of_day.parse_range(typed) == expected


def test_compact_times_round_trip_and_refuse_nonsense():
    assert times_of_day.decode(times_of_day.encode(time(7, 5))) == time(7, 5)
    assert times_of_day.decode("2561") is None and times_of_day.decode("ab") is None


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("München", "Europe/Berlin"),
        ("  munchen ", "Europe/Berlin"),
        ("ZÜRICH", "Europe/Zurich"),
        ("Wien", "Europe/Vienna"),
        ("Ciudad de México", "America/Mexico_City"),
        ("bogota", "America/Bogota"),
    ],
)
def test_cities_are_found_without_accents_or_case(typed: str, zone: str):
    found = timezones.city_index().search(typed)
    assert found and found[0].timezone == zone


def test_the_start_of_a_name_finds_the_largest_cities_first():
    found = timezones.city_index().search("Buenos Ai")  # no city has this exact name
    assert found[0].name == "Buenos Aires"
    populations = [city.population for city in timezones.city_index().search("Valen")]
    assert len(populations) > 1 and populations == sorted(populations, reverse=True)
    assert timezones.city_index().search("Bu") == []  # two letters are too few to guess


def test_an_unknown_city_finds_nothing():
    assert timezones.city_index().search("Qwxyzzy") == []


def test_the_index_built_in_a_child_process_finds_what_one_built_here_finds():
    # The running bot builds the index in a child process (to keep its memory low);
    # what comes back must search exactly like an index built in this process.
    here = timezones._city_index_from_geonames()
    from_child = timezones.city_index()
    for typed in ("Berlin", "valen", "São Paulo", "Sevilla", "new york", "Qwxyzzy"):
        assert from_child.search(typed) == here.search(typed)
    assert from_child.get(2950159) == here.get(2950159)  # Berlin, by its GeoNames id


def test_without_a_child_process_the_index_is_built_here(monkeypatch: pytest.MonkeyPatch):
    def no_child(*_args: object, **_kwargs: object) -> None:
        raise OSError("no processes left")

    monkeypatch.setattr(timezones.subprocess, "Popen", no_child)
    timezones._build_city_index.cache_clear()
    try:
        assert timezones.city_index().search("Wien")[0].timezone == "Europe/Vienna"
    finally:
        timezones._build_city_index.cache_clear()


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="no process priorities here")
def test_the_child_builds_the_index_at_the_lowest_priority(monkeypatch: pytest.MonkeyPatch):
    # Its two seconds of CPU must not slow the bot's first answers after a start.
    seen: list[int] = []
    set_priority = os.setpriority

    def recording(which: int, pid: int, niceness: int) -> None:
        set_priority(which, pid, niceness)
        seen.append(os.getpriority(os.PRIO_PROCESS, pid))  # the running child's own niceness

    monkeypatch.setattr(timezones.os, "setpriority", recording)
    rows = pickle.loads(timezones._rows_from_child())
    assert seen == [19]
    assert timezones.CityIndex.from_rows(rows).search("Wien")[0].timezone == "Europe/Vienna"


def test_location_lookup_is_offline_and_sane():
    assert timezones.zone_at(52.52, 13.40) == "Europe/Berlin"
    assert timezones.zone_at(-34.6, -58.4) == "America/Argentina/Buenos_Aires"
    assert timezones.zone_at(91, 0) is None


def test_local_time_and_place_in_the_users_language():
    noon_utc = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
    assert timezones.local_time("Europe/Berlin", "de", noon_utc) == "13:00"
    assert timezones.local_time("America/New_York", "en", noon_utc) == "7:00\u202fAM"
    assert timezones.zone_label("Europe/Vienna", "de") == "Wien"
    assert timezones.zone_label("America/New_York", "es") == "Nueva York"


def test_at_start_only_the_childs_output_is_read_and_the_index_is_built_on_first_use(
    monkeypatch: pytest.MonkeyPatch,
):
    # The bot's own CPU at start goes to its first updates: warm_up runs the child and
    # keeps its output; the first search turns it into the index, with no second child.
    # (The child's output stands in for the index built once for this test process; the
    # child itself is run by the test of its priority above.)
    output = pickle.dumps(timezones.city_index().to_rows())
    monkeypatch.setattr(timezones, "_rows_from_child", lambda: output)
    timezones._build_city_index.cache_clear()
    try:
        timezones._prefetch()
        assert len(timezones._prefetched) == 1
        assert timezones._build_city_index.cache_info().currsize == 0  # not built yet

        def no_child(*_args: object, **_kwargs: object) -> None:
            raise AssertionError("a second child process")

        def not_here() -> None:
            raise AssertionError("built in this process")

        monkeypatch.setattr(timezones, "_rows_from_child", no_child)
        monkeypatch.setattr(timezones, "_city_index_from_geonames", not_here)
        assert timezones.city_index().search("Wien")[0].timezone == "Europe/Vienna"
        assert timezones._prefetched == []  # the bytes are let go once parsed
    finally:
        timezones._prefetched.clear()
        timezones._build_city_index.cache_clear()
