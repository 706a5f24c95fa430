"""Malformed callback data for every prefix the built bot registers, over the fake Bot API.

The prefixes are read from the application's own CallbackQueryHandlers (``^l[podsqk]:`` is
six prefixes, ``^(ob|st):`` two), so a button added later is covered without a line here,
or fails ``test_every_registered_pattern_expands`` if its pattern cannot be read.

For each prefix, an enrolled client and a practitioner (the access-control test's
intruders, in its world of other people's rows) press: the prefix with garbage, too few
and too many fields, huge and negative numbers, non-ASCII (including digits that
``str.isdigit`` accepts and ``int`` refuses), empty fields, and other people's ids.
Every press must be answered with one of the kind "this button doesn't work" texts, no
error may reach the error handler (no ERROR line, no apology) and no row of the database
may change. One bot per backend, many presses.
"""

from __future__ import annotations

import logging
from re import _constants as sre
from re import _parser as sre_parse

from bot.app import BotApplication
from bot.callbacks import DeleteAnswer, NewGoal, OpenSetting, PauseFor, StopAnswer
from bot.flows.pause import PAUSE_CHOICES
from bot.offline.fake_bot_api import FakeBotApi, FakeUser
from tests.enrollment_helpers import answer_of, press_forged
from tests.safety_support import Writes, bot_with, snapshot
from tests.test_access_control import CALLBACKS, registered, settled_outbox, world
from tests.test_fuzzing import APOLOGY, Errors

# What a refused button is answered with (each flow's existing wording), in any language.
KIND = (
    "This button no longer works. /help shows what you can do.",
    "Sorry, this button isn't for you, or it no longer works. Nothing was changed.",
    "This button is from an earlier question.",
    "This button doesn't work any more. /help shows what you can do.",
)

# After the prefix: garbage, wrong arity, empty fields, huge, negative and non-ASCII numbers.
GARBAGE = (
    "",
    "x",
    ":",
    "::",
    "0",
    "0:0",
    "0:0:0",
    "0:0:0:0:0",
    "x:0:y",
    "-1",
    "-7:-7:-7",
    "2147483647",  # well formed, and no such row
    "2147483648:1",  # one more than an INTEGER column holds
    "999999999999",
    "99999999999999999999999999999999",
    "1e3",
    " 1",
    "²",
    "١٢:٣",
    "ñ:ü",
    "😀",
    "yes ",
    "%s%n",
    "<b>",
)
# Data only the catch-all handler gets.
UNCLAIMED = ("zz", "zz:1", "ct:", "ob", "😀")

# Other people's ids (the access-control table), minus what acts on the presser's own
# record when well formed (they would change the presser's rows, rightly).
OWN_ACTIONS = {r"^pz:", r"^stop:", r"^del:", r"^st:open:"}
FOREIGN = {
    pattern: [data for data in datas if data != "gl:new"]
    for pattern, datas in CALLBACKS.items()
    if pattern not in OWN_ACTIONS and pattern is not None
}


def starts(pattern: str) -> list[str]:
    """Every literal start a registered pattern accepts (``^l[podsqk]:`` → lp:, lo:, …)."""

    def expand(items) -> list[str]:
        found = [""]
        for op, arg in items:
            if op is sre.AT and arg is sre.AT_BEGINNING:
                continue
            if op is sre.LITERAL:
                options = [chr(arg)]
            elif op is sre.IN and all(kind is sre.LITERAL for kind, _value in arg):
                options = [chr(value) for _kind, value in arg]
            elif op is sre.SUBPATTERN:
                options = expand(arg[-1])
            elif op is sre.BRANCH:
                options = [text for branch in arg[1] for text in expand(branch)]
            else:
                raise ValueError(f"cannot read the prefixes of {pattern!r} ({op})")
            found = [start + option for start in found for option in options]
        return found

    return expand(sre_parse.parse(pattern))


def presses(
    application: BotApplication, ids: dict, *, garbage: bool = True
) -> dict[str | None, list[str]]:
    """Pattern (as registered) → the malformed data to press for it (1–64 bytes each);
    without ``garbage``, only other people's ids and unclaimed data."""
    _commands, patterns = registered(application)
    cases: dict[str | None, list[str]] = {}
    for pattern in patterns:
        if pattern is None:
            cases[None] = list(UNCLAIMED)
            continue
        junks = GARBAGE if garbage else ()
        datas = [start + junk for start in starts(pattern) for junk in junks]
        datas += [data.format(**ids) for data in FOREIGN.get(pattern, ())]
        cases[pattern] = [d for d in datas if 1 <= len(d.encode()) <= 64]
    return cases


