"""The HTTP client under python-telegram-bot: aiohttp in place of PTB's default httpx.

Why: every update Between answers and every message it sends is a Bot API call, and
PTB's httpx client spent 1.5 ms of CPU on each with 16 calls in flight (0.9 ms one at a
time), aiohttp 0.28 ms (0.40 ms) for the same ``Bot.send_message`` against the same
server (``python -m bench.http_client``). That was most of what a ``/help`` cost.

PTB keeps everything above the transport: the request's form fields and files, the
JSON answer and its errors (``BaseRequest.post`` parses them). This class only moves
bytes, with PTB's timeouts and exceptions:

- PTB's connect, read and pool timeouts; aiohttp has no write timeout of its own, so
  the whole call is also bounded by the sum of the four (a stalled upload ends there);
- a timeout raises :class:`telegram.error.TimedOut`, any other transport error
  :class:`telegram.error.NetworkError` (PTB retries neither by itself; the sender does);
- at most ``pool_size`` connections at once, as PTB's ``connection_pool_size``;
- a proxy named by ``HTTPS_PROXY`` (or ``HTTP_PROXY``), as PTB documents for httpx.
"""

from __future__ import annotations

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData

# PTB's own defaults for HTTPXRequest, kept so that nothing else changes with the client.
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 5.0
WRITE_TIMEOUT = 5.0
MEDIA_WRITE_TIMEOUT = 20.0  # for calls that upload a file
POOL_TIMEOUT = 1.0


def _given(value: ODVInput[float], default: float | None) -> float | None:
    return default if isinstance(value, DefaultValue) else value


class AiohttpRequest(BaseRequest):
    def __init__(self, pool_size: int = 1) -> None:
        self._pool_size = pool_size
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return READ_TIMEOUT

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                cookie_jar=aiohttp.DummyCookieJar(),  # the Bot API sets none worth keeping
                headers={"User-Agent": self.USER_AGENT},  # PTB's, as httpx sends it
                # HTTP_PROXY / HTTPS_PROXY / NO_PROXY from the environment, as httpx reads
                # them (not ALL_PROXY or SOCKS: TELEGRAM_HTTP_CLIENT=httpx for those).
                trust_env=True,
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        body = _body(request_data)
        connect = _given(connect_timeout, CONNECT_TIMEOUT)
        pool = _given(pool_timeout, POOL_TIMEOUT)
        read = _given(read_timeout, READ_TIMEOUT)
        write = _given(
            write_timeout,
            MEDIA_WRITE_TIMEOUT if isinstance(body, aiohttp.FormData) else WRITE_TIMEOUT,
        )
        phases = (connect, pool, write, read)
        timeout = aiohttp.ClientTimeout(
            total=None if None in phases else sum(p for p in phases if p is not None),
            # aiohttp's "connect" includes the wait for a free connection of the pool.
            connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect,
            sock_read=read,
        )
        try:
            async with self._session.request(method, url, data=body, timeout=timeout) as response:
                return response.status, await response.read()
        except TimeoutError as error:  # aiohttp's own timeouts are TimeoutErrors too
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error


def _body(request_data: RequestData | None) -> aiohttp.FormData | dict[str, str] | None:
    """Form fields as PTB encodes them (``json_parameters``), multipart when there are files."""
    if request_data is None:
        return None
    fields = request_data.json_parameters
    files = request_data.multipart_data
    if not files:
        return fields
    form = aiohttp.FormData()
    for name, value in fields.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in files.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form


def request(client: str, *, pool_size: int) -> BaseRequest:
    """The Bot API client the ``TELEGRAM_HTTP_CLIENT`` setting names."""
    if client == "httpx":
        return HTTPXRequest(connection_pool_size=pool_size)
    return AiohttpRequest(pool_size)
