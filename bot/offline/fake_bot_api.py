"""An offline stand-in for Telegram's Bot API server.

Why it exists: the bot must be exercised end to end through the *real*
python-telegram-bot client (HTTP, form and multipart encoding, error mapping,
long polling, webhooks) without network access. This module serves the part of
the Bot API the bot uses, enforces the Telegram rules whose violation would
otherwise only show up in production (entity parsing, length limits, button
data, chat membership, answered callback queries), lets tests act as Telegram
users, and injects faults on demand (errors, slow answers, blocked users, flood
control).

Threading model: tornado serves on its own asyncio loop in a daemon thread, so
it keeps answering while the test's loop awaits the client. All state shared
with other threads lives in :class:`_World` and is touched only while holding
its ``threading.Lock``. Objects used only on the server loop (parked long polls,
the webhook pusher) are marked *loop-confined*; other threads wake them with
``loop.call_soon_threadsafe``.

Known simplifications: Markdown parse modes are not parsed (the text is taken
literally), text lengths are counted in code points, webhooks may use plain
``http://`` (Telegram demands HTTPS), and ``/file/bot<token>/...`` always
answers 404 because ``getFile`` is not served.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import math
import re
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http import HTTPStatus
from types import TracebackType
from typing import Any, Self

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from tornado.httpserver import HTTPServer
from tornado.httputil import HTTPServerRequest
from tornado.netutil import bind_sockets
from tornado.web import Application, RequestHandler

__all__ = [
    "ApiCall",
    "ApiError",
    "FakeBotApi",
    "FakeGroup",
    "FakeUser",
    "SentMessage",
    "UploadedFile",
]

JsonDict = dict[str, Any]

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_COMMANDS = 100

# Methods that post into a chat: Telegram's flood control counts these.
_FLOOD_CONTROLLED = frozenset({"sendMessage", "sendPhoto", "sendDocument"})
# How often the asynchronous helpers of FakeUser/FakeGroup look at the shared state.
_POLL_INTERVAL = 0.01


def _now() -> int:
    """Telegram dates are whole seconds since the epoch."""
    return int(time.time())


def _utf16_len(text: str) -> int:
    """Entity offsets and lengths are counted in UTF-16 code units, as Telegram does."""
    return len(text.encode("utf-16-le")) // 2


# --------------------------------------------------------------------------- errors


class ApiError(Exception):
    """An error answer of the Bot API.

    Method handlers raise it at the first broken rule and the HTTP layer renders it
    as Telegram's error body, so each rule is worded in exactly one place.
    """

    def __init__(self, status: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def body(self) -> JsonDict:
        body: JsonDict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def _bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


def _forbidden(reason: str) -> ApiError:
    return ApiError(403, f"Forbidden: {reason}")


def _conflict(reason: str) -> ApiError:
    return ApiError(409, f"Conflict: {reason}")


def _too_many_requests(retry_after: int) -> ApiError:
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


# --------------------------------------------------------------------------- formatted text


@dataclass(frozen=True)
class _FormattedText:
    """Text as Telegram stores it: plain text plus entities (UTF-16 offsets)."""

    plain: str
    entities: tuple[JsonDict, ...] = ()


@dataclass
class _OpenTag:
    name: str
    entity: JsonDict | None  # None: the tag adds no entity of its own (code inside pre)
    offset: int


_TAG_ENTITIES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED_CHARACTERS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class _TelegramHtml(HTMLParser):
    """Parses Telegram's HTML dialect (``parse_mode=HTML``) into plain text and entities.

    Telegram accepts a fixed tag set, strictly nested, and only four named character
    references; anything else is refused with "can't parse entities". The messages
    mimic Telegram's, including the UTF-8 byte offset, so a failing test points at
    the spot production would refuse.
    """

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=False)
        self._source = source
        self._line_starts = [0, *(match.end() for match in re.finditer("\n", source))]
        self._plain: list[str] = []
        self._length = 0
        self._open: list[_OpenTag] = []
        self._entities: list[JsonDict] = []

    def parse(self) -> _FormattedText:
        self.feed(self._source)
        self.close()
        if self._open:
            tag = self._open[-1].name
            raise self._error(f'Can\'t find end tag corresponding to start tag "{tag}"')
        entities = sorted(self._entities, key=lambda entity: (entity["offset"], -entity["length"]))
        return _FormattedText("".join(self._plain), tuple(entities))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open.append(_OpenTag(tag, self._entity_for(tag, dict(attrs)), self._length))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise self._error(f'Unsupported start tag "{tag}/" at byte offset {self._offset()}')

    def handle_endtag(self, tag: str) -> None:
        if not self._open:
            raise self._error(f"Unexpected end tag at byte offset {self._offset()}")
        opened = self._open.pop()
        if opened.name != tag:
            raise self._error(
                f'Unmatched end tag at byte offset {self._offset()}, expected "</{opened.name}>", '
                f'found "</{tag}>"'
            )
        if opened.entity is not None and self._length > opened.offset:
            length = self._length - opened.offset
            self._entities.append({**opened.entity, "offset": opened.offset, "length": length})

    def handle_data(self, data: str) -> None:
        if "<" in data:
            offset = self._offset(data.index("<"))
            raise self._error(f'Unsupported start tag "" at byte offset {offset}')
        self._append(data)

    def handle_entityref(self, name: str) -> None:
        # html.parser also reports "&name" without ";"; Telegram keeps that as text.
        if not self._source.startswith(";", self._index() + 1 + len(name)):
            self._append(f"&{name}")
        elif name in _NAMED_CHARACTERS:
            self._append(_NAMED_CHARACTERS[name])
        else:
            raise self._error(f'Unsupported HTML entity "&{name};" at byte offset {self._offset()}')

    def handle_charref(self, name: str) -> None:
        try:
            code_point = int(name[1:], 16) if name[:1] in ("x", "X") else int(name)
            self._append(chr(code_point))
        except (ValueError, OverflowError):
            raise self._error(
                f'Invalid character reference "&#{name};" at byte offset {self._offset()}'
            ) from None

    def handle_comment(self, data: str) -> None:
        raise self._error(f'Unsupported start tag "!--" at byte offset {self._offset()}')

    def handle_decl(self, decl: str) -> None:
        raise self._error(f'Unsupported start tag "!" at byte offset {self._offset()}')

    def handle_pi(self, data: str) -> None:
        raise self._error(f'Unsupported start tag "?" at byte offset {self._offset()}')

    def unknown_decl(self, data: str) -> None:
        raise self._error(f'Unsupported start tag "![" at byte offset {self._offset()}')

    def _entity_for(self, tag: str, attrs: dict[str, str | None]) -> JsonDict | None:
        kind = _TAG_ENTITIES.get(tag)
        if kind is None:
            raise self._error(f'Unsupported start tag "{tag}" at byte offset {self._offset()}')
        if tag == "span" and attrs.get("class") != "tg-spoiler":
            raise self._error(
                f'Tag "span" must have class "tg-spoiler" at byte offset {self._offset()}'
            )
        if tag == "a":
            return {"type": kind, "url": attrs["href"]} if attrs.get("href") else None
        if tag == "tg-emoji":
            if not attrs.get("emoji-id"):
                raise self._error(
                    f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {self._offset()}'
                )
            return {"type": kind, "custom_emoji_id": attrs["emoji-id"]}
        if tag == "blockquote" and "expandable" in attrs:
            return {"type": "expandable_blockquote"}
        if tag == "code" and self._open and self._open[-1].name == "pre":
            self._absorb_into_pre(attrs.get("class") or "")
            return None
        return {"type": kind}

    def _absorb_into_pre(self, css_class: str) -> None:
        """``<pre><code class="language-x">`` is one pre entity with a language."""
        pre = self._open[-1].entity
        if pre is not None and css_class.startswith("language-"):
            pre["language"] = css_class.removeprefix("language-")

    def _append(self, text: str) -> None:
        self._plain.append(text)
        self._length += _utf16_len(text)

    def _index(self) -> int:
        line, column = self.getpos()
        return self._line_starts[line - 1] + column

    def _offset(self, extra_characters: int = 0) -> int:
        index = self._index() + extra_characters
        return len(self._source[:index].encode())

    @staticmethod
    def _error(reason: str) -> ApiError:
        return _bad_request(f"can't parse entities: {reason}")


def _trimmed(text: _FormattedText) -> _FormattedText:
    """Telegram strips surrounding whitespace and moves the entities along."""
    plain = text.plain.strip()
    if plain == text.plain:
        return text
    shift = _utf16_len(text.plain[: len(text.plain) - len(text.plain.lstrip())])
    end = _utf16_len(plain)
    entities = []
    for entity in text.entities:
        start = max(entity["offset"] - shift, 0)
        stop = min(entity["offset"] + entity["length"] - shift, end)
        if stop > start:
            entities.append({**entity, "offset": start, "length": stop - start})
    return _FormattedText(plain, tuple(entities))


def _formatted(text: str, parse_mode: str | None) -> _FormattedText:
    mode = (parse_mode or "").lower()
    if mode == "html":
        return _trimmed(_TelegramHtml(text).parse())
    if mode in ("", "markdown", "markdownv2"):
        return _trimmed(_FormattedText(text))  # Markdown is taken literally, see module doc
    raise _bad_request("unsupported parse_mode")


def _message_text(text: object, parse_mode: str | None) -> _FormattedText:
    formatted = _formatted("" if text is None else str(text), parse_mode)
    if not formatted.plain:
        raise _bad_request("message text is empty")
    if len(formatted.plain) > MAX_TEXT_LENGTH:
        raise _bad_request("message is too long")
    return formatted


def _caption(caption: object, parse_mode: str | None) -> _FormattedText | None:
    if caption is None:
        return None
    formatted = _formatted(str(caption), parse_mode)
    if len(formatted.plain) > MAX_CAPTION_LENGTH:
        raise _bad_request("message caption is too long")
    return formatted if formatted.plain else None


# --------------------------------------------------------------------------- keyboards

_BUTTON_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def _reply_markup(value: object) -> JsonDict | None:
    """Validates reply_markup; inline keyboards get Telegram's button checks."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in value:
        rows = value["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad_request("can't parse reply keyboard markup JSON object")
        for button in itertools.chain.from_iterable(rows):
            _check_inline_button(button)
    return value


def _check_inline_button(button: object) -> None:
    if not isinstance(button, dict):
        raise _bad_request("can't parse inline keyboard button: InlineKeyboardButton expected")
    if not button.get("text"):
        raise _bad_request("can't parse inline keyboard button: Text must be non-empty")
    actions = [action for action in _BUTTON_ACTIONS if action in button]
    if not actions:
        raise _bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if len(actions) > 1:
        raise _bad_request(
            "can't parse inline keyboard button: Exactly one of the optional fields must be used"
        )
    data = button.get("callback_data")
    if "callback_data" in button and (
        not isinstance(data, str) or not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA_BYTES
    ):
        raise _bad_request("BUTTON_DATA_INVALID")
    url = button.get("url")
    if "url" in button and not (
        isinstance(url, str) and url.startswith(("http://", "https://", "tg://"))
    ):
        raise _bad_request("BUTTON_URL_INVALID")
    if "web_app" in button:
        _check_web_app(button["web_app"])


def _check_web_app(web_app: object) -> None:
    """A Mini App opens only over HTTPS (Telegram refuses any other address)."""
    url = web_app.get("url") if isinstance(web_app, dict) else None
    if not isinstance(url, str) or not url.startswith("https://"):
        raise _bad_request("BUTTON_URL_INVALID")


def _inline_buttons(markup: JsonDict | None) -> list[JsonDict]:
    rows = (markup or {}).get("inline_keyboard") or []
    return list(itertools.chain.from_iterable(rows))


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class UploadedFile:
    """A file the bot uploaded in a multipart request."""

    filename: str
    mime_type: str
    content: bytes = field(repr=False)


@dataclass
class SentMessage:
    """A message the bot sent, as it looks now in the chat (edits applied)."""

    message_id: int
    chat_id: int
    method: str  # "sendMessage", "sendPhoto" or "sendDocument"
    date: int
    text: str | None = None  # as sent, markup kept
    plain_text: str | None = None  # as the user sees it
    caption: str | None = None  # as sent, markup kept
    plain_caption: str | None = None
    entities: list[JsonDict] = field(default_factory=list)  # of the text or the caption
    parse_mode: str | None = None
    reply_markup: JsonDict | None = None
    file: bytes | None = field(default=None, repr=False)  # None when sent by file_id or URL
    filename: str | None = None
    mime_type: str | None = None
    file_id: str | None = None
    edited: int = 0
    edit_date: int | None = None
    deleted: bool = False
    chat: JsonDict = field(default_factory=dict, repr=False)
    sender: JsonDict = field(default_factory=dict, repr=False)

    @property
    def buttons(self) -> list[tuple[str, str | None]]:
        """Inline buttons, row after row: (text, callback_data or url or other action)."""
        return [
            (button["text"], _button_action(button))
            for button in _inline_buttons(self.reply_markup)
        ]

    def to_api_dict(self) -> JsonDict:
        """The Telegram ``Message`` object for this message."""
        message: JsonDict = {
            "message_id": self.message_id,
            "from": self.sender,
            "chat": self.chat,
            "date": self.date,
        }
        if self.edit_date is not None:
            message["edit_date"] = self.edit_date
        if self.plain_text is not None:
            message["text"] = self.plain_text
        message.update(self._media())
        if self.plain_caption is not None:
            message["caption"] = self.plain_caption
        if self.entities:
            message["entities" if self.plain_text is not None else "caption_entities"] = (
                self.entities
            )
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            message["reply_markup"] = self.reply_markup
        return copy.deepcopy(message)

    def _media(self) -> JsonDict:
        if self.file_id is None:
            return {}
        size = {} if self.file is None else {"file_size": len(self.file)}
        ids = {"file_id": self.file_id, "file_unique_id": f"U{self.file_id}"}
        if self.method == "sendPhoto":
            return {
                "photo": [
                    {**ids, "width": 90, "height": 90, **size},
                    {**ids, "width": 800, "height": 800, **size},
                ]
            }
        document = {**ids, **size}
        if self.filename:
            document["file_name"] = self.filename
        if self.mime_type:
            document["mime_type"] = self.mime_type
        return {"document": document}


def _button_action(button: JsonDict) -> str | None:
    for action in _BUTTON_ACTIONS:
        if isinstance(button.get(action), str):
            return button[action]
    web_app = button.get("web_app")
    if isinstance(web_app, dict) and isinstance(web_app.get("url"), str):
        return str(web_app["url"])
    return None


@dataclass(frozen=True)
class ApiCall:
    """One request the fake answered (recorded when the answer was sent)."""

    method: str  # canonical name, or as requested when unknown
    params: JsonDict  # decoded; uploads appear as UploadedFile
    chat_id: int | str | None
    time: float  # time.monotonic() when the request arrived
    status: int  # HTTP status answered
    description: str | None = None  # the error description, None on success


# --------------------------------------------------------------------------- state


class _Directory:
    """Who exists: users, chats and whether the bot is still in each group."""

    def __init__(self, bot_user: JsonDict) -> None:
        self.bot_user = bot_user
        self._users: dict[int, JsonDict] = {}
        self._chats: dict[int, JsonDict] = {}
        self.left_groups: set[int] = set()

    def add_user(self, user: JsonDict) -> None:
        self._users[user["id"]] = user
        private: JsonDict = {
            key: user[key] for key in ("id", "first_name", "username") if key in user
        }
        self._chats[user["id"]] = {**private, "type": "private"}

    def add_group(self, chat_id: int, title: str, chat_type: str) -> None:
        self._chats[chat_id] = {"id": chat_id, "title": title, "type": chat_type}

    def user(self, user_id: int) -> JsonDict:
        return copy.deepcopy(self._users[user_id])

    def chat(self, chat_id: int) -> JsonDict:
        return copy.deepcopy(self._chats[chat_id])

    def resolve(self, reference: object) -> int:
        """A chat_id parameter (number or "@username") to a known chat id."""
        if isinstance(reference, str) and reference.startswith("@"):
            by_username = {chat.get("username"): chat_id for chat_id, chat in self._chats.items()}
            chat_id = by_username.get(reference[1:])
        else:
            chat_id = _as_int(reference)
        if chat_id is None or chat_id not in self._chats:
            raise _bad_request("chat not found")
        return chat_id

    def join(self, chat_id: int) -> None:
        self.left_groups.discard(chat_id)

    def leave(self, chat_id: int) -> None:
        self.left_groups.add(chat_id)


class _MessageLog:
    """The messages in the chats: the bot's (with their current state) and the users'
    (ids only, so the bot may delete them), plus what the tests have read so far."""

    def __init__(self) -> None:
        self._sent: list[SentMessage] = []
        self._by_key: dict[tuple[int, int], SentMessage] = {}
        self._incoming: set[tuple[int, int]] = set()
        self._next_ids: dict[int, Iterator[int]] = {}
        self._read: dict[int, int] = {}
        # A test reads copies, so that what it holds does not change under it. Each copy
        # is made once per state of its message (an edit or a deletion makes a new one):
        # tests that look at a whole chat after every step would otherwise copy every
        # message of it again each time. Tests must treat what they read as read-only.
        self._copies: dict[int, tuple[tuple[int, bool], SentMessage]] = {}

    def _copy(self, message: SentMessage) -> SentMessage:
        state = (message.edited, message.deleted)
        cached = self._copies.get(id(message))
        if cached is None or cached[0] != state:
            cached = self._copies[id(message)] = (state, copy.deepcopy(message))
        return cached[1]

    def next_message_id(self, chat_id: int) -> int:
        """Message ids are counted per chat; users and the bot share the sequence."""
        return next(self._next_ids.setdefault(chat_id, itertools.count(1)))

    def add_sent(self, message: SentMessage) -> None:
        self._sent.append(message)
        self._by_key[message.chat_id, message.message_id] = message

    def add_incoming(self, chat_id: int, message_id: int) -> None:
        self._incoming.add((chat_id, message_id))

    def get(self, chat_id: int, message_id: int) -> SentMessage | None:
        message = self._by_key.get((chat_id, message_id))
        return None if message is None or message.deleted else message

    def delete(self, chat_id: int, message_id: int) -> bool:
        if (chat_id, message_id) in self._incoming:
            self._incoming.discard((chat_id, message_id))
            return True
        message = self.get(chat_id, message_id)
        if message is not None:
            message.deleted = True
        return message is not None

    def sent(self, chat_id: int | None = None) -> list[SentMessage]:
        return [
            self._copy(message)
            for message in self._sent
            if chat_id is None or message.chat_id == chat_id
        ]

    def unread(self, chat_id: int) -> list[SentMessage]:
        # Copies only the unread ones: the waiting helpers call this every few ms.
        mine = [message for message in self._sent if message.chat_id == chat_id]
        return [self._copy(message) for message in mine[self._read.get(chat_id, 0) :]]

    def mark_read(self, chat_id: int, count: int) -> None:
        self._read[chat_id] = self._read.get(chat_id, 0) + count

    def clear(self) -> None:
        self._sent.clear()
        self._by_key.clear()
        self._read.clear()
        self._copies.clear()


# Update types Telegram leaves out unless asked for by allowed_updates.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class _UpdateQueue:
    """Pending updates in id order, until confirmed by getUpdates' offset or delivered to
    the webhook, as with Telegram (an answered but unconfirmed update is sent again)."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._pending: list[JsonDict] = []
        self._allowed: frozenset[str] = frozenset()  # empty: Telegram's default set

    def push(self, kind: str, payload: JsonDict) -> None:
        self._pending.append({"update_id": next(self._ids), kind: payload})

    def confirm_before(self, offset: int) -> None:
        self._pending = [update for update in self._pending if update["update_id"] >= offset]

    def allow(self, allowed_updates: object) -> None:
        """Telegram keeps the last allowed_updates given; None leaves it unchanged."""
        if isinstance(allowed_updates, list):
            self._allowed = frozenset(allowed_updates)

    def take(self, limit: int) -> list[JsonDict]:
        """The next updates. Unwanted ones are dropped: Telegram would not have made them."""
        self._pending = [update for update in self._pending if self._wanted(update)]
        return copy.deepcopy(self._pending[:limit])

    def clear(self) -> None:
        self._pending.clear()

    def __len__(self) -> int:
        return len(self._pending)

    def _wanted(self, update: JsonDict) -> bool:
        kind = next(key for key in update if key != "update_id")
        return kind in self._allowed if self._allowed else kind not in _OPT_IN_UPDATES


@dataclass
class _CallbackQuery:
    created: float
    answer: JsonDict | None = None


class _CallbackQueries:
    """Callback queries awaiting an answer; Telegram forgets them after a short while."""

    def __init__(self, ttl: float) -> None:
        self._ttl = ttl
        self._ids = itertools.count(4_200_000_000_000_000_001)
        self._queries: dict[str, _CallbackQuery] = {}
        self.answers: list[JsonDict] = []

    def open(self) -> str:
        query_id = str(next(self._ids))
        self._queries[query_id] = _CallbackQuery(created=time.monotonic())
        return query_id

    def answer(self, query_id: str, params: JsonDict) -> None:
        """Records the answer; unknown, expired and already answered ids are refused alike."""
        query = self._queries.get(query_id)
        if query is None or query.answer is not None or self._expired(query):
            raise _bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        query.answer = params
        self.answers.append(params)

    def _expired(self, query: _CallbackQuery) -> bool:
        return time.monotonic() - query.created > self._ttl

    def answer_of(self, query_id: str) -> JsonDict | None:
        query = self._queries.get(query_id)
        return None if query is None else copy.deepcopy(query.answer)

    def clear(self) -> None:
        self._queries.clear()
        self.answers.clear()


# --------------------------------------------------------------------------- faults


@dataclass
class _Failure:
    method: str
    status: int
    remaining: int
    description: str
    retry_after: int | None
    chat_id: int | None

    def matches(self, method: str, chat_id: object) -> bool:
        return self.method == method and self.chat_id in (None, chat_id)


@dataclass
class _Delay:
    method: str
    seconds: float
    remaining: int


class _TokenBucket:
    """Allows `rate` requests per second with bursts of up to max(1, rate)."""

    def __init__(self, rate: float) -> None:
        self._rate = rate
        self._capacity = max(1.0, rate)
        self._tokens = self._capacity
        self._updated = time.monotonic()

    def wait_time(self) -> float:
        """Seconds until one request is allowed (0 when allowed now)."""
        now = time.monotonic()
        self._tokens = min(self._capacity, self._tokens + (now - self._updated) * self._rate)
        self._updated = now
        return 0.0 if self._tokens >= 1 else (1 - self._tokens) / self._rate

    def consume(self) -> None:
        self._tokens -= 1


class _FloodControl:
    """Telegram-like flood control: an overall limit and a per-chat limit."""

    def __init__(self, overall_per_second: float | None, per_chat_per_second: float | None):
        self._overall = None if overall_per_second is None else _TokenBucket(overall_per_second)
        self._per_chat_rate = per_chat_per_second
        self._per_chat: dict[object, _TokenBucket] = {}

    def admit(self, chat_id: object) -> None:
        buckets = [bucket for bucket in (self._overall, self._chat_bucket(chat_id)) if bucket]
        wait = max((bucket.wait_time() for bucket in buckets), default=0.0)
        if wait > 0:
            raise _too_many_requests(max(1, math.ceil(wait)))
        for bucket in buckets:
            bucket.consume()

    def _chat_bucket(self, chat_id: object) -> _TokenBucket | None:
        if self._per_chat_rate is None:
            return None
        return self._per_chat.setdefault(chat_id, _TokenBucket(self._per_chat_rate))


class _FaultPlan:
    """Faults the tests asked for: failures, slow answers, blocked users, flood control."""

    def __init__(self) -> None:
        self._failures: list[_Failure] = []
        self._delays: list[_Delay] = []
        self.blocked: set[int] = set()
        self._flood = _FloodControl(None, None)

    def add_failure(self, failure: _Failure) -> None:
        self._failures.append(failure)

    def add_delay(self, delay: _Delay) -> None:
        self._delays.append(delay)

    def limit_rate(self, overall: float | None, per_chat: float | None) -> None:
        self._flood = _FloodControl(overall, per_chat)

    def take_delay(self, method: str) -> float:
        for delay in self._delays:
            if delay.method == method:
                delay.remaining -= 1
                if not delay.remaining:
                    self._delays.remove(delay)
                return delay.seconds
        return 0.0

    def screen(self, method: str, chat_id: object) -> None:
        """Raises the injected failure or flood-control error due for this call, if any."""
        for failure in self._failures:
            if failure.matches(method, chat_id):
                failure.remaining -= 1
                if not failure.remaining:
                    self._failures.remove(failure)
                raise ApiError(failure.status, failure.description, retry_after=failure.retry_after)
        if method in _FLOOD_CONTROLLED:
            self._flood.admit(chat_id)

    def clear(self) -> None:
        self._failures.clear()
        self._delays.clear()
        self.blocked.clear()
        self._flood = _FloodControl(None, None)


def _failure_description(status: int, retry_after: int | None) -> str:
    """What Telegram says for an error status when the test gave no description."""
    if status == 429:
        return f"Too Many Requests: retry after {retry_after}"
    if status == 403:
        return "Forbidden: bot was blocked by the user"
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"Error {status}"


@dataclass
class _Webhook:
    url: str
    secret_token: str | None
    last_error_date: int | None = None
    last_error_message: str | None = None


class _World:
    """All state shared between the server thread and the tests' threads.

    Every attribute is read and written only while holding `lock`.
    """

    def __init__(self, bot_user: JsonDict, callback_query_ttl: float) -> None:
        self.lock = threading.Lock()
        self.directory = _Directory(bot_user)
        self.log = _MessageLog()
        self.updates = _UpdateQueue()
        self.callbacks = _CallbackQueries(callback_query_ttl)
        self.faults = _FaultPlan()
        self.commands: dict[tuple[str, str], list[JsonDict]] = {}
        # setChatMenuButton: chat id (0: the default for every chat) → the button.
        self.menu_buttons: dict[int, JsonDict] = {}
        self.webhook: _Webhook | None = None
        self.calls: list[ApiCall] = []
        self.files: dict[str, UploadedFile] = {}
        self._file_ids = itertools.count(1)
        # Set by the running server: tells the loop that updates are waiting.
        self.wake_consumers: Callable[[], None] = lambda: None

    def new_file_id(self, kind: str) -> str:
        return f"fake-{kind}-{next(self._file_ids)}"

    def publish(self, kind: str, build: Callable[[], JsonDict]) -> JsonDict:
        """Builds one update under the lock (so ids and state stay consistent), queues it
        and wakes whoever waits for updates. Returns a copy of the payload."""
        with self.lock:
            payload = build()
            self.updates.push(kind, payload)
        self.wake_consumers()
        return copy.deepcopy(payload)


# --------------------------------------------------------------------------- update payloads


def _command_entities(text: str) -> list[JsonDict]:
    """Telegram marks a leading "/command" (with its "@botname") as a bot_command."""
    if not text.startswith("/"):
        return []
    command = text.split(maxsplit=1)[0]
    return [{"type": "bot_command", "offset": 0, "length": _utf16_len(command)}]


def _text_content(text: str) -> JsonDict:
    entities = _command_entities(text)
    return {"text": text, "entities": entities} if entities else {"text": text}


def _incoming_message(world: _World, chat_id: int, sender_id: int, content: JsonDict) -> JsonDict:
    """A user's message as Telegram delivers it (lock held)."""
    message_id = world.log.next_message_id(chat_id)
    world.log.add_incoming(chat_id, message_id)
    return {
        "message_id": message_id,
        "from": world.directory.user(sender_id),
        "chat": world.directory.chat(chat_id),
        "date": _now(),
        **content,
    }


def _membership_change(
    world: _World, chat_id: int, actor: JsonDict, old: str, new: str
) -> JsonDict:
    """A my_chat_member payload: the bot's status in `chat_id` went from `old` to `new`."""
    bot = world.directory.bot_user
    return {
        "chat": world.directory.chat(chat_id),
        "from": actor,
        "date": _now(),
        "old_chat_member": {"status": old, "user": bot},
        "new_chat_member": {"status": new, "user": bot},
    }


def _sticker(file_id: str) -> JsonDict:
    return {
        "file_id": file_id,
        "file_unique_id": f"U{file_id}",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "emoji": "👍",
    }


def _photo_sizes(file_id: str) -> list[JsonDict]:
    return [
        {
            "file_id": f"{file_id}-{side}",
            "file_unique_id": f"U{file_id}-{side}",
            "width": side,
            "height": side,
            "file_size": side * 40,
        }
        for side in (90, 320, 1280)
    ]


# --------------------------------------------------------------------------- parameters


def _required(params: JsonDict, name: str) -> Any:
    value = params.get(name)
    if value is None or value == "":
        raise _bad_request(f"{name} is empty")
    return value


def _integer(params: JsonDict, name: str, default: int | None = None) -> int:
    if params.get(name) is None and default is not None:
        return default
    try:
        return int(_required(params, name))
    except (TypeError, ValueError):
        raise _bad_request(f"invalid {name} specified") from None


def _as_int(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def _seconds(params: JsonDict, name: str) -> float:
    try:
        return max(float(params.get(name) or 0), 0.0)
    except (TypeError, ValueError):
        raise _bad_request(f"invalid {name} specified") from None


def _flag(params: JsonDict, name: str) -> bool:
    return params.get(name) in (True, 1, "true", "True", "1")


def _json_param(params: JsonDict, name: str) -> Any:
    """A structured parameter; tolerates clients that sent it JSON-encoded in JSON."""
    value = params.get(name)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise _bad_request(f"can't parse {name} JSON object") from None
    return value


# --------------------------------------------------------------------------- Bot API methods

_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_COMMAND_PATTERN = re.compile(r"[a-z0-9_]{1,32}")


class _BotMethods:
    """The Bot API methods that answer at once. Each runs with the world lock held,
    validates like Telegram, applies its effect and returns the answer's ``result``."""

    def __init__(self, world: _World) -> None:
        self._world = world

    def table(self) -> dict[str, Callable[[JsonDict], Any]]:
        return {
            "getMe": self.get_me,
            "sendMessage": self.send_message,
            "sendPhoto": lambda params: self.send_file(params, "sendPhoto", "photo"),
            "sendDocument": lambda params: self.send_file(params, "sendDocument", "document"),
            "editMessageText": self.edit_message_text,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message,
            "answerCallbackQuery": self.answer_callback_query,
            "sendChatAction": self.send_chat_action,
            "getChat": self.get_chat,
            "leaveChat": self.leave_chat,
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "setChatMenuButton": self.set_chat_menu_button,
            "getChatMenuButton": self.get_chat_menu_button,
            "setWebhook": self.set_webhook,
            "deleteWebhook": self.delete_webhook,
            "getWebhookInfo": self.get_webhook_info,
            "close": lambda params: True,
            "logOut": lambda params: True,
        }

    def get_me(self, params: JsonDict) -> JsonDict:
        return {
            **self._world.directory.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def send_message(self, params: JsonDict) -> JsonDict:
        chat_id = self._reachable_chat(params)
        text = _message_text(params.get("text"), params.get("parse_mode"))
        message = self._new_message(chat_id, "sendMessage", params)
        message.text, message.plain_text = str(params["text"]), text.plain
        message.entities = list(text.entities)
        self._world.log.add_sent(message)
        return message.to_api_dict()

    def send_file(self, params: JsonDict, method: str, field_name: str) -> JsonDict:
        chat_id = self._reachable_chat(params)
        upload = params.get(field_name)
        if not upload:
            raise _bad_request(f"there is no {field_name} in the request")
        caption = _caption(params.get("caption"), params.get("parse_mode"))
        message = self._new_message(chat_id, method, params)
        if caption is not None:
            message.caption, message.plain_caption = str(params["caption"]), caption.plain
            message.entities = list(caption.entities)
        self._attach(message, upload, field_name)
        self._world.log.add_sent(message)
        return message.to_api_dict()

    def edit_message_text(self, params: JsonDict) -> JsonDict:
        message = self._message_to_edit(params)
        if message.plain_text is None:
            raise _bad_request("there is no text in the message to edit")
        text = _message_text(params.get("text"), params.get("parse_mode"))
        markup = _reply_markup(_json_param(params, "reply_markup"))
        if (text.plain, list(text.entities), markup) == (
            message.plain_text,
            message.entities,
            message.reply_markup,
        ):
            raise self._not_modified()
        message.text, message.plain_text = str(params["text"]), text.plain
        message.entities, message.parse_mode = list(text.entities), params.get("parse_mode")
        message.reply_markup = markup
        return self._mark_edited(message)

    def edit_message_reply_markup(self, params: JsonDict) -> JsonDict:
        message = self._message_to_edit(params)
        markup = _reply_markup(_json_param(params, "reply_markup"))
        if markup == message.reply_markup:
            raise self._not_modified()
        message.reply_markup = markup
        return self._mark_edited(message)

    def delete_message(self, params: JsonDict) -> bool:
        chat_id = self._world.directory.resolve(_required(params, "chat_id"))
        if not self._world.log.delete(chat_id, _integer(params, "message_id")):
            raise _bad_request("message to delete not found")
        return True

    def answer_callback_query(self, params: JsonDict) -> bool:
        text = params.get("text")
        if text is not None and len(str(text)) > MAX_CALLBACK_ANSWER_LENGTH:
            raise _bad_request("MESSAGE_TOO_LONG")
        self._world.callbacks.answer(str(_required(params, "callback_query_id")), params)
        return True

    def send_chat_action(self, params: JsonDict) -> bool:
        self._reachable_chat(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")
        return True

    def get_chat(self, params: JsonDict) -> JsonDict:
        chat_id = self._world.directory.resolve(_required(params, "chat_id"))
        return {
            **self._world.directory.chat(chat_id),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def leave_chat(self, params: JsonDict) -> bool:
        directory = self._world.directory
        chat_id = directory.resolve(_required(params, "chat_id"))
        chat = directory.chat(chat_id)
        if chat["type"] == "private":
            raise _bad_request("chat member status can't be changed in private chats")
        if chat_id in directory.left_groups:
            raise _forbidden(f"bot is not a member of the {chat['type']} chat")
        directory.leave(chat_id)
        change = _membership_change(self._world, chat_id, directory.bot_user, "member", "left")
        self._world.updates.push("my_chat_member", change)
        self._world.wake_consumers()
        return True

    def set_my_commands(self, params: JsonDict) -> bool:
        commands = _json_param(params, "commands")
        if not isinstance(commands, list) or len(commands) > MAX_COMMANDS:
            raise _bad_request("BOT_COMMANDS_TOO_MUCH" if commands else "commands is empty")
        for command in commands:
            if not _COMMAND_PATTERN.fullmatch(str(command.get("command", ""))):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        self._world.commands[self._commands_key(params)] = copy.deepcopy(commands)
        return True

    def get_my_commands(self, params: JsonDict) -> list[JsonDict]:
        return copy.deepcopy(self._world.commands.get(self._commands_key(params), []))

    def delete_my_commands(self, params: JsonDict) -> bool:
        self._world.commands.pop(self._commands_key(params), None)
        return True

    def set_chat_menu_button(self, params: JsonDict) -> bool:
        button = _json_param(params, "menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in (
            "commands",
            "web_app",
            "default",
        ):
            raise _bad_request("can't parse menu button JSON object")
        if button["type"] == "web_app":
            if not button.get("text"):
                raise _bad_request("BUTTON_TEXT_INVALID")
            _check_web_app(button.get("web_app"))
        chat_id = params.get("chat_id")
        key = self._world.directory.resolve(chat_id) if chat_id is not None else 0
        self._world.menu_buttons[key] = copy.deepcopy(button)
        return True

    def get_chat_menu_button(self, params: JsonDict) -> JsonDict:
        chat_id = params.get("chat_id")
        key = self._world.directory.resolve(chat_id) if chat_id is not None else 0
        return copy.deepcopy(
            self._world.menu_buttons.get(key)
            or self._world.menu_buttons.get(0)
            or {"type": "default"}
        )

    def set_webhook(self, params: JsonDict) -> bool:
        url = str(params.get("url") or "")
        if not url:
            return self.delete_webhook(params)
        if not url.startswith(("http://", "https://")):
            raise _bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise _bad_request("secret token contains unallowed characters")
        self._world.webhook = _Webhook(url, None if secret is None else str(secret))
        self._world.updates.allow(_json_param(params, "allowed_updates"))
        if _flag(params, "drop_pending_updates"):
            self._world.updates.clear()
        self._world.wake_consumers()
        return True

    def delete_webhook(self, params: JsonDict) -> bool:
        self._world.webhook = None
        if _flag(params, "drop_pending_updates"):
            self._world.updates.clear()
        return True

    def get_webhook_info(self, params: JsonDict) -> JsonDict:
        hook = self._world.webhook
        info: JsonDict = {
            "url": hook.url if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._world.updates),
        }
        if hook and hook.last_error_message:
            info["last_error_date"] = hook.last_error_date
            info["last_error_message"] = hook.last_error_message
        return info

    def _reachable_chat(self, params: JsonDict) -> int:
        """The chat a message goes to, refused like Telegram when the bot cannot post there."""
        directory = self._world.directory
        chat_id = directory.resolve(_required(params, "chat_id"))
        chat_type = directory.chat(chat_id)["type"]
        if chat_id in self._world.faults.blocked:
            raise _forbidden("bot was blocked by the user")
        if chat_id in directory.left_groups:
            raise _forbidden(f"bot is not a member of the {chat_type} chat")
        return chat_id

    def _new_message(self, chat_id: int, method: str, params: JsonDict) -> SentMessage:
        return SentMessage(
            message_id=self._world.log.next_message_id(chat_id),
            chat_id=chat_id,
            method=method,
            date=_now(),
            parse_mode=params.get("parse_mode"),
            reply_markup=_reply_markup(_json_param(params, "reply_markup")),
            chat=self._world.directory.chat(chat_id),
            sender=copy.deepcopy(self._world.directory.bot_user),
        )

    def _attach(self, message: SentMessage, upload: object, kind: str) -> None:
        """An upload is stored under a new file_id; a file_id or URL string is kept as is
        (a known file_id brings its stored bytes along)."""
        if isinstance(upload, UploadedFile):
            message.file_id = self._world.new_file_id(kind)
            self._world.files[message.file_id] = upload
        else:
            message.file_id = str(upload)
        stored = self._world.files.get(message.file_id)
        if stored is not None:
            message.file, message.filename = stored.content, stored.filename
            message.mime_type = stored.mime_type

    def _message_to_edit(self, params: JsonDict) -> SentMessage:
        if params.get("inline_message_id") is not None:
            raise _bad_request("message to edit not found")  # inline mode is not served
        chat_id = self._reachable_chat(params)
        message = self._world.log.get(chat_id, _integer(params, "message_id"))
        if message is None:
            raise _bad_request("message to edit not found")
        return message

    @staticmethod
    def _mark_edited(message: SentMessage) -> JsonDict:
        message.edited += 1
        message.edit_date = _now()
        return message.to_api_dict()

    @staticmethod
    def _not_modified() -> ApiError:
        return _bad_request(
            "message is not modified: specified new message content and reply markup are "
            "exactly the same as a current content and reply markup of the message"
        )

    @staticmethod
    def _commands_key(params: JsonDict) -> tuple[str, str]:
        scope = _json_param(params, "scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")


# --------------------------------------------------------------------------- long polling


class _Poll:
    """One parked getUpdates request (loop-confined)."""

    def __init__(self) -> None:
        self.superseded = False
        self._wakeup = asyncio.Event()

    def wake(self) -> None:
        self._wakeup.set()

    def supersede(self) -> None:
        self.superseded = True
        self.wake()

    async def sleep(self, seconds: float) -> None:
        """Until woken or `seconds` have passed; a wake-up that came early is not lost."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), seconds)
        self._wakeup.clear()


class _LongPoll:
    """getUpdates: answers at once when updates are pending, otherwise parks the request
    until an update arrives or its timeout passes (loop-confined)."""

    def __init__(self, world: _World, *, single_poller: bool) -> None:
        self._world = world
        self._single_poller = single_poller
        self._polls: set[_Poll] = set()
        self._closing = False

    def wake_all(self) -> None:
        for poll in self._polls:
            poll.wake()

    def close(self) -> None:
        """Answer every parked request now: the server waits for them before it stops,
        and a client that went away would otherwise hold it for the rest of its timeout."""
        self._closing = True
        self.wake_all()

    async def serve(self, params: JsonDict) -> list[JsonDict]:
        limit = min(max(_integer(params, "limit", 100), 1), 100)
        timeout = _seconds(params, "timeout")
        with self._world.lock:
            self._refuse_if_webhook()
            self._world.updates.confirm_before(_integer(params, "offset", 0))
            self._world.updates.allow(_json_param(params, "allowed_updates"))
        if self._single_poller:
            for earlier in self._polls:
                earlier.supersede()
        poll = _Poll()
        self._polls.add(poll)
        try:
            return await self._wait_for_updates(poll, limit, time.monotonic() + timeout)
        finally:
            self._polls.discard(poll)

    async def _wait_for_updates(self, poll: _Poll, limit: int, deadline: float) -> list[JsonDict]:
        while True:
            if poll.superseded:
                raise _conflict(
                    "terminated by other getUpdates request; make sure that only one bot "
                    "instance is running"
                )
            with self._world.lock:
                self._refuse_if_webhook()
                updates = self._world.updates.take(limit)
            remaining = deadline - time.monotonic()
            if updates or remaining <= 0 or self._closing:
                return updates
            await poll.sleep(remaining)

    def _refuse_if_webhook(self) -> None:
        if self._world.webhook is not None:
            raise _conflict(
                "can't use getUpdates method while webhook is active; use deleteWebhook to "
                "delete the webhook first"
            )


# --------------------------------------------------------------------------- webhook


class _WebhookPusher:
    """Delivers pending updates to the webhook URL one at a time, in order. An update
    leaves the queue only when the receiver answered 2xx; failures are retried, as
    Telegram does, and shown by getWebhookInfo (loop-confined)."""

    RETRY_DELAY = 0.1
    TIMEOUT = 5.0

    def __init__(self, world: _World) -> None:
        self._world = world
        self._wakeup = asyncio.Event()

    def wake(self) -> None:
        self._wakeup.set()

    async def run(self) -> None:
        client = AsyncHTTPClient(force_instance=True)
        try:
            while True:
                await self._wakeup.wait()
                self._wakeup.clear()
                while (delivery := self._next_delivery()) is not None:
                    if not await self._deliver(client, *delivery):
                        await asyncio.sleep(self.RETRY_DELAY)
        finally:
            client.close()

    def _next_delivery(self) -> tuple[_Webhook, JsonDict] | None:
        with self._world.lock:
            hook = self._world.webhook
            pending = self._world.updates.take(1) if hook else []
        return (hook, pending[0]) if hook and pending else None

    async def _deliver(self, client: AsyncHTTPClient, hook: _Webhook, update: JsonDict) -> bool:
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
        request = HTTPRequest(
            hook.url,
            method="POST",
            body=json.dumps(update),
            headers=headers,
            request_timeout=self.TIMEOUT,
        )
        error: str | None = None
        try:
            response = await client.fetch(request, raise_error=False)
        except (OSError, HTTPClientError) as exc:
            error = f"Connection failed: {exc}"
        else:
            if not 200 <= response.code < 300:
                error = f"Wrong response from the webhook: {response.code} {response.reason}"
        with self._world.lock:
            if error is None:
                self._world.updates.confirm_before(update["update_id"] + 1)
            else:
                hook.last_error_date, hook.last_error_message = _now(), error
        return error is None


# --------------------------------------------------------------------------- request pipeline


@dataclass(frozen=True)
class _ApiRequest:
    token: str
    method: str
    params: JsonDict
    malformed: str | None = None  # why the parameters could not be decoded
    arrived: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class _Reply:
    status: int
    body: JsonDict


class _ApiService:
    """Turns one request into one answer: token and method lookup, injected delays and
    failures, the method itself, and the record in `calls`."""

    def __init__(self, world: _World, token: str, *, single_poller: bool) -> None:
        self._world = world
        self._token = token
        self._methods = _BotMethods(world).table()
        self._names = {name.lower(): name for name in [*self._methods, "getUpdates"]}
        self._long_poll = _LongPoll(world, single_poller=single_poller)
        self._pusher = _WebhookPusher(world)

    def canonical_name(self, method: str) -> str | None:
        """Telegram method names are case-insensitive."""
        return self._names.get(method.lower())

    def is_long_poll(self, method: str) -> bool:
        """Long polls only read, so they may be dropped when their client goes away."""
        return self.canonical_name(method) == "getUpdates"

    @contextlib.asynccontextmanager
    async def attached(self) -> AsyncIterator[None]:
        """Binds the loop-confined parts to the running loop while the server runs."""
        loop = asyncio.get_running_loop()

        def wake_consumers() -> None:
            loop.call_soon_threadsafe(self._wake_on_loop)

        self._world.wake_consumers = wake_consumers
        pusher = asyncio.create_task(self._pusher.run(), name="fake-bot-api-webhook")
        self._wake_on_loop()  # updates may have been queued before the server started
        try:
            yield
        finally:
            self._world.wake_consumers = lambda: None
            pusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pusher

    def stop_long_polls(self) -> None:
        self._long_poll.close()

    async def handle(self, request: _ApiRequest) -> _Reply:
        try:
            reply = _Reply(200, {"ok": True, "result": await self._answer(request)})
        except ApiError as error:
            reply = _Reply(error.status, error.body())
        self._record(request, reply)
        return reply

    async def _answer(self, request: _ApiRequest) -> Any:
        if request.token != self._token:
            raise ApiError(401, "Unauthorized")
        name = self.canonical_name(request.method)
        if name is None:
            raise ApiError(404, "Not Found")
        if request.malformed is not None:
            raise _bad_request(f"can't parse request: {request.malformed}")
        with self._world.lock:
            pause = self._world.faults.take_delay(name)
        if pause:
            # The request is processed after the pause even if the client gave up
            # meanwhile: like Telegram, a timed-out send may still have been delivered.
            await asyncio.sleep(pause)
        chat_id = request.params.get("chat_id")
        if name == "getUpdates":
            with self._world.lock:
                self._world.faults.screen(name, chat_id)
            return await self._long_poll.serve(request.params)
        with self._world.lock:
            self._world.faults.screen(name, chat_id)
            return self._methods[name](request.params)

    def _record(self, request: _ApiRequest, reply: _Reply) -> None:
        call = ApiCall(
            method=self.canonical_name(request.method) or request.method,
            params=request.params,
            chat_id=request.params.get("chat_id"),
            time=request.arrived,
            status=reply.status,
            description=reply.body.get("description"),
        )
        with self._world.lock:
            self._world.calls.append(call)

    def _wake_on_loop(self) -> None:
        self._long_poll.wake_all()
        self._pusher.wake()


# --------------------------------------------------------------------------- HTTP

# Parameters PTB sends as raw strings; every other form field is JSON-encoded.
_STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "photo",
        "document",
        "url",
        "secret_token",
        "callback_query_id",
        "language_code",
        "action",
        "inline_message_id",
        "message_effect_id",
        "business_connection_id",
        "ip_address",
    }
)


def _form_value(name: str, raw: bytes) -> Any:
    text = raw.decode()
    if name in _STRING_PARAMS:
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text  # e.g. chat_id="@username"


def _decode_params(request: HTTPServerRequest) -> JsonDict:
    """Query string, then a JSON, urlencoded or multipart body (uploads as UploadedFile)."""
    params = {
        name: _form_value(name, values[-1]) for name, values in request.query_arguments.items()
    }
    if request.headers.get("Content-Type", "").startswith("application/json") and request.body:
        body = json.loads(request.body)
        if not isinstance(body, dict):
            raise ValueError("the JSON body must be an object")
        params.update(body)
    params.update(
        (name, _form_value(name, values[-1])) for name, values in request.body_arguments.items()
    )
    for name, uploads in request.files.items():
        upload = uploads[-1]
        params[name] = UploadedFile(upload.filename, upload.content_type, upload.body)
    return params


class _ApiHandler(RequestHandler):
    """``/bot<token>/<method>``, GET or POST."""

    def initialize(self, service: _ApiService) -> None:
        self._service = service
        self._method = ""
        self._work: asyncio.Future[_Reply] | None = None

    async def get(self, token: str, method: str) -> None:
        self._method = method
        try:
            request = _ApiRequest(token, method, _decode_params(self.request))
        except ValueError as exc:
            request = _ApiRequest(token, method, {}, malformed=str(exc))
        self._work = asyncio.ensure_future(self._service.handle(request))
        try:
            reply = await self._work
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise
            return  # a long poll whose client went away: nobody to answer
        self._send(reply)

    async def post(self, token: str, method: str) -> None:
        await self.get(token, method)

    def on_connection_close(self) -> None:
        if self._work is not None and self._service.is_long_poll(self._method):
            self._work.cancel()

    def _send(self, reply: _Reply) -> None:
        self.set_status(reply.status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(reply.body))


class _NotFoundHandler(RequestHandler):
    """Any other path, including ``/file/bot<token>/...`` (getFile is not served)."""

    def prepare(self) -> None:
        self.set_status(404)
        self.set_header("Content-Type", "application/json")
        self.finish(ApiError(404, "Not Found").body())


class _ServerThread(threading.Thread):
    """Owns the server's event loop: serves on 127.0.0.1 at a free port until stopped."""

    STARTUP_TIMEOUT = 10.0

    def __init__(self, service: _ApiService) -> None:
        super().__init__(name="fake-bot-api", daemon=True)
        self._service = service
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_requested: asyncio.Event | None = None
        self.port = 0

    def start_serving(self) -> int:
        """Starts the thread and returns the port once the server listens."""
        self.start()
        if not self._ready.wait(self.STARTUP_TIMEOUT):
            raise RuntimeError("the fake Bot API did not start in time")
        if self._failure is not None:
            raise RuntimeError("the fake Bot API failed to start") from self._failure
        return self.port

    def stop_serving(self) -> None:
        if self._loop is not None and self._stop_requested is not None:
            with contextlib.suppress(RuntimeError):  # the loop is already closed
                self._loop.call_soon_threadsafe(self._stop_requested.set)
        self.join(timeout=self.STARTUP_TIMEOUT)

    def run(self) -> None:
        # Untraced: under coverage.py, tracing this thread (the server's side of every
        # request of every test) cost about a sixth of a flow test's CPU, for lines that
        # are the tests' stand-in for Telegram, not the bot. A no-op without a tracer.
        sys.settrace(None)
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported to start_serving(), which re-raises
            self._failure = exc
        finally:
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop_requested = asyncio.Event()
        application = Application(
            [(r"/bot([^/]+)/([^/]*)", _ApiHandler, {"service": self._service})],
            default_handler_class=_NotFoundHandler,
            log_function=lambda handler: None,  # `calls` is the log
        )
        server = HTTPServer(application)
        sockets = bind_sockets(0, "127.0.0.1")
        server.add_sockets(sockets)
        self.port = sockets[0].getsockname()[1]
        async with self._service.attached():
            self._ready.set()
            await self._stop_requested.wait()
            self._service.stop_long_polls()
            server.stop()
            await server.close_all_connections()


# --------------------------------------------------------------------------- the fake


class FakeBotApi:
    """A local Telegram Bot API server for the real python-telegram-bot client.

    Point the client at it with ``base_url(f"{fake.url}/bot")`` and
    ``base_file_url(f"{fake.url}/file/bot")``. All methods are thread-safe.
    """

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        *,
        bot_id: int = 123456,
        bot_username: str = "between_test_bot",
        single_poller: bool = True,
        callback_query_ttl: float = 15.0,
    ) -> None:
        self.token = token
        self.url = ""
        bot_user = {"id": bot_id, "is_bot": True, "first_name": "Between", "username": bot_username}
        self._world = _World(bot_user, callback_query_ttl)
        self._service = _ApiService(self._world, token, single_poller=single_poller)
        self._thread: _ServerThread | None = None

    def start(self) -> Self:
        """Starts serving (once; a stopped fake cannot be restarted)."""
        if self._thread is None:
            self._thread = _ServerThread(self._service)
            self.url = f"http://127.0.0.1:{self._thread.start_serving()}"
        elif not self._thread.is_alive():
            raise RuntimeError("this FakeBotApi was stopped; create a new one")
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._thread.stop_serving()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # --- acting as Telegram users

    def user(
        self,
        user_id: int,
        *,
        first_name: str = "Test",
        language_code: str | None = "en",
        username: str | None = None,
    ) -> FakeUser:
        """A user with a private chat with the bot. Calling again with the same id updates
        the profile, as when a user renames themselves or changes language."""
        profile = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username is not None:
            profile["username"] = username
        if language_code is not None:
            profile["language_code"] = language_code
        with self._world.lock:
            self._world.directory.add_user(profile)
        return FakeUser(self._world, user_id)

    def group(self, chat_id: int, title: str = "A group", chat_type: str = "group") -> FakeGroup:
        """A group chat the bot is in (as if added earlier); see FakeGroup.add_bot."""
        with self._world.lock:
            self._world.directory.add_group(chat_id, title, chat_type)
        return FakeGroup(self._world, chat_id)

    # --- what the bot did

    def sent(self, chat_id: int | None = None) -> list[SentMessage]:
        """The bot's messages (all chats, or one), in order, as they look now."""
        with self._world.lock:
            return self._world.log.sent(chat_id)

    def sent_count(self) -> int:
        """How many messages the bot sent (cheap: for benchmarks that wait on thousands)."""
        with self._world.lock:
            return len(self._world.log._sent)

    def calls(self, method: str | None = None) -> list[ApiCall]:
        """Every answered request, or those of one method, in the order answered."""
        wanted = None if method is None else method.lower()
        with self._world.lock:
            return [call for call in self._world.calls if wanted in (None, call.method.lower())]

    @property
    def left_chats(self) -> set[int]:
        with self._world.lock:
            return set(self._world.directory.left_groups)

    @property
    def callback_answers(self) -> list[JsonDict]:
        """The parameters of every successful answerCallbackQuery, in order."""
        with self._world.lock:
            return copy.deepcopy(self._world.callbacks.answers)

    @property
    def commands(self) -> dict[tuple[str, str], list[JsonDict]]:
        """setMyCommands' lists keyed by (scope as sorted JSON, language_code or "")."""
        with self._world.lock:
            return copy.deepcopy(self._world.commands)

    @property
    def menu_buttons(self) -> dict[int, JsonDict]:
        """setChatMenuButton's buttons by chat id (0: the default for every chat)."""
        with self._world.lock:
            return copy.deepcopy(self._world.menu_buttons)

    # --- faults

    def fail(
        self,
        method: str,
        status: int,
        *,
        times: int = 1,
        retry_after: int | None = None,
        description: str | None = None,
        chat_id: int | None = None,
    ) -> None:
        """The next `times` calls of `method` (only those for `chat_id`, if given) answer
        with `status`. A 429 carries retry_after (default 1)."""
        if status == 429 and retry_after is None:
            retry_after = 1
        failure = _Failure(
            method=self._known_method(method),
            status=status,
            remaining=times,
            description=description or _failure_description(status, retry_after),
            retry_after=retry_after if status == 429 else None,
            chat_id=chat_id,
        )
        with self._world.lock:
            self._world.faults.add_failure(failure)

    def delay(self, method: str, seconds: float, *, times: int = 1) -> None:
        """The next `times` calls of `method` wait `seconds` before being processed. They
        are processed even if the client timed out meanwhile, so a send that raised
        TimedOut may still have been delivered, exactly the ambiguity Telegram has."""
        with self._world.lock:
            self._world.faults.add_delay(_Delay(self._known_method(method), seconds, times))

    def block(self, user_id: int) -> None:
        """The user blocked the bot: posting to them answers 403."""
        with self._world.lock:
            self._world.faults.blocked.add(user_id)

    def unblock(self, user_id: int) -> None:
        with self._world.lock:
            self._world.faults.blocked.discard(user_id)

    def limit_rate(
        self, overall_per_second: float | None, per_chat_per_second: float | None = None
    ) -> None:
        """Flood control for sendMessage/sendPhoto/sendDocument: over a limit, 429 with
        retry_after. None lifts a limit."""
        with self._world.lock:
            self._world.faults.limit_rate(overall_per_second, per_chat_per_second)

    def reset(self) -> None:
        """Forgets messages, calls, callback queries, pending updates and all faults.
        Users, chats, commands and the webhook stay."""
        with self._world.lock:
            self._world.log.clear()
            self._world.calls.clear()
            self._world.callbacks.clear()
            self._world.updates.clear()
            self._world.faults.clear()

    def _known_method(self, method: str) -> str:
        name = self._service.canonical_name(method)
        if name is None:
            raise ValueError(f"the fake Bot API does not serve {method!r}")
        return name


class _FakeChat:
    """Reading what the bot posted in one chat, from any thread or event loop.

    The waiting helpers poll the shared state with short sleeps instead of awaiting the
    server's loop, because the caller's loop is never the server's.
    """

    def __init__(self, world: _World, chat_id: int) -> None:
        self._world = world
        self._chat_id = chat_id

    @property
    def id(self) -> int:
        return self._chat_id

    def messages(self) -> list[SentMessage]:
        """Everything the bot sent to this chat, as it looks now."""
        with self._world.lock:
            return self._world.log.sent(self._chat_id)

    async def expect(self, count: int = 1, timeout: float = 15.0) -> list[SentMessage]:  # noqa: ASYNC109
        """Waits for `count` new messages, marks them read and returns them."""
        deadline = time.monotonic() + timeout
        while True:
            with self._world.lock:
                unread = self._world.log.unread(self._chat_id)
                if len(unread) >= count:
                    self._world.log.mark_read(self._chat_id, count)
                    return unread[:count]
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"expected {count} new message(s) in chat {self._chat_id} within "
                    f"{timeout}s, got {len(unread)}{self._report(unread)}"
                )
            await asyncio.sleep(_POLL_INTERVAL)

    async def expect_one(self, timeout: float = 15.0) -> SentMessage:  # noqa: ASYNC109
        (message,) = await self.expect(1, timeout)
        return message

    async def expect_nothing(self, wait: float = 0.5) -> None:
        """Asserts that no new message arrives within `wait` seconds."""
        deadline = time.monotonic() + wait
        while True:
            with self._world.lock:
                unread = self._world.log.unread(self._chat_id)
            if unread:
                raise AssertionError(
                    f"expected no new message in chat {self._chat_id}{self._report(unread)}"
                )
            if time.monotonic() >= deadline:
                return
            await asyncio.sleep(_POLL_INTERVAL)

    def _report(self, unread: list[SentMessage]) -> str:
        """What arrived and which calls for this chat failed: the usual reasons a wait fails."""
        with self._world.lock:
            failed = [
                f"{call.method} -> {call.status} {call.description}"
                for call in self._world.calls
                if call.status != 200 and str(call.chat_id) == str(self._chat_id)
            ]
        lines = [f"  received: {message.plain_text or message.caption!r}" for message in unread]
        lines += [f"  failed call: {line}" for line in failed]
        return ":\n" + "\n".join(lines) if lines else ""


class FakeUser(_FakeChat):
    """A Telegram user talking to the bot in their private chat (thread-safe)."""

    def send(self, text: str) -> JsonDict:
        """Sends a text message; a leading "/command" is marked as a bot command."""
        return self._send_message(_text_content(text))

    def send_sticker(self) -> JsonDict:
        return self._send_message({"sticker": _sticker(self._world_file_id("sticker"))})

    def send_photo(self) -> JsonDict:
        return self._send_message({"photo": _photo_sizes(self._world_file_id("photo"))})

    def send_location(self, latitude: float, longitude: float) -> JsonDict:
        return self._send_message({"location": {"latitude": latitude, "longitude": longitude}})

    def edit(self, message: JsonDict, new_text: str) -> JsonDict:
        """Edits one of this user's messages (an edited_message update)."""
        edited = {key: value for key, value in message.items() if key != "entities"}
        edited.update(_text_content(new_text), edit_date=_now())
        return self._world.publish("edited_message", lambda: edited)

    def press(self, message: SentMessage, button: str) -> str:
        """Presses the inline button whose callback_data, or else text, is `button` on the
        message's current state; returns the callback query id."""

        def build() -> JsonDict:
            current = self._world.log.get(message.chat_id, message.message_id)
            if current is None:
                raise AssertionError(f"message {message.message_id} is gone")
            return {
                "id": self._world.callbacks.open(),
                "from": self._world.directory.user(self.id),
                "chat_instance": str(abs(message.chat_id) * 7919),
                "message": current.to_api_dict(),
                "data": _callback_data(current, button),
            }

        return self._world.publish("callback_query", build)["id"]

    def callback_answer(self, callback_query_id: str) -> JsonDict | None:
        """The bot's answerCallbackQuery parameters for that query, None if unanswered."""
        with self._world.lock:
            return self._world.callbacks.answer_of(callback_query_id)

    def _send_message(self, content: JsonDict) -> JsonDict:
        return self._world.publish(
            "message", lambda: _incoming_message(self._world, self.id, self.id, content)
        )

    def _world_file_id(self, kind: str) -> str:
        with self._world.lock:
            return self._world.new_file_id(kind)


def _callback_data(message: SentMessage, button: str) -> str:
    buttons = _inline_buttons(message.reply_markup)
    by_data = [candidate for candidate in buttons if candidate.get("callback_data") == button]
    chosen = by_data or [candidate for candidate in buttons if candidate["text"] == button]
    if not chosen:
        raise AssertionError(
            f"no button {button!r} on message {message.message_id}: {message.buttons}"
        )
    if "callback_data" not in chosen[0]:
        raise AssertionError(f"button {button!r} has no callback_data: {chosen[0]}")
    return chosen[0]["callback_data"]


class FakeGroup(_FakeChat):
    """A group chat. The bot counts as a member until it leaves (leaveChat)."""

    def add_bot(self, by: FakeUser) -> JsonDict:
        """`by` adds the bot: a my_chat_member update, left -> member."""

        def build() -> JsonDict:
            self._world.directory.join(self.id)
            actor = self._world.directory.user(by.id)
            return _membership_change(self._world, self.id, actor, "left", "member")

        return self._world.publish("my_chat_member", build)

    def send(self, by: FakeUser, text: str) -> JsonDict:
        """`by` writes `text` in the group."""
        return self._world.publish(
            "message", lambda: _incoming_message(self._world, self.id, by.id, _text_content(text))
        )

    @property
    def left(self) -> bool:
        """Whether the bot left this group (leaveChat)."""
        with self._world.lock:
            return self.id in self._world.directory.left_groups

    async def wait_until_left(self, timeout: float = 5.0) -> bool:  # noqa: ASYNC109
        """Wait for the bot to leave; returns whether it did within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while not self.left:
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(_POLL_INTERVAL)
        return True
