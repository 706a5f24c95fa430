"""The Bot API client under python-telegram-bot (bot/telegram_http.py): PTB's timeouts and
errors from aiohttp, and the bot answering through either client the setting names.
The flows, the sender and file uploads run through aiohttp in every other test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from telegram.error import NetworkError, TimedOut
from telegram.request import HTTPXRequest

from bot.app import build_application, running
from bot.offline.fake_bot_api import FakeBotApi
from bot.telegram_http import AiohttpRequest, request
from tests.conftest import make_settings


@pytest.fixture
async def silent_server() -> AsyncIterator[str]:
    """A server that takes connections and never answers."""
    held: list[asyncio.StreamWriter] = []

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_an_answer_that_does_not_come_is_a_timeout(silent_server: str):
    client = AiohttpRequest(1)
    await client.initialize()
    try:
        with pytest.raises(TimedOut):
            await client.do_request(f"{silent_server}/getMe", "POST", read_timeout=0.2)
    finally:
        await client.shutdown()


async def test_a_pool_that_stays_full_is_a_timeout(silent_server: str):
    """One connection, taken by a call that never ends: the next waits no longer than the
    pool and connect timeouts together (aiohttp counts the wait for a free connection in
    its connect timeout)."""
    client = AiohttpRequest(1)
    await client.initialize()
    try:
        stuck = asyncio.ensure_future(
            client.do_request(f"{silent_server}/getMe", "POST", read_timeout=5)
        )
        await asyncio.sleep(0.1)
        started = asyncio.get_running_loop().time()
        with pytest.raises(TimedOut):
            await client.do_request(
                f"{silent_server}/getMe",
                "POST",
                read_timeout=5,
                connect_timeout=0.2,
                pool_timeout=0.2,
            )
        assert asyncio.get_running_loop().time() - started < 2
        stuck.cancel()
    finally:
        await client.shutdown()


async def test_no_server_is_a_network_error():
    server = await asyncio.start_server(lambda _r, _w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    client = AiohttpRequest(1)
    await client.initialize()
    try:
        with pytest.raises(NetworkError) as raised:
            await client.do_request(f"http://127.0.0.1:{port}/getMe", "POST")
        assert not isinstance(raised.value, TimedOut)
    finally:
        await client.shutdown()


async def test_a_proxy_from_the_environment_carries_the_calls(monkeypatch: pytest.MonkeyPatch):
    """PTB documents HTTPS_PROXY for its httpx client: the aiohttp client honours it too
    (and says it is python-telegram-bot, as httpx does)."""
    asked: list[str] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := (await reader.readline()).decode().strip():
            asked.append(line)
        body = b'{"ok": true, "result": true}'
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
        writer.write(b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(proxy, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    client = AiohttpRequest(1)
    await client.initialize()
    try:
        status, _body = await client.do_request("http://api.telegram.invalid/botT/getMe", "POST")
    finally:
        await client.shutdown()
        server.close()
        await server.wait_closed()
    assert status == 200
    assert asked[0] == "POST http://api.telegram.invalid/botT/getMe HTTP/1.1"
    assert f"User-Agent: {AiohttpRequest.USER_AGENT}" in asked  # PTB's, as with httpx


def test_the_setting_names_the_client():
    assert isinstance(request("aiohttp", pool_size=3), AiohttpRequest)
    assert isinstance(request("httpx", pool_size=3), HTTPXRequest)


@pytest.mark.parametrize("client", ["aiohttp", "httpx"])
async def test_the_bot_answers_through_either_client(
    fake_api: FakeBotApi, migrated_url: str, client: str
):
    settings = make_settings(fake_api, migrated_url, telegram_http_client=client)
    async with running(build_application(settings), poll_timeout=1):
        user = fake_api.user(1201, language_code="en")
        user.send("/help")
        reply = await user.expect_one()
    assert "112" in reply.plain_text
