"""Cutting a rendered lesson into pages that Telegram accepts and a phone shows well.

Pages are cut only between top-level blocks (paragraphs, lists, quotes), so a
tag is never split. A page aims at PAGE_TARGET visible characters (a screen or
two on a phone) and must stay under Telegram's hard limits, leaving room for
the header the flow adds (title, page number).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.content.telegram_html import measure

TELEGRAM_TEXT_LIMIT = 4096  # characters of visible text in one message
TELEGRAM_ENTITY_LIMIT = 100  # formatting entities in one message
HEADER_ALLOWANCE = 200  # visible characters kept free for the page header
HEADER_ENTITIES = 4

PAGE_TARGET = 1400
PAGE_TEXT_LIMIT = TELEGRAM_TEXT_LIMIT - HEADER_ALLOWANCE
PAGE_ENTITY_LIMIT = TELEGRAM_ENTITY_LIMIT - HEADER_ENTITIES
_SEPARATOR = "\n\n"


@dataclass(frozen=True)
class PageTooLong(ValueError):
    """One block alone is over a page's hard limits: the text needs a paragraph break."""

    block_index: int
    length: int
    entities: int

    def __str__(self) -> str:
        return (
            f"paragraph {self.block_index + 1} is too long for one message "
            f"({self.length} characters, {self.entities} formatting marks; at most "
            f"{PAGE_TEXT_LIMIT} and {PAGE_ENTITY_LIMIT}): split it"
        )


def paginate(blocks: list[str], target: int = PAGE_TARGET) -> list[str]:
    """Group blocks into pages of about ``target`` visible characters, never over the limits."""
    pages: list[str] = []
    current: list[str] = []
    for index, block in enumerate(blocks):
        length, entities = measure(block)
        if length > PAGE_TEXT_LIMIT or entities > PAGE_ENTITY_LIMIT:
            raise PageTooLong(index, length, entities)
        candidate = _SEPARATOR.join([*current, block])
        if current and not _fits(candidate, target):
            pages.append(_SEPARATOR.join(current))
            current = [block]
        else:
            current.append(block)
    if current:
        pages.append(_SEPARATOR.join(current))
    return pages


def _fits(page: str, target: int) -> bool:
    length, entities = measure(page)
    return length <= target and entities <= PAGE_ENTITY_LIMIT
