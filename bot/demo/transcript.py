"""The demo's transcript: both sides of every chat, as a person would read them.

The bot answers some presses by editing the message that was pressed (a
questionnaire moving to its next item, a check-in to its next question), so the
transcript follows edits as well as new messages.
"""

from __future__ import annotations

import asyncio
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from bot.offline.fake_bot_api import FakeBotApi, FakeUser, SentMessage

WIDTH = 78
MAX_LINES = 14
_POLL = 0.01


@dataclass
class Person:
    """Someone in the demo: their fake Telegram account, how they are shown, their zone."""

    user: FakeUser
    name: str
    language: str
    timezone: str

    @property
    def chat_id(self) -> int:
        return self.user.id


@dataclass
class Transcript:
    fake: FakeBotApi
    out: Callable[[str], None]
    people: list[Person] = field(default_factory=list)
    # (chat, message id) -> (edits seen, the text shown): an edit that only takes the
    # buttons away (after a press) is not worth a line
    _shown: dict[tuple[int, int], tuple[int, str]] = field(default_factory=dict)
    # Images and files the bot sent, for the demo to save: (person, message, what was
    # happening)
    attachments: list[tuple[Person, SentMessage, str]] = field(default_factory=list)
    replies: int = 0
    # A heading waits for the first line under it: a quiet morning prints nothing.
    _heading: str | None = None
    scene: str = ""

    def add(self, person: Person) -> Person:
        self.people.append(person)
        return person

    # --- what people do

    def heading(self, when: datetime, text: str) -> None:
        zone = ZoneInfo(self.people[0].timezone) if self.people else None
        stamp = format_datetime(when, "EEE d MMM, HH:mm", tzinfo=zone, locale="en")
        self._heading = f"── {stamp} · {text} ".ljust(WIDTH, "─")
        self.scene = text

    def line(self, text: str) -> None:
        """One line of the transcript, under its heading."""
        if self._heading is not None:
            self.out("")
            self.out(self._heading)
            self._heading = None
        self.out(text)

    def note(self, text: str) -> None:
        self.line(textwrap.fill(text, WIDTH, initial_indent="   ", subsequent_indent="   "))

    async def says(self, person: Person, text: str, *, expect_reply: bool = True) -> None:
        self.line(f"{person.name} → {text}")
        person.user.send(text)
        await self.settle(expect_reply=expect_reply)

    async def taps(
        self, person: Person, message: SentMessage, button: str, label: str | None = None
    ) -> None:
        """Press a button by its callback data (or text); shown by the label people see."""
        shown = label or _label_of(message, button)
        self.line(f"{person.name} → [{shown}]")
        person.user.press(message, button)
        await self.settle()

    # --- what the bot does

    async def settle(
        self, *, expect_reply: bool = True, first: float = 10.0, quiet: float = 0.15
    ) -> int:
        """Wait until the bot has answered and gone quiet, then print what changed."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        last_change = start
        seen = self._state()
        changed = False
        while True:
            await asyncio.sleep(_POLL)
            now = loop.time()
            state = self._state()
            if state != seen:
                seen, changed, last_change = state, True, now
            if changed and now - last_change >= quiet:
                break
            if not changed and (not expect_reply or now - start >= first):
                break
        return self.flush()

    def flush(self) -> int:
        """Print messages not shown yet (and edits of shown ones); returns how many."""
        printed = 0
        for person in self.people:
            for message in self.fake.sent(person.chat_id):
                key = (message.chat_id, message.message_id)
                text = message.plain_text or message.plain_caption or ""
                edit = key in self._shown
                if edit and self._shown[key][0] >= message.edited:
                    continue
                unchanged = edit and self._shown[key][1] == text
                self._shown[key] = (message.edited, text)
                if message.deleted or unchanged:
                    continue
                self._print(person, message, edit=edit)
                printed += 1
        self.replies += printed
        return printed

    async def latest(self, person: Person, pattern: str, *, within: float = 10.0) -> SentMessage:
        """The newest message to ``person`` with a button whose data matches ``pattern``.

        Waited for: on a busy machine the bot may answer a press in two steps with a pause
        longer than :meth:`settle`'s quiet time between them (the edit, then the next
        question). Whatever arrived meanwhile is printed before the next step."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while (found := self.latest_now(person, pattern)) is None:
            if loop.time() >= deadline:
                raise LookupError(f"no message to {person.name} has a button matching {pattern!r}")
            await asyncio.sleep(_POLL)
        self.flush()
        return found

    def latest_now(self, person: Person, pattern: str) -> SentMessage | None:
        """The newest message to ``person`` with a matching button, if one is there now."""
        wanted = re.compile(pattern)
        for message in reversed(self.fake.sent(person.chat_id)):
            if any(data and wanted.search(data) for _text, data in message.buttons):
                return message
        return None

    def _state(self) -> tuple[tuple[int, int], ...]:
        return tuple(
            (
                len(self.fake.sent(person.chat_id)),
                sum(m.edited for m in self.fake.sent(person.chat_id)),
            )
            for person in self.people
        )

    def _print(self, person: Person, message: SentMessage, *, edit: bool) -> None:
        arrow = f"Between → {person.name}" + (" (updates its message)" if edit else "")
        self.line(arrow)
        if message.method == "sendPhoto":
            self.line("    [an image]")
            self.attachments.append((person, message, self.scene))
        elif message.method == "sendDocument":
            self.line(f"    [a file: {message.filename}]")
            self.attachments.append((person, message, self.scene))
        lines: list[str] = []
        for paragraph in (message.plain_text or message.plain_caption or "").split("\n"):
            lines.extend(
                textwrap.wrap(paragraph, WIDTH, initial_indent="    ", subsequent_indent="    ")
                or [""]
            )
        if len(lines) > MAX_LINES:  # a lesson page or a digest: the start tells the story
            hidden = len(lines) - MAX_LINES + 1
            lines = [*lines[: MAX_LINES - 1], f"    … ({hidden} more lines)"]
        for line in lines:
            self.line(line)
        buttons = [text for text, data in message.buttons if data is not None]
        if buttons:
            self.line(
                textwrap.fill(
                    "[" + "] [".join(buttons) + "]",
                    WIDTH,
                    initial_indent="    ",
                    subsequent_indent="    ",
                )
            )


def _label_of(message: SentMessage, button: str) -> str:
    for text, data in message.buttons:
        if data == button or text == button:
            return text
    return button