def test_the_prefixes_are_read_from_a_pattern():
    assert sorted(starts(r"^l[podsqk]:")) == ["ld:", "lk:", "lo:", "lp:", "lq:", "ls:"]
    assert sorted(starts(r"^(ob|st):")) == ["ob:", "st:"]
    assert starts(r"^ct:[yn]:") == ["ct:y:", "ct:n:"]
    assert starts(r"^ob:(agree|later):") == ["ob:agree:", "ob:later:"]


async def test_malformed_data_for_every_prefix_is_refused_kindly_and_changes_nothing(
    fake_api: FakeBotApi, migrated_url: str
):
    async with bot_with(
        fake_api,
        migrated_url,
        concurrent_updates=1,  # one update at a time: "/help answered" means "all done"
        scheduler_tick_seconds=3600,  # nothing scheduled changes rows under the test
        lesson_planning_seconds=3600,
        checkin_sweep_seconds=3600,
    ) as bot:
        the_world, intruders = await world(fake_api, bot)
        catalogs = bot.bot_data["services"].catalogs
        kind = {catalogs.translator(locale)._(text) for locale in catalogs.locales for text in KIND}
        apologies = {catalogs.translator(locale)._(APOLOGY) for locale in catalogs.locales}
        help_text: dict[int, str] = {}
        for intruder in intruders:
            intruder.send("/help")
            help_text[intruder.id] = (await intruder.expect_one()).plain_text
        cases = presses(bot, the_world.ids)
        # Garbage is decoded before anyone's role is looked at, so it is pressed as a
        # practitioner and as a client, taking turns (each prefix gets garbage from both
        # roles, each piece once); the practitioner of another practice presses the other
        # people's ids (what differs for them is whom they may reach).
        garbage_pressers = (intruders[0].id, intruders[2].id)
        foreign_only = presses(bot, the_world.ids, garbage=False)
        by_turns = {
            presser: _turn(cases, garbage_pressers.index(presser)) for presser in garbage_pressers
        }
        for pattern in registered(bot)[1] - {None}:  # every registered prefix is pressed
            assert all(any(d.startswith(s) for d in cases[pattern]) for s in starts(pattern))

        await settled_outbox(bot)
        errors = Errors()
        logging.getLogger().addHandler(errors)
        try:
            writes = Writes(bot)
            writes.since_last_read()
            before = await snapshot(bot)
            for intruder in intruders:
                mine = by_turns.get(intruder.id, foreign_only)
                for pattern, datas in sorted(mine.items(), key=lambda case: str(case[0])):
                    replies: list[str] = []
                    for data in datas:
                        anchor = intruder.messages()[-1]
                        query = press_forged(fake_api, intruder, anchor, data)
                        answer = await answer_of(intruder, query)
                        assert answer.get("text") in kind, (intruder.id, data, answer)
                    replies += await _settle(intruder, help_text[intruder.id])
                    assert not errors.records, (
                        pattern,
                        [record.getMessage() for record in errors.records],
                    )
                    assert not [r for r in replies if any(a in r for a in apologies)], pattern
                    if writes.since_last_read():  # else no row can differ from `before`
                        after = await snapshot(bot)
                        changed = [t for t in before if before[t] != after[t]]
                        assert not changed, (intruder.id, pattern, changed)
        finally:
            logging.getLogger().removeHandler(errors)
        for victim in the_world.victims:
            await victim.expect_nothing(0.2)


def _turn(cases: dict[str | None, list[str]], turn: int) -> dict[str | None, list[str]]:
    """Every other press of each prefix, from the ``turn``-th (0 or 1)."""
    return {pattern: datas[turn::2] for pattern, datas in cases.items()}


async def _settle(user: FakeUser, help_text: str) -> list[str]:
    """/help, then read until its answer; returns what came before it."""
    user.send("/help")
    seen: list[str] = []
    for _ in range(100):
        for message in await user.expect(1, timeout=10):
            if message.plain_text == help_text:
                return seen
            seen.append(message.plain_text or "")
    raise AssertionError("no answer to /help")


def test_no_case_is_a_well_formed_press_of_the_pressers_own():
    """Else it would rightly act (pause, stop, erase, start a goal) and change rows."""
    for junk in GARBAGE:
        paused = PauseFor.parse("pz:" + junk)
        assert paused is None or paused.days not in PAUSE_CHOICES
        assert StopAnswer.parse("stop:" + junk) is None
        assert DeleteAnswer.parse("del:" + junk) is None
        assert NewGoal.parse("gl:" + junk) is None
        assert OpenSetting.parse("st:open:" + junk) is None
