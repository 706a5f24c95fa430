"""The fake Bot API, driven by the real python-telegram-bot client.

Every rule is checked twice: as PTB surfaces it (the exception type the bot would
handle) and as the fake answered it (Telegram's exact description).
"""

from __future__ import annotations

import asyncio
import io
import json
import queue
import re
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MessageEntity,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.offline.fake_bot_api import FakeBotApi

# RetryAfter.retry_after warns about its future type; the value is what matters here.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

USER = 1001
ALPHA = InlineKeyboardButton("Alpha", callback_data="a")
BETA = InlineKeyboardButton("Beta", callback_data="b")
MENU = InlineKeyboardMarkup(
    [[ALPHA, BETA], [InlineKeyboardButton("Docs", url="https://example.org")]]
)


@pytest.fixture
def fake() -> Iterator[FakeBotApi]:
    with FakeBotApi() as api:
        yield api


@asynccontextmanager
async def connected(fake: FakeBotApi, token: str | None = None) -> AsyncIterator[Bot]:
    """A real PTB Bot talking to the fake."""
    bot = Bot(token or fake.token, base_url=f"{fake.url}/bot", base_file_url=f"{fake.url}/file/bot")
    async with bot:
        yield bot


@pytest.fixture
async def client(fake: FakeBotApi) -> AsyncIterator[Bot]:
    fake.user(USER)
    async with connected(fake) as bot:
        yield bot


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.message.reply_text(f"echo: {update.message.text}")


async def _menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.message.reply_text("Pick one", reply_markup=MENU)


async def _pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer(f"got {query.data}")
    await query.message.reply_text(f"pressed {query.data}")


@pytest.fixture
async def app(fake: FakeBotApi) -> AsyncIterator[Application]:
    """A minimal real Application long-polling the fake."""
    application = (
        ApplicationBuilder()
        .token(fake.token)
        .base_url(f"{fake.url}/bot")
        .base_file_url(f"{fake.url}/file/bot")
        .build()
    )
    application.add_handler(CommandHandler("menu", _menu))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, _echo))
    application.add_handler(CallbackQueryHandler(_pressed))
    await application.initialize()
    try:
        await application.start()
        await application.updater.start_polling(poll_interval=0, timeout=1)
        yield application
    finally:
        if application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        await application.shutdown()


def said(text: str) -> re.Pattern[str]:
    """PTB strips "Bad Request: " and changes the case; match the rest of the words."""
    return re.compile(re.escape(text), re.IGNORECASE)


def last_description(fake: FakeBotApi) -> str | None:
    return fake.calls()[-1].description


# --------------------------------------------------------------------------- basics


async def test_get_me_describes_the_bot(client: Bot):
    me = await client.get_me()
    assert (me.id, me.username, me.is_bot) == (123456, "between_test_bot", True)


async def test_a_wrong_token_is_unauthorized(fake: FakeBotApi):
    bot = Bot("999:WRONG", base_url=f"{fake.url}/bot", base_file_url=f"{fake.url}/file/bot")
    try:
        with pytest.raises(InvalidToken):
            await bot.initialize()
    finally:
        await bot.shutdown()
    assert (fake.calls()[-1].status, last_description(fake)) == (401, "Unauthorized")


async def test_an_unknown_method_is_not_found(client: Bot, fake: FakeBotApi):
    with pytest.raises(EndPointNotFound):
        await client.do_api_request("noSuchMethod")
    assert (fake.calls()[-1].method, fake.calls()[-1].status) == ("noSuchMethod", 404)


