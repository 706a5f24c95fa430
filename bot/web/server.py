"""The web view's server (Uvicorn) inside the bot's own event loop.

Started and stopped by the composition root (``bot/app.py``) with the bot, in polling
and webhook mode alike, and by ``python -m bot web`` and the demo on their own.
Uvicorn's signal handling is left out: the bot (PTB) owns Ctrl-C and SIGTERM and
stops the web server with everything else. Behind a reverse proxy, ``X-Forwarded-*``
headers from ``FORWARDED_ALLOW_IPS`` (default 127.0.0.1) give the scheme and client
(the cookie is Secure when the page was reached over HTTPS), and the path of
``WEB_APP_URL`` is the application's root path.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Generator
from urllib.parse import urlsplit

import uvicorn
from starlette.types import ASGIApp

logger = logging.getLogger(__name__)


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield  # the bot's process handles signals, not the web server


def root_path(web_app_url: str | None) -> str:
    """``https://example.org/between`` → ``/between`` (the proxy forwards that prefix)."""
    return urlsplit(web_app_url).path.rstrip("/") if web_app_url else ""


_settled = False


def settle_heap() -> None:
    """Move everything built so far (modules, ORM mappings, catalogs, templates) out of
    the garbage collector's reach before serving: a full collection during a request
    otherwise walks those long-lived objects too (60 ms or more for a caseload page,
    often more than the page's own Python work). Garbage is collected first so none is
    kept for good. Once per process (tests start many servers)."""
    global _settled
    if not _settled:
        _settled = True
        gc.collect()
        gc.freeze()


class WebServer:
    def __init__(self, app: ASGIApp, *, host: str, port: int, root: str = "") -> None:
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            root_path=root,
            proxy_headers=True,
            lifespan="off",
            log_config=None,  # the bot's logging (bot/logs.py)
            access_log=False,  # URLs carry client ids: no request log lines
            server_header=False,
        )
        self._server = _Server(config)
        self._task: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        """The port listened on (useful with port 0: one the system chose)."""
        for server in self._server.servers:
            for sock in server.sockets:
                return int(sock.getsockname()[1])
        raise RuntimeError("the web server is not listening")

    async def start(self) -> None:
        settle_heap()
        self._task = asyncio.create_task(self._server.serve(), name="web.server")
        while not self._server.started:
            if self._task.done():
                self._task.result()  # raises what stopped it
                raise RuntimeError("the web server stopped while starting")
            await asyncio.sleep(0.02)
        logger.info("event=web.started port=%s", self.port)

    async def stop(self) -> None:
        if self._task is None:
            return
        self._server.should_exit = True
        await self._task
        self._task = None
        logger.info("event=web.stopped")
