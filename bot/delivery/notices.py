"""Notices: one-off messages to someone about something that just happened.

Unlike scheduled kinds, a notice is worded when it is queued (in the recipient's
language, by the flow that knows what happened), so its payload carries the text
and buttons rather than ids.
"""

from __future__ import annotations

from typing import Any

from bot.delivery.renderers import Button, RenderContext, Rendered

KIND = "notice"


def payload(text: str, buttons: list[list[tuple[str, str]]]) -> dict[str, Any]:
    return {"text": text, "buttons": [[list(button) for button in row] for row in buttons]}


async def render(context: RenderContext) -> Rendered:
    rows = context.payload.get("buttons", [])
    return Rendered(
        text=context.payload["text"],
        buttons=tuple(tuple(Button(text, data) for text, data in row) for row in rows if row),
    )