async def test_raw_http_json_bodies_query_strings_and_paths(fake: FakeBotApi):
    fake.user(USER)
    base = f"{fake.url}/bot{fake.token}"
    async with httpx.AsyncClient() as http:
        by_json = await http.post(f"{base}/sendMessage", json={"chat_id": USER, "text": "json"})
        by_query = await http.get(f"{base}/sendmessage", params={"chat_id": USER, "text": "7"})
        unknown = await http.get(f"{base}/noSuchMethod")
        malformed = await http.post(
            f"{base}/sendMessage", content=b"{", headers={"Content-Type": "application/json"}
        )
        file = await http.get(f"{fake.url}/file/bot{fake.token}/photos/file_1.jpg")
    assert by_json.json()["result"]["text"] == "json"
    assert by_query.json()["result"]["text"] == "7"  # text stays a string, never JSON-decoded
    assert unknown.status_code == 404
    assert unknown.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert file.status_code == 404
    assert malformed.status_code == 400
    assert fake.calls()[-1].description.startswith("Bad Request: can't parse request")


def test_stop_is_idempotent_and_closes_the_port():
    fake = FakeBotApi().start()
    fake.stop()
    fake.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{fake.url}/bot{fake.token}/getMe")


# --------------------------------------------------------------------------- the application


async def test_a_users_message_reaches_the_application_and_the_echo_comes_back(
    fake: FakeBotApi, app: Application
):
    user = fake.user(42, first_name="Ann")
    user.send("hello")
    reply = await user.expect_one()
    assert (reply.plain_text, reply.chat_id, reply.method) == ("echo: hello", 42, "sendMessage")


async def test_pressing_buttons_by_text_and_by_data(fake: FakeBotApi, app: Application):
    user = fake.user(43)
    user.send("/menu")
    menu = await user.expect_one()
    assert menu.buttons == [("Alpha", "a"), ("Beta", "b"), ("Docs", "https://example.org")]

    by_text = user.press(menu, "Alpha")
    assert (await user.expect_one()).plain_text == "pressed a"
    assert user.callback_answer(by_text)["text"] == "got a"

    by_data = user.press(menu, "b")
    assert (await user.expect_one()).plain_text == "pressed b"
    assert fake.callback_answers[-1] == {"callback_query_id": by_data, "text": "got b"}


async def test_pressing_a_missing_or_url_button_fails_the_test(client: Bot, fake: FakeBotApi):
    user = fake.user(USER)
    await client.send_message(USER, "Pick one", reply_markup=MENU)
    menu = await user.expect_one()
    with pytest.raises(AssertionError, match=r"no button 'Gamma'.*'Alpha'.*'Beta'"):
        user.press(menu, "Gamma")
    with pytest.raises(AssertionError, match="has no callback_data"):
        user.press(menu, "Docs")


async def test_expect_reports_what_arrived_and_what_failed(client: Bot, fake: FakeBotApi):
    user = fake.user(USER)
    with pytest.raises(AssertionError, match="got 0"):
        await user.expect_one(timeout=0.05)
    await client.send_message(USER, "one")
    with pytest.raises(AssertionError, match="received: 'one'"):
        await user.expect_nothing(wait=0.05)
    assert [message.plain_text for message in await user.expect()] == ["one"]
    await user.expect_nothing(wait=0.05)

    fake.fail("sendMessage", 400, description="Bad Request: nope")
    with pytest.raises(BadRequest):
        await client.send_message(USER, "two")
    with pytest.raises(AssertionError, match="sendMessage -> 400 Bad Request: nope"):
        await user.expect_one(timeout=0.05)


# --------------------------------------------------------------------------- updates


async def test_updates_are_shaped_as_telegram_sends_them(client: Bot, fake: FakeBotApi):
    user = fake.user(USER, first_name="Ann", username="ann", language_code="de")
    group = fake.group(-5001, title="Team", chat_type="supergroup")
    command = user.send("/start@between_test_bot payload")
    user.send_sticker()
    user.send_photo()
    user.send_location(52.52, 13.4)
    user.edit(command, "/help")
    group.add_bot(by=user)
    group.send(user, "hi all")

    updates = await client.get_updates()

    ids = [update.update_id for update in updates]
    assert ids == sorted(set(ids))
    start, sticker, photo, location, edited, added, in_group = updates
    assert start.message.from_user.language_code == "de"
    assert start.message.chat.type == "private"
    assert start.message.parse_entities([MessageEntity.BOT_COMMAND]).popitem()[1] == (
        "/start@between_test_bot"
    )
    assert (sticker.message.sticker.type, sticker.message.sticker.is_animated) == ("regular", False)
    assert photo.message.photo[-1].width == 1280
    assert location.message.location.latitude == 52.52
    assert edited.edited_message.text == "/help"
    assert edited.edited_message.message_id == start.message.message_id
    assert added.my_chat_member.new_chat_member.status == "member"
    assert added.my_chat_member.new_chat_member.user.id == 123456
    assert (in_group.message.chat.type, in_group.message.chat.title) == ("supergroup", "Team")


