"""Markdown to Telegram's HTML, with markdown-it-py doing the parsing.

Telegram's ``parse_mode=HTML`` knows only a handful of tags (b, i, u, s, a,
code, pre, blockquote), has no lists, headings or paragraphs, and refuses
anything else. So the Markdown syntax tree is rendered by hand-picked rules:
headings become bold lines, list items become "• " (or "1. ") lines, and each
top-level block is returned separately, so that pages can be cut between
blocks and never inside a tag. Raw HTML in the source is shown as text.
"""

from __future__ import annotations

import html
from html.parser import HTMLParser

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

_SAFE_LINK_SCHEMES = ("https://", "http://", "tg://")

# CommonMark plus ~~strikethrough~~; html=False makes raw tags plain text.
_parser = MarkdownIt("commonmark", {"html": False}).enable("strikethrough")


def markdown_blocks(source: str) -> list[str]:
    """The top-level blocks of ``source`` (paragraphs, lists, quotes …) as Telegram HTML."""
    root = SyntaxTreeNode(_parser.parse(source))
    blocks: list[str] = []
    heading_waiting = False
    for node in root.children:
        block = _block(node, indent="")
        if not block.strip():
            continue
        if heading_waiting:
            # A heading stays on the line above its text, so a page never ends with one.
            blocks[-1] = f"{blocks[-1]}\n{block}"
        else:
            blocks.append(block)
        heading_waiting = node.type == "heading"
    return blocks


def markdown_to_telegram_html(source: str) -> str:
    """The whole of ``source`` as one Telegram HTML text, blocks separated by blank lines."""
    return "\n\n".join(markdown_blocks(source))


def _block(node: SyntaxTreeNode, indent: str) -> str:
    kind = node.type
    if kind == "paragraph":
        return _inlines(node)
    if kind == "heading":
        return f"<b>{_inlines(node)}</b>"
    if kind == "bullet_list":
        return "\n".join(_list_item(item, f"{indent}• ", indent) for item in node.children)
    if kind == "ordered_list":
        first = int(node.attrs.get("start", 1) or 1)
        return "\n".join(
            _list_item(item, f"{indent}{number}. ", indent)
            for number, item in enumerate(node.children, start=first)
        )
    if kind == "blockquote":
        inner = "\n\n".join(_block(child, indent="") for child in node.children)
        return f"<blockquote>{inner}</blockquote>"
    if kind in ("fence", "code_block"):
        return f"<pre>{html.escape(node.content.rstrip(chr(10)), quote=False)}</pre>"
    if kind == "hr":
        return "⁂"
    # html_block cannot occur (html=False); anything unknown is kept as text.
    return html.escape(node.content, quote=False)


def _list_item(item: SyntaxTreeNode, marker: str, indent: str) -> str:
    parts = []
    for child in item.children:
        if child.type in ("bullet_list", "ordered_list"):
            parts.append(_block(child, indent=indent + "    "))
        else:
            parts.append(_block(child, indent=indent))
    return marker + "\n".join(part for part in parts if part)


def _inlines(node: SyntaxTreeNode) -> str:
    return "".join(_inline(child) for child in node.children)


def _inline(node: SyntaxTreeNode) -> str:
    kind = node.type
    if kind == "inline":
        return _inlines(node)
    if kind == "text":
        return html.escape(node.content, quote=False)
    if kind == "softbreak":
        return " "
    if kind == "hardbreak":
        return "\n"
    if kind == "strong":
        return f"<b>{_inlines(node)}</b>"
    if kind == "em":
        return f"<i>{_inlines(node)}</i>"
    if kind == "s":
        return f"<s>{_inlines(node)}</s>"
    if kind == "code_inline":
        return f"<code>{html.escape(node.content, quote=False)}</code>"
    if kind == "link":
        href = str(node.attrs.get("href", ""))
        text = _inlines(node)
        if href.startswith(_SAFE_LINK_SCHEMES):
            return f'<a href="{html.escape(href, quote=True)}">{text}</a>'
        return text
    if kind == "image":
        return html.escape(node.content or "", quote=False)
    return html.escape(node.content or "", quote=False)


class _Measure(HTMLParser):
    """Counts what Telegram counts: the visible text (in UTF-16 units) and the entities."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.entities = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.entities += 1

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def visible_text(telegram_html: str) -> str:
    """What the reader sees of a Telegram HTML text (tags gone, entities decoded)."""
    measure = _Measure()
    measure.feed(telegram_html)
    measure.close()
    return "".join(measure.text).strip()


def measure(telegram_html: str) -> tuple[int, int]:
    """(length in UTF-16 code units as Telegram counts it, number of formatting entities)."""
    parser = _Measure()
    parser.feed(telegram_html)
    parser.close()
    text = "".join(parser.text).strip()
    return len(text.encode("utf-16-le")) // 2, parser.entities
