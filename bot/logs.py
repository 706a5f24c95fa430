"""Logging that never carries what people wrote.

Our own log lines name events and ids only (``event=... user_id=...``). Libraries
are less careful: at DEBUG, python-telegram-bot logs whole updates and httpx
logs request URLs, which contain the bot token. The filter below keeps only the
message template of their records below WARNING, so no level shows a message's
text, a name, a username or the token.
"""

from __future__ import annotations

import logging
from typing import TextIO

_LIBRARIES = ("telegram", "httpx", "httpcore", "apscheduler", "tornado", "hpack")
_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class LibraryRedaction(logging.Filter):
    """Drop the arguments (the data) of library records below WARNING."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING and record.name.startswith(_LIBRARIES):
            record.msg = str(record.msg).replace("%s", "…").replace("%r", "…")
            record.args = ()
        return True


def configure_logging(level: str, stream: TextIO | None = None) -> logging.Handler:
    """One handler on the root logger, with the redaction filter; returns it."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.addFilter(LibraryRedaction())
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # httpx logs every request URL at INFO, and a Bot API URL contains the token.
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    return handler