async def test_offset_confirms_limit_caps_and_allowed_updates_filters(
    client: Bot, fake: FakeBotApi
):
    user = fake.user(USER)
    for text in ("a", "b", "c"):
        user.send(text)
    first = await client.get_updates(limit=2)
    assert [update.message.text for update in first] == ["a", "b"]
    assert [update.message.text for update in await client.get_updates(limit=2)] == ["a", "b"]
    rest = await client.get_updates(offset=first[-1].update_id + 1)
    assert [update.message.text for update in rest] == ["c"]

    offset = rest[-1].update_id + 1
    menu = await client.send_message(USER, "Pick one", reply_markup=MENU)
    user.send("ignored")
    user.press(fake.sent(USER)[-1], "a")
    (pressed,) = await client.get_updates(offset=offset, allowed_updates=["callback_query"])
    assert pressed.callback_query.message.message_id == menu.message_id


async def test_a_long_poll_waits_and_wakes_on_a_new_update(client: Bot, fake: FakeBotApi):
    user = fake.user(USER)
    polling = asyncio.create_task(client.get_updates(timeout=3))
    await asyncio.sleep(0.1)
    assert not polling.done()
    started = time.monotonic()
    user.send("wake up")
    (update,) = await asyncio.wait_for(polling, 1)
    assert update.message.text == "wake up"
    assert time.monotonic() - started < 0.5


async def test_a_second_poller_terminates_the_first(fake: FakeBotApi):
    async with connected(fake) as first, connected(fake) as second:
        parked = asyncio.create_task(first.get_updates(timeout=3))
        await asyncio.sleep(0.1)
        assert await second.get_updates(timeout=0) == ()
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await parked


# --------------------------------------------------------------------------- text rules


@pytest.mark.parametrize(
    ("text", "parse_mode", "description"),
    [
        ("", None, "Bad Request: message text is empty"),
        (" \n ", None, "Bad Request: message text is empty"),
        ("<b> </b>", "HTML", "Bad Request: message text is empty"),
        ("x" * 4097, None, "Bad Request: message is too long"),
        ("x" * 4096 + "&amp;", "HTML", "Bad Request: message is too long"),
        (
            "<div>x</div>",
            "HTML",
            'Bad Request: can\'t parse entities: Unsupported start tag "div" at byte offset 0',
        ),
        (
            "<b>bold",
            "HTML",
            "Bad Request: can't parse entities: Can't find end tag corresponding to start tag "
            '"b"',
        ),
        (
            "é<b><i>x</b></i>",
            "HTML",
            "Bad Request: can't parse entities: Unmatched end tag at byte offset 9, "
            'expected "</i>", found "</b>"',
        ),
        ("</b>", "HTML", "Bad Request: can't parse entities: Unexpected end tag at byte offset 0"),
        (
            "1 < 2",
            "HTML",
            'Bad Request: can\'t parse entities: Unsupported start tag "" at byte offset 2',
        ),
        (
            "a&nbsp;b",
            "HTML",
            'Bad Request: can\'t parse entities: Unsupported HTML entity "&nbsp;" at byte offset 1',
        ),
        (
            '<span class="x">s</span>',
            "HTML",
            'Bad Request: can\'t parse entities: Tag "span" must have class "tg-spoiler" at byte '
            "offset 0",
        ),
        ("line<br/>", "HTML", 'Bad Request: can\'t parse entities: Unsupported start tag "br/"'),
        ("x", "Textile", "Bad Request: unsupported parse_mode"),
    ],
    ids=[
        "empty",
        "whitespace",
        "empty-after-parsing",
        "too-long",
        "too-long-after-parsing",
        "unknown-tag",
        "unclosed",
        "badly-nested",
        "stray-end-tag",
        "raw-less-than",
        "named-entity",
        "span-without-spoiler",
        "self-closing",
        "parse-mode",
    ],
)
async def test_text_rules(client: Bot, fake: FakeBotApi, text, parse_mode, description):
    with pytest.raises(BadRequest, match=said(description.removeprefix("Bad Request: "))):
        await client.send_message(USER, text, parse_mode=parse_mode)
    assert last_description(fake).startswith(description)
    assert fake.sent() == []


