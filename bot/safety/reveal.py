""" "Show message" on a safety alert: the flagged words, sent on request.

The alert itself never carries the client's words (they are not pushed into a chat
unasked). Pressing its button asks for them: the access policy decides whether the
presser may read this client's words (``bot.access.policy.WORDS_READ``: an active
member of the client's care team), and every reveal is written to the access log in
the same transaction. A flag that does not exist, a client the presser may not read,
or a flag without kept words reveals nothing and writes nothing.

A use case: plain values in, text out, no ``telegram`` import, never commits.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot import audit
from bot.access.policy import WORDS_READ, Allowed, authorize_id
from bot.audit import AuditAction
from bot.dates import Clock
from bot.db.models import SafetyFlag, User
from bot.enrollment.client_lookup import client_label
from bot.i18n import N_, Translator

logger = logging.getLogger(__name__)

# The words are quoted up to here, so the reply stays under Telegram's 4,096 characters.
QUOTE_LIMIT = 3500
SHOWN = N_("The message from <b>{client}</b> that raised the safety flag ({when}):")
LOGGED = N_("This reading is in the access log.")
NOT_KEPT = N_("The words of this message were not kept, so there is nothing to show.")


@dataclass(frozen=True)
class Reveal:
    """What to answer: ``text`` to send (None: refuse kindly, nothing happened)."""

    text: str | None


async def reveal(
    session: AsyncSession, t: Translator, *, user: User | None, flag_id: int
) -> Reveal:
    """The flagged words for ``user``, if the policy lets them read this client's words."""
    flag = await session.get(SafetyFlag, flag_id)
    if flag is None:
        return Reveal(None)
    decision = await authorize_id(session, user, flag.user_id, WORDS_READ)
    if not isinstance(decision, Allowed) or user is None:
        logger.warning("event=flag.reveal_refused flag_id=%s", flag_id)
        return Reveal(None)
    if not flag.text:
        return Reveal(t._(NOT_KEPT))
    await audit.record(session, user.id, AuditAction.FLAG_REVEAL, flag.user_id)
    words = flag.text if len(flag.text) <= QUOTE_LIMIT else flag.text[: QUOTE_LIMIT - 1] + "…"
    found = decision.client
    logger.info("event=flag.revealed flag_id=%s by=%s", flag_id, user.id)
    heading = t._(
        SHOWN,
        client=client_label(t, found.alias, found.client.id),
        when=Clock.of(t.locale, user.timezone).moment(flag.created_at),
    )
    # The quote is markup of ours around the client's escaped words, not catalog text.
    quote = f"<blockquote>{html.escape(words)}</blockquote>"
    return Reveal(f"{heading}\n{quote}\n{t._(LOGGED)}")
