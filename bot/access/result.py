"""What a practitioner use case hands back to its front door: plain data, no ``telegram``.

The chat router turns it into messages, a photo or documents after the transaction
has committed; the web view will turn it into a page. ``audit`` names what the use
case read or changed (the router records it, in the same transaction, only when it
is set: a refusal or "nothing changed" is not logged).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.audit import AuditAction

#: Rows of buttons: (label, callback data).
Buttons = Sequence[Sequence[tuple[str, str]]]


@dataclass(frozen=True)
class Notice:
    """A message to someone else (the client), sent after the commit."""

    chat_id: int
    text: str
    event: str


@dataclass(frozen=True)
class File:
    data: bytes
    filename: str
    caption: str | None = None


@dataclass
class Result:
    messages: list[tuple[str, Buttons | None]] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    photo: File | None = None
    documents: list[File] = field(default_factory=list)
    audit: AuditAction | None = None
    audit_clients: list[int] | None = None  # several clients (the digest); else the named one

    def say(self, text: str, buttons: Buttons | None = None) -> Result:
        self.messages.append((text, buttons))
        return self

    def notice(self, chat_id: int, text: str, *, event: str) -> Result:
        self.notices.append(Notice(chat_id, text, event))
        return self

    def audited(self, action: AuditAction) -> Result:
        self.audit = action
        return self

    @property
    def texts(self) -> list[str]:
        return [text for text, _buttons in self.messages]