async def test_every_telegram_tag_parses_into_plain_text_and_entities(
    client: Bot, fake: FakeBotApi
):
    html = (
        "<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s>"
        '<strike>k</strike><del>d</del><span class="tg-spoiler">p</span><tg-spoiler>q</tg-spoiler>'
        '<a href="https://example.org">l</a><code>c</code>'
        '<pre><code class="language-python">x = 1</code></pre>'
        '<blockquote expandable>q</blockquote><tg-emoji emoji-id="53683">👍</tg-emoji>'
        " &lt;&gt;&amp;&quot;&#39;&#x41; Tom & Jerry"
    )
    message = await client.send_message(USER, html, parse_mode="HTML")
    assert message.text == "bsieunskdpqlcx = 1q👍 <>&\"'A Tom & Jerry"
    kinds = [entity.type for entity in message.entities]
    assert kinds == [
        *["bold"] * 2, *["italic"] * 2, *["underline"] * 2, *["strikethrough"] * 3,
        *["spoiler"] * 2, "text_link", "code", "pre", "expandable_blockquote", "custom_emoji",
    ]  # fmt: skip
    assert message.entities[13].language == "python"
    (sent,) = fake.sent(USER)
    assert (sent.text, sent.plain_text) == (html, message.text)


async def test_limits_count_the_text_after_parsing(client: Bot, fake: FakeBotApi):
    message = await client.send_message(USER, "<b>" + "é" * 4096 + "</b>", parse_mode="HTML")
    assert len(message.text) == 4096


async def test_caption_limit(client: Bot, fake: FakeBotApi):
    await client.send_photo(USER, b"png", caption="<i>" + "x" * 1024 + "</i>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=said("message caption is too long")):
        await client.send_photo(USER, b"png", caption="x" * 1025)
    assert last_description(fake) == "Bad Request: message caption is too long"


# --------------------------------------------------------------------------- keyboards


@pytest.mark.parametrize(
    ("button", "description"),
    [
        (
            InlineKeyboardButton("x", callback_data="é" * 33),
            "Bad Request: BUTTON_DATA_INVALID",
        ),
        (
            InlineKeyboardButton("", callback_data="x"),
            "Bad Request: can't parse inline keyboard button: Text must be non-empty",
        ),
        (
            InlineKeyboardButton("x"),
            "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the "
            "inline keyboard",
        ),
        (
            InlineKeyboardButton("x", callback_data="a", url="https://example.org"),
            "Bad Request: can't parse inline keyboard button: Exactly one of the optional fields "
            "must be used",
        ),
    ],
    ids=["data-over-64-bytes", "empty-text", "no-action", "two-actions"],
)
async def test_inline_keyboard_rules(client: Bot, fake: FakeBotApi, button, description):
    markup = InlineKeyboardMarkup([[button]])
    with pytest.raises(BadRequest, match=said(description.removeprefix("Bad Request: "))):
        await client.send_message(USER, "Pick", reply_markup=markup)
    assert last_description(fake) == description


async def test_callback_data_may_use_all_64_bytes(client: Bot):
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="é" * 32)]])
    assert (await client.send_message(USER, "Pick", reply_markup=markup)).reply_markup == markup


