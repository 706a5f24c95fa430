"""What happens for the practitioner after a client's message raised a safety flag.

Issue 9 asks for an immediate alert to the client's lead practitioner ("a flag
was raised", with the text only where the client agreed to share notes). Who
the lead practitioner is (enrollment) and how messages go out (the outbox of the
delivery engine) are built in other issues, so this is the one place where that
alert plugs in. It is called exactly once per new flag, inside the transaction
that stored the flag: queue the alert here as an outbox row, in the same
session, and it is sent if and only if the flag was stored.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

logger = logging.getLogger(__name__)


async def alert_lead_practitioner(session: AsyncSession, *, client_id: int, flag_id: int) -> None:
    """Queue the alert to the client's lead practitioner. Not wired yet (see the module doc)."""
    del session  # the outbox row will be added through it
    logger.warning("event=safety.alert.not_wired client_id=%s flag_id=%s", client_id, flag_id)
