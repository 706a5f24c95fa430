"""A small HTTP server for operators: /metrics, /healthz, /readyz (METRICS_PORT).

It runs on the bot's own event loop (asyncio streams, no framework) so that a
scrape can ask the database with the bot's engine; it is separate from any
other web server the bot runs, and binds to METRICS_HOST (127.0.0.1 by default).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.observability.metrics import REGISTRY

logger = logging.getLogger(__name__)

_REASONS = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"}
_READ_TIMEOUT = 5.0


@dataclass(frozen=True)
class Probes:
    """What the server asks on each request: ``refresh`` before /metrics (the grouped
    outbox query, the pool's numbers); ``ready`` answers None when ready, else why not."""

    refresh: Callable[[], Awaitable[None]]
    ready: Callable[[], Awaitable[str | None]]


class MetricsServer:
    def __init__(self, host: str, port: int, probes: Probes) -> None:
        self._host = host
        self._port = port
        self._probes = probes
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self._host, self._port)
        logger.info("event=metrics.listening host=%s port=%s", self._host, self._port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), _READ_TIMEOUT)
            method, _, rest = request.decode("latin-1").partition(" ")
            path = rest.partition(" ")[0].partition("?")[0]
            status, content_type, body = await self._answer(method, path)
            head = (
                f"HTTP/1.1 {status} {_REASONS[status]}\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            )
            writer.write(head.encode("latin-1") + (body if method != "HEAD" else b""))
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # a client that never finished its request: close
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def _answer(self, method: str, path: str) -> tuple[int, str, bytes]:
        if method not in {"GET", "HEAD"}:
            return 405, "text/plain", b"method not allowed\n"
        if path == "/metrics":
            try:
                await self._probes.refresh()
            except Exception:  # the counters still answer when the database does not
                logger.exception("event=metrics.refresh_failed")
            return 200, CONTENT_TYPE_LATEST, generate_latest(REGISTRY)
        if path == "/healthz":
            return 200, "text/plain", b"ok\n"
        if path == "/readyz":
            try:
                problem = await self._probes.ready()
            except Exception as error:
                problem = f"database: {type(error).__name__}"
            if problem is None:
                return 200, "text/plain", b"ready\n"
            return 503, "text/plain", f"not ready: {problem}\n".encode()
        return 404, "text/plain", b"not found\n"
