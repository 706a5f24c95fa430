"""The web view's session: after initData was validated once, a signed cookie carries
who it is, so that links and forms work without Telegram's script on every page.

The cookie holds the Telegram user id and a random session id, signed (itsdangerous,
HMAC) with a key derived from the bot token, and expires with ``WEB_AUTH_MAX_AGE``
like initData itself. Forms carry a CSRF token: an HMAC of the session id, so a
token is good only with the session it was made for. Pure: no web framework.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "between_session"


@dataclass(frozen=True)
class Session:
    telegram_id: int
    sid: str


def _key(bot_token: str, purpose: bytes) -> bytes:
    return hmac.new(purpose, bot_token.encode(), hashlib.sha256).digest()


class Sessions:
    """Makes and reads session cookies and CSRF tokens for one bot."""

    def __init__(self, bot_token: str, max_age: int) -> None:
        self._serializer = URLSafeTimedSerializer(
            _key(bot_token, b"between.web.session").hex(), salt="session"
        )
        self._csrf_key = _key(bot_token, b"between.web.csrf")
        self.max_age = max_age

    def open(self, telegram_id: int) -> tuple[Session, str]:
        session = Session(telegram_id, secrets.token_urlsafe(16))
        return session, self._serializer.dumps([session.telegram_id, session.sid])

    def read(self, cookie: str | None) -> Session | None:
        if not cookie:
            return None
        try:
            value = self._serializer.loads(cookie, max_age=self.max_age)
        except BadSignature:  # also SignatureExpired
            return None
        if (
            not isinstance(value, list)
            or len(value) != 2
            or not isinstance(value[0], int)
            or not isinstance(value[1], str)
        ):
            return None
        return Session(value[0], value[1])

    def csrf_token(self, session: Session) -> str:
        return hmac.new(self._csrf_key, session.sid.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, session: Session, token: str | None) -> bool:
        return token is not None and hmac.compare_digest(self.csrf_token(session), token)
