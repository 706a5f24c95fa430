"""The offline demo (the README's first command) plays its scenes and prints both sides."""

from __future__ import annotations

from bot import demo


async def test_demo_prints_a_transcript_in_three_languages():
    lines: list[str] = []
    replies = await demo.play(out=lines.append)
    transcript = "\n".join(lines)
    assert replies == 20
    assert "Welcome to Between, Dr. Weber!" in transcript
    assert "[a QR code image]" in transcript
    assert "¡Todo listo!" in transcript
    assert "Lucía has joined and finished setting up." in transcript
    assert "1 de 9" in transcript  # the intake's first question
    assert "Ana (en) → /start" in transcript
    assert "I am not an emergency service" in transcript
    assert "Ich bin Between" in transcript
    assert "Soy Between" in transcript
    assert "Between left the group." in transcript