# --------------------------------------------------------------------------- chats


async def test_an_unknown_chat_is_not_found(client: Bot, fake: FakeBotApi):
    with pytest.raises(BadRequest, match=said("chat not found")):
        await client.send_message(424242, "hello?")
    assert last_description(fake) == "Bad Request: chat not found"


async def test_a_blocked_user_is_forbidden_until_unblocked(client: Bot, fake: FakeBotApi):
    fake.block(USER)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await client.send_message(USER, "hello")
    with pytest.raises(Forbidden):
        await client.send_chat_action(USER, "typing")
    assert last_description(fake) == "Forbidden: bot was blocked by the user"
    fake.unblock(USER)
    await client.send_message(USER, "hello again")


async def test_after_leave_chat_the_group_is_forbidden(client: Bot, fake: FakeBotApi):
    member = fake.user(2002)
    group = fake.group(-5002, title="Team")
    group.add_bot(by=member)
    await client.send_message(-5002, "Hello, group")
    assert await client.leave_chat(-5002) is True
    assert group.left
    assert fake.left_chats == {-5002}
    with pytest.raises(Forbidden, match="bot is not a member of the group chat"):
        await client.send_message(-5002, "still here?")
    changes = [update.my_chat_member for update in await client.get_updates()]
    assert [change.new_chat_member.status for change in changes] == ["member", "left"]
    assert [change.from_user.id for change in changes] == [2002, 123456]


async def test_get_chat_chat_action_delete_close_and_log_out(client: Bot, fake: FakeBotApi):
    fake.user(USER, first_name="Ann", username="ann")
    chat = await client.get_chat("@ann")
    assert (chat.id, chat.first_name, chat.type) == (USER, "Ann", "private")
    assert await client.send_chat_action(USER, "typing") is True
    own = await client.send_message(USER, "to be deleted")
    theirs = fake.user(USER).send("delete me too")
    assert await client.delete_message(USER, own.message_id) is True
    assert await client.delete_message(USER, theirs["message_id"]) is True
    assert fake.sent(USER)[0].deleted
    with pytest.raises(BadRequest, match=said("message to delete not found")):
        await client.delete_message(USER, own.message_id)
    assert await client.close() is True
    assert await client.log_out() is True


# --------------------------------------------------------------------------- edits and callbacks


async def test_edit_message_text_and_reply_markup(client: Bot, fake: FakeBotApi):
    original = await client.send_message(USER, "one", reply_markup=MENU)
    await client.edit_message_text("two", USER, original.message_id, reply_markup=MENU)
    (sent,) = fake.sent(USER)
    assert (sent.plain_text, sent.edited) == ("two", 1)

    with pytest.raises(BadRequest, match=said("message is not modified")):
        await client.edit_message_text("two", USER, original.message_id, reply_markup=MENU)
    assert last_description(fake) == (
        "Bad Request: message is not modified: specified new message content and reply markup "
        "are exactly the same as a current content and reply markup of the message"
    )
    await client.edit_message_text("<b>two</b>", USER, original.message_id, parse_mode="HTML")
    (sent,) = fake.sent(USER)
    assert (sent.entities[0]["type"], sent.buttons, sent.edited) == ("bold", [], 2)

    await client.edit_message_reply_markup(USER, original.message_id, reply_markup=MENU)
    assert fake.sent(USER)[0].buttons[0] == ("Alpha", "a")
    with pytest.raises(BadRequest, match=said("message to edit not found")):
        await client.edit_message_text("three", USER, 999)


