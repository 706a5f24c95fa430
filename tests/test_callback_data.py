"""The callback-data codecs, directly: every codec round-trips, packs within Telegram's
64 bytes, and parses anything else — any text, any object — to None without raising."""

from __future__ import annotations

import dataclasses
import inspect
from datetime import date
from enum import StrEnum
from typing import Annotated

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import callbacks
from bot.callback_data import CallbackData, Token
from bot.callbacks import (
    BackFrom,
    CheckinBack,
    CheckinOp,
    CheckinPress,
    Consent,
    ConsentAnswer,
    DecideMembership,
    Decision,
    GoalAction,
    GoalPress,
    MeasureTap,
    NewGoal,
    OnboardingAnswer,
    Question,
    SettingsAnswer,
    ShowTeam,
)

CODECS = [
    codec
    for _name, codec in inspect.getmembers(callbacks, inspect.isclass)
    if issubclass(codec, CallbackData) and codec is not CallbackData
]

EXAMPLES = [
    callbacks.RevealFlag(2147483647),
    Consent(ConsentAnswer.AGREE, 17),
    OnboardingAnswer(Question.ZONE_OK, "America/Argentina/Buenos_Aires"),
    OnboardingAnswer(Question.ZONE_NO),
    SettingsAnswer(Question.QUIET, "2200-0700"),
    callbacks.OpenSetting(callbacks.SettingStep.CHECKIN),
    ShowTeam(2_147_483_647),
    callbacks.AddColleague(3),
    callbacks.ProposeColleague(3, 4),
    DecideMembership(Decision.NO, 5),
    callbacks.RemoveMembership(6),
    callbacks.MakeTeamLink(7),
    callbacks.AnswerTeamLink(callbacks.LinkAnswer.ACCEPT, 8),
    callbacks.AnswerTeamLink(callbacks.LinkAnswer.DECLINE, 9),
    callbacks.AssignProgram(7, "calm-skills"),
    MeasureTap(8, 12, "t-3"),
    callbacks.PauseFor(14),
    callbacks.StopAnswer(callbacks.YesNo.YES),
    callbacks.DeleteAnswer(callbacks.YesNo.NO),
    NewGoal(),
    GoalPress(GoalAction.SKIP, 9, "low"),
    GoalPress(GoalAction.CANCEL, 9),
    CheckinPress(date(2026, 12, 31), CheckinOp.GOAL, 10, 7),
    CheckinPress(date(2026, 1, 1), CheckinOp.NOTE),
    CheckinBack(date(2026, 12, 31), BackFrom.STRATEGY, 2147483647),
    CheckinBack(date(2026, 1, 1), BackFrom.NOTE),
    callbacks.LessonPage(11, 2),
    callbacks.LessonOpen(11),
    callbacks.LessonDone(11),
    callbacks.LessonSkipReflection(11),
    callbacks.LessonQuiz(11, 0, 3),
    callbacks.LessonSkipQuestion(11, 1),
    callbacks.SkipReminder(12),
    callbacks.LessonMore(callbacks.More.RESUME, 13),
    callbacks.ReviewAnswer(14, 2),
    callbacks.ReviewSkip(15),
]


def test_every_codec_has_an_example():
    assert {type(example) for example in EXAMPLES} == set(CODECS)


@pytest.mark.parametrize("value", EXAMPLES, ids=lambda value: type(value).__name__)
def test_a_value_round_trips_and_no_other_codec_takes_it(value: CallbackData):
    data = value.pack()
    assert 1 <= len(data.encode()) <= 64
    assert type(value).parse(data) == value
    takers = [codec.__name__ for codec in CODECS if codec.parse(data) is not None]
    assert takers == [type(value).__name__]


@pytest.mark.parametrize(
    ("codec", "data"),
    [
        (ShowTeam, "ct:c:"),  # an empty field
        (ShowTeam, "ct:c:1:2"),  # one too many
        (ShowTeam, "ct:c:-1"),  # negative
        (ShowTeam, "ct:c:+1"),
        (ShowTeam, "ct:c: 1"),
        (ShowTeam, "ct:c:01"),
        (ShowTeam, "ct:c:2147483648"),  # more than PostgreSQL's INTEGER holds
        (ShowTeam, "ct:c:99999999999"),
        (ShowTeam, "ct:c:²"),  # a digit to str.isdigit(), not to int()
        (ShowTeam, "ct:c:١٢"),  # Arabic-Indic digits
        (ShowTeam, "ct:cx:1"),
        (ShowTeam, "ct:c"),
        (DecideMembership, "ct:c:1"),  # another codec's data
        (DecideMembership, "ct:Y:1"),
        (Consent, "ob:agree"),
        (Consent, "ob:lang:en"),
        (OnboardingAnswer, "ob:lang:"),
        (OnboardingAnswer, "ob:lang:ñ"),
        (OnboardingAnswer, "ob:lang:a:b"),
        (OnboardingAnswer, "st:lang:en"),
        (SettingsAnswer, "ob:lang:en"),
        (OnboardingAnswer, "ob:lang:" + "x" * 41),
        (NewGoal, "gl:new:"),
        (NewGoal, "gl:newer"),
        (GoalPress, "gl:new"),
        (GoalPress, "gl:s:1:LOW"),
        (GoalPress, "gl:s:1:low:2"),
        (CheckinPress, "ck:20261301:g:1:2"),  # no 13th month
        (CheckinPress, "ck:2026-12-01:g:1:2"),
        (CheckinPress, "ck:20261201:z"),
        (CheckinPress, "ck:20261201:g::2"),
        (MeasureTap, "mq:1:2:t"),
        (MeasureTap, "mq:1:2:1234567"),
        ("any", ""),
    ],
)
def test_malformed_data_is_none(codec, data: str):
    codecs = CODECS if codec == "any" else [codec]
    assert all(each.parse(data) is None for each in codecs)


@given(st.one_of(st.text(max_size=80), st.binary(max_size=80), st.integers(), st.none()))
def test_parse_never_raises(data: object):
    for codec in CODECS:
        codec.parse(data)


@given(st.text(alphabet="0123456789:abcdefghijklmnopqrstuvwxyz-_/", max_size=70))
def test_what_parses_packs_back_to_the_same_data(data: str):
    for codec in CODECS:
        value = codec.parse(data)
        if value is not None:
            assert value.pack() == data


def test_pack_refuses_data_telegram_would_refuse():
    with pytest.raises(ValueError, match="out of range"):
        ShowTeam(-1).pack()
    with pytest.raises(ValueError, match="out of range"):
        ShowTeam(2**31).pack()
    with pytest.raises(ValueError, match="does not match"):
        OnboardingAnswer(Question.LANGUAGE, "a:b").pack()

    @dataclasses.dataclass(frozen=True)
    class Long(CallbackData, prefix="zz"):
        first: Annotated[str, Token(r"x{1,40}")]
        second: Annotated[str, Token(r"x{1,40}")]

    with pytest.raises(AssertionError, match="64"):
        Long("x" * 40, "x" * 40).pack()


class Color(StrEnum):
    RED = "r"


def test_a_codec_with_an_unsupported_field_fails_loudly_on_first_use():
    @dataclasses.dataclass(frozen=True)
    class Odd(CallbackData, prefix="zz"):
        amount: float

    @dataclasses.dataclass(frozen=True)
    class Fine(CallbackData, prefix="zy"):
        color: Color

    with pytest.raises(TypeError, match="unsupported"):
        Odd(1.0).pack()
    with pytest.raises(TypeError, match="unsupported"):
        Odd.parse("zz:1.0")
    assert Fine.parse("zy:r") == Fine(Color.RED)
