"""``python -m bot demo --chat``: a person plays the client in the terminal, against the
real flows (here the keyboard is a list of lines)."""

from __future__ import annotations

import builtins

import pytest

from bot.demo.chat import chat


async def test_a_person_joins_agrees_and_checks_the_clock(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    typed = iter(["#1", "#1", ":next", "/help", ":quit"])  # agree, English, a day later, /help
    monkeypatch.setattr(builtins, "input", lambda _prompt="": next(typed))

    assert await chat() == 0

    shown = capsys.readouterr().out
    assert "Dr. Weber has invited you" in shown
    assert "Dr. Weber invited you to Between" in shown  # the consent question
    assert "(the clock moves to" in shown
    assert "I am not an emergency service" in shown  # /help answered after the jump
