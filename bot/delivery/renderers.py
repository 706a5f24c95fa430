"""What an outbox row says is decided at send time, by a renderer registered for its kind.

Rendering late means the user's current language and data are used. Renderers are
plain functions (no Telegram types): they return text and inline buttons, and may
register an ``on_sent`` hook that receives Telegram's message id (in the same
transaction that marks the row sent), e.g. to expire the buttons later.

A kind whose render reads the database may register a ``prefetch`` too: called once
per claimed batch with the contexts of all its rows, it loads what their renders need
in a constant number of queries (never a query per row) and returns it; each render
then finds it in ``context.prefetched`` (None when rendered on its own, e.g. in a
test, or when the prefetch failed: the render then reads for itself). A render may
hand its hook what it already read (``Rendered.hook_data``, given back as
``SentContext.hook_data``) so that the hook need not read it again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator


@dataclass(frozen=True)
class Button:
    """An inline button: its label and compact callback data (at most 64 bytes)."""

    text: str
    callback_data: str

    def __post_init__(self) -> None:
        if not 1 <= len(self.callback_data.encode()) <= 64:
            raise ValueError("callback_data must be 1-64 bytes")


@dataclass(frozen=True)
class WebAppButton:
    """An inline button that opens the web view (a Mini App) at ``url`` (HTTPS)."""

    text: str
    url: str


def dashboard_buttons(
    t: Translator, web_app_url: str | None, client_id: int | None = None
) -> tuple[tuple[WebAppButton, ...], ...]:
    """ "Open in dashboard" (the caseload, or one client's page) when the web view is set up."""
    if not web_app_url:
        return ()
    url = f"{web_app_url}/clients/{client_id}" if client_id is not None else f"{web_app_url}/"
    return ((WebAppButton(t._("Open in dashboard"), url),),)


@dataclass(frozen=True)
class Photo:
    """A picture sent after the text (PNG bytes) with a short caption."""

    data: bytes
    caption: str = ""


@dataclass(frozen=True)
class Rendered:
    """A message: HTML text (user input escaped by the renderer) and rows of buttons.

    A long message (a digest) adds ``more`` texts, sent after the first in order, and
    may end with a ``photo``. The outbox row is sent when all of them are; the message
    id kept is the first one's. A failure part-way retries the whole row, so a part
    may then arrive twice (never lost), as with any ambiguous send.
    """

    text: str
    buttons: tuple[tuple[Button | WebAppButton, ...], ...] = ()
    more: tuple[str, ...] = ()
    photo: Photo | None = None
    # Not sent: what the render hands its kind's ``on_sent`` hook (``SentContext.hook_data``).
    hook_data: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class RenderContext:
    """What a renderer may use: the row, the user's translator, a read session, and what
    its kind's ``prefetch`` loaded for the whole batch (None without one)."""

    outbox_id: int
    user_id: int
    kind: str
    payload: dict[str, Any]
    due_at: datetime
    t: Translator
    session: AsyncSession
    prefetched: Any = None


@dataclass(frozen=True)
class SentContext:
    """Given to ``on_sent`` hooks: the row and Telegram's id of the message."""

    outbox_id: int
    user_id: int
    chat_id: int
    kind: str
    payload: dict[str, Any]
    message_id: int
    sent_at: datetime
    hook_data: Any = None  # the render's ``Rendered.hook_data``


Renderer = Callable[[RenderContext], Awaitable[Rendered]]
OnSent = Callable[[AsyncSession, SentContext], Awaitable[None]]
OnSentMany = Callable[[AsyncSession, Sequence[SentContext]], Awaitable[None]]
Prefetch = Callable[[AsyncSession, Sequence[RenderContext]], Awaitable[Any]]


@dataclass(frozen=True)
class _Entry:
    render: Renderer
    on_sent: OnSent | None = None
    prefetch: Prefetch | None = None
    on_sent_many: OnSentMany | None = None


class UnknownKind(LookupError):
    """No renderer is registered for an outbox row's kind."""


@dataclass
class Renderers:
    """The registry, filled once by the composition root (``bot/app.py``)."""

    _renderers: dict[str, _Entry] = field(default_factory=dict)

    def register(
        self,
        kind: str,
        render: Renderer,
        on_sent: OnSent | None = None,
        prefetch: Prefetch | None = None,
        on_sent_many: OnSentMany | None = None,
    ) -> None:
        """``on_sent_many``: the ``on_sent`` hook for all the rows of the kind marked sent
        in one transaction at once (instead of ``on_sent``, called once per row)."""
        if kind in self._renderers:
            raise ValueError(f"a renderer for {kind!r} is already registered")
        if on_sent is not None and on_sent_many is not None:
            raise ValueError("on_sent or on_sent_many, not both")
        self._renderers[kind] = _Entry(render, on_sent, prefetch, on_sent_many)

    def renderer(self, kind: str) -> Renderer:
        return self._entry(kind).render

    def on_sent(self, kind: str) -> OnSent | None:
        return self._entry(kind).on_sent

    def sent_hook(self, kind: str) -> OnSentMany | None:
        """The kind's hook for rows sent together (a per-row ``on_sent`` called for each)."""
        entry = self._entry(kind)
        if entry.on_sent_many is not None:
            return entry.on_sent_many
        one = entry.on_sent
        if one is None:
            return None

        async def each(session: AsyncSession, sent: Sequence[SentContext]) -> None:
            for context in sent:
                await one(session, context)

        return each

    def prefetch(self, kind: str) -> Prefetch | None:
        return self._entry(kind).prefetch

    def _entry(self, kind: str) -> _Entry:
        try:
            return self._renderers[kind]
        except KeyError:
            raise UnknownKind(kind) from None

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(self._renderers)