async def test_answer_callback_query_rules(client: Bot, fake: FakeBotApi):
    user = fake.user(USER)
    await client.send_message(USER, "Pick one", reply_markup=MENU)
    menu = await user.expect_one()
    query_id = user.press(menu, "Alpha")

    with pytest.raises(BadRequest, match=said("message_too_long")):
        await client.answer_callback_query(query_id, text="x" * 201)
    assert await client.answer_callback_query(query_id, text="ok") is True
    assert user.callback_answer(query_id) == {"callback_query_id": query_id, "text": "ok"}
    too_old = "query is too old and response timeout expired or query ID is invalid"
    with pytest.raises(BadRequest, match=said(too_old)):
        await client.answer_callback_query(query_id)
    with pytest.raises(BadRequest, match=said(too_old)):
        await client.answer_callback_query("123")
    assert last_description(fake) == f"Bad Request: {too_old}"


async def test_a_callback_query_expires():
    with FakeBotApi(callback_query_ttl=0.05) as fake:
        user = fake.user(USER)
        async with connected(fake) as bot:
            await bot.send_message(USER, "Pick one", reply_markup=MENU)
            query_id = user.press(await user.expect_one(), "a")
            await asyncio.sleep(0.1)
            with pytest.raises(BadRequest, match=said("query is too old")):
                await bot.answer_callback_query(query_id)


# --------------------------------------------------------------------------- files and commands


async def test_multipart_uploads_are_stored_and_file_ids_reused(client: Bot, fake: FakeBotApi):
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    photo = await client.send_photo(USER, png, caption="<b>look</b>", parse_mode="HTML")
    await client.send_document(USER, io.BytesIO(b"day,mood\n"), filename="notes.csv")
    stored_photo, stored_document = fake.sent(USER)
    assert (stored_photo.method, stored_photo.file, stored_photo.plain_caption) == (
        "sendPhoto",
        png,
        "look",
    )
    assert photo.photo[-1].file_id == stored_photo.file_id
    assert (stored_document.file, stored_document.filename, stored_document.mime_type) == (
        b"day,mood\n",
        "notes.csv",
        "text/csv",
    )

    again = await client.send_document(USER, stored_document.file_id)
    assert again.document.file_name == "notes.csv"
    assert fake.sent(USER)[-1].file == b"day,mood\n"
    await client.send_photo(USER, "https://example.org/cat.jpg")
    assert (fake.sent(USER)[-1].file, fake.sent(USER)[-1].file_id) == (
        None,
        "https://example.org/cat.jpg",
    )


async def test_commands_are_stored_per_scope_and_language(client: Bot, fake: FakeBotApi):
    private = BotCommandScopeAllPrivateChats()
    await client.set_my_commands([BotCommand("start", "Begin")], language_code="en")
    await client.set_my_commands(
        [BotCommand("start", "Beginnen")], scope=private, language_code="de"
    )
    assert fake.commands == {
        ('{"type": "default"}', "en"): [{"command": "start", "description": "Begin"}],
        ('{"type": "all_private_chats"}', "de"): [{"command": "start", "description": "Beginnen"}],
    }
    german = await client.get_my_commands(scope=private, language_code="de")
    assert [command.description for command in german] == ["Beginnen"]
    assert await client.get_my_commands() == ()
    await client.delete_my_commands(language_code="en")
    assert list(fake.commands) == [('{"type": "all_private_chats"}', "de")]
    with pytest.raises(BadRequest, match=said("bot_command_invalid")):
        await client.set_my_commands([BotCommand("Start", "Begin")])


# --------------------------------------------------------------------------- faults


async def test_429_surfaces_as_retry_after(client: Bot, fake: FakeBotApi):
    fake.fail("sendMessage", 429, retry_after=7)
    with pytest.raises(RetryAfter, match="Retry in 7 seconds"):
        await client.send_message(USER, "hello")
    assert last_description(fake) == "Too Many Requests: retry after 7"
    await client.send_message(USER, "hello")  # only the next call failed


@pytest.mark.parametrize(
    ("status", "message"), [(500, "Internal Server Error"), (502, "Bad Gateway")]
)
async def test_server_errors_surface_as_network_errors(client, fake, status, message):
    fake.fail("sendMessage", status, times=2)
    for _ in range(2):
        with pytest.raises(NetworkError, match=message):
            await client.send_message(USER, "hello")
    await client.send_message(USER, "hello")


