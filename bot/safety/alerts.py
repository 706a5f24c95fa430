"""The alert that cannot wait: a client's message raised a safety flag.

Called exactly once per new flag, inside the transaction that stored it, so the
alert is queued (an outbox row for the lead practitioner) if and only if the
flag was stored (crisis language only: a distress flag is for review and never
alerts). It says that a flag was raised, for whom, when and how severe — never the
client's words (no consent to share them exists yet) — and is rendered at send
time in the practitioner's language.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta

from babel.dates import format_datetime
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import utcnow
from bot.db.models import SafetyFlag, TeamRole, User
from bot.delivery.outbox import enqueue
from bot.delivery.renderers import RenderContext, Rendered, dashboard_buttons
from bot.domain.crisis import Severity
from bot.domain.schedule import zone_or_default
from bot.enrollment import authorization
from bot.i18n import N_

logger = logging.getLogger(__name__)

KIND = "safety_alert"
# Sent at once; still worth sending after a short outage, not a day later.
VALID_FOR = timedelta(hours=12)

TEXT = N_(
    "⚠️ <b>Safety flag</b>: a message from <b>{client}</b> ({when}) matched the crisis "
    "check. Between answered at once with the crisis resources and asked nothing more.\n\n"
    "Please follow up as your practice's safety protocol says. Between is not monitored "
    "in real time."
)
UNNAMED = N_("your client (no. {number})")
SEVERITY = N_("Severity: {severity}")
SEVERITIES = {
    Severity.HIGH: N_("high — explicit crisis language (suicide, self-harm, a plan or a method)"),
    Severity.MEDIUM: N_(
        "medium — an indirect warning sign (such as wishing not to wake up, feeling a "
        "burden, no way out, giving things away, saying goodbye)"
    ),
}


async def alert_lead_practitioner(session: AsyncSession, *, client_id: int, flag_id: int) -> None:
    """Queue the alert to the client's lead practitioner (a client with none: logged)."""
    leads = [
        viewer
        for viewer in await authorization.team_viewers(session, client_id)
        if viewer.role == TeamRole.LEAD
    ]
    now = utcnow()
    for lead in leads:
        await enqueue(
            session,
            user_id=lead.user_id,
            chat_id=lead.telegram_id,
            kind=KIND,
            key=f"{KIND}:{flag_id}:{lead.user_id}",
            payload={"flag_id": flag_id, "client_id": client_id},
            due_at=now,
            expires_at=now + VALID_FOR,
        )
    logger.info(
        "event=safety.alert.queued client_id=%s flag_id=%s leads=%s", client_id, flag_id, len(leads)
    )


def renderer(web_app_url: str | None = None) -> Callable[[RenderContext], Awaitable[Rendered]]:
    """:func:`render`, with a button that opens the client's page in the web view when
    ``web_app_url`` is set."""

    async def with_button(context: RenderContext) -> Rendered:
        rendered = await render(context)
        buttons = dashboard_buttons(context.t, web_app_url, context.payload["client_id"])
        return replace(rendered, buttons=buttons) if buttons else rendered

    return with_button


async def render(context: RenderContext) -> Rendered:
    """The alert in the practitioner's language, naming the client by their alias."""
    _ = context.t._
    flag = await context.session.get(SafetyFlag, context.payload["flag_id"])
    client_id = context.payload["client_id"]
    membership = await authorization.membership(context.session, context.user_id, client_id)
    alias = membership.alias if membership is not None else None
    practitioner = await context.session.get(User, context.user_id)
    when = flag.created_at if flag is not None else context.due_at
    zone = zone_or_default(practitioner.timezone if practitioner else None, "UTC")
    text = _(
        TEXT,
        client=html.escape(alias) if alias else _(UNNAMED, number=client_id),
        when=format_datetime(when, "short", tzinfo=zone, locale=context.t.locale),
    )
    label = SEVERITIES.get(flag.severity) if flag is not None else None
    if label is not None:
        text += "\n\n" + _(SEVERITY, severity=_(label))
    return Rendered(text=text)