async def test_a_failure_can_target_one_chat(client: Bot, fake: FakeBotApi):
    fake.user(2002)
    fake.fail("sendMessage", 400, description="Bad Request: just you", chat_id=2002)
    await client.send_message(USER, "fine")
    with pytest.raises(BadRequest, match="Just you"):
        await client.send_message(2002, "not you")


async def test_a_delayed_answer_is_processed_even_after_a_client_timeout(
    client: Bot, fake: FakeBotApi
):
    fake.delay("sendMessage", 0.2)
    started = time.monotonic()
    await client.send_message(USER, "slow")
    assert time.monotonic() - started >= 0.2

    fake.delay("sendMessage", 0.3)
    with pytest.raises(TimedOut):
        await client.send_message(USER, "timed out", read_timeout=0.05)
    await fake.user(USER).expect(2, timeout=1)
    assert fake.sent(USER)[-1].plain_text == "timed out"


async def test_flood_control_per_chat_and_overall(client: Bot, fake: FakeBotApi):
    fake.user(2002)
    fake.limit_rate(None, 1)
    await client.send_message(USER, "one")
    with pytest.raises(RetryAfter, match="Retry in 1 seconds"):
        await client.send_message(USER, "two")
    await client.send_message(2002, "other chat")

    fake.limit_rate(2)
    await client.send_message(USER, "a")
    await client.send_message(2002, "b")
    with pytest.raises(RetryAfter):
        await client.send_message(USER, "c")
    assert last_description(fake) == "Too Many Requests: retry after 1"
    fake.limit_rate(None)
    await client.send_message(USER, "unlimited")


async def test_reset_forgets_messages_calls_and_faults(client: Bot, fake: FakeBotApi):
    await client.send_message(USER, "before")
    fake.fail("sendMessage", 500, times=5)
    fake.reset()
    assert (fake.sent(), fake.calls()) == ([], [])
    await client.send_message(USER, "after")
    assert [message.plain_text for message in fake.sent()] == ["after"]


# --------------------------------------------------------------------------- webhook


@contextmanager
def webhook_receiver(status: int = 200) -> Iterator[tuple[str, queue.Queue[Any]]]:
    """A tiny HTTP endpoint recording each POST as (headers, JSON body)."""
    received: queue.Queue[Any] = queue.Queue()

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.put((dict(self.headers), json.loads(body)))
            self.send_response(status)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hook", received
    finally:
        server.shutdown()
        server.server_close()


async def test_a_webhook_receives_updates_instead_of_get_updates(client: Bot, fake: FakeBotApi):
    user = fake.user(USER)
    with webhook_receiver() as (url, received):
        await client.set_webhook(url, secret_token="s3cret")
        user.send("via webhook")
        headers, body = await asyncio.to_thread(received.get, timeout=2)
        assert headers["X-Telegram-Bot-Api-Secret-Token"] == "s3cret"
        assert Update.de_json(body, client).message.text == "via webhook"
        with pytest.raises(Conflict, match="can't use getUpdates method while webhook is active"):
            await client.get_updates()
        assert (await client.get_webhook_info()).url == url
    await client.delete_webhook()
    user.send("polled again")
    assert [update.message.text for update in await client.get_updates()] == ["polled again"]


async def test_a_failing_webhook_keeps_the_update_until_dropped(client: Bot, fake: FakeBotApi):
    user = fake.user(USER)
    with webhook_receiver(status=500) as (url, received):
        await client.set_webhook(url)
        user.send("retried")
        await asyncio.to_thread(received.get, timeout=2)
        await asyncio.to_thread(received.get, timeout=2)  # delivered again
        info = await client.get_webhook_info()
        assert info.pending_update_count == 1
        assert "500" in info.last_error_message
        await client.delete_webhook(drop_pending_updates=True)
    assert await client.get_updates() == ()
