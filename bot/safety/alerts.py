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
from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from typing import Any

from babel.dates import format_datetime
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import utcnow
from bot.db.models import SafetyFlag, TeamRole, User
from bot.delivery.outbox import enqueue
from bot.delivery.renderers import RenderContext, Rendered, Renderer, dashboard_buttons
from bot.domain.crisis import Severity
from bot.domain.schedule import zone_or_default
from bot.enrollment import authorization
from bot.i18n import N_, Translator
from bot.measures.model import Measure

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


async def alert_lead_practitioner(
    session: AsyncSession,
    *,
    client_id: int,
    flag_id: int,
    item: dict[str, Any] | None = None,
) -> None:
    """Queue the alert to the client's lead practitioner (a client with none: logged).

    ``item``: the flag was raised by a questionnaire answer (:mod:`bot.measures.item_alerts`):
    the measure's and item's ids and the answer (the renderer words them)."""
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
            payload={"flag_id": flag_id, "client_id": client_id} | ({"item": item} if item else {}),
            due_at=now,
            expires_at=now + VALID_FOR,
        )
    logger.info(
        "event=safety.alert.queued client_id=%s flag_id=%s leads=%s", client_id, flag_id, len(leads)
    )


def renderer(measures: Mapping[str, Measure], web_app_url: str | None = None) -> Renderer:
    """The alert's renderer: ``measures`` words a questionnaire item's alert; with
    ``web_app_url``, a button opens the client's page in the web view."""

    async def render_with_measures(context: RenderContext) -> Rendered:
        rendered = await render(context, measures)
        buttons = dashboard_buttons(context.t, web_app_url, context.payload["client_id"])
        return replace(rendered, buttons=buttons) if buttons else rendered

    return render_with_measures


async def render(context: RenderContext, measures: Mapping[str, Measure] | None = None) -> Rendered:
    """The alert in the practitioner's language, naming the client by their alias."""
    _ = context.t._
    flag = await context.session.get(SafetyFlag, context.payload["flag_id"])
    client_id = context.payload["client_id"]
    membership = await authorization.membership(context.session, context.user_id, client_id)
    alias = membership.alias if membership is not None else None
    practitioner = await context.session.get(User, context.user_id)
    when = flag.created_at if flag is not None else context.due_at
    zone = zone_or_default(practitioner.timezone if practitioner else None, "UTC")
    client = html.escape(alias) if alias else _(UNNAMED, number=client_id)
    stamp = format_datetime(when, "short", tzinfo=zone, locale=context.t.locale)
    item = context.payload.get("item")
    measure = (measures or {}).get(str(item.get("measure"))) if item else None
    if item and measure is not None:
        text = item_alert_text(context.t, measure, item, client=client, when=stamp)
        return Rendered(text=text)
    text = _(TEXT, client=client, when=stamp)
    label = SEVERITIES.get(flag.severity) if flag is not None else None
    if label is not None:
        text += "\n\n" + _(SEVERITY, severity=_(label))
    return Rendered(text=text)


ITEM_TEXT = N_(
    "⚠️ <b>Safety alert</b>: <b>{client}</b> answered item {item} of the {measure} "
    "(“{question}”) with “{answer}” ({value}) ({when}). Between showed them the crisis "
    "resources at once.\n\nPlease follow up as your practice's safety protocol says. "
    "Between is not monitored in real time."
)


def item_alert_text(
    t: Translator, measure: Measure, item: Mapping[str, Any], *, client: str, when: str
) -> str:
    """The alert for a questionnaire answer: the question and the answer as the
    instrument words them, in the practitioner's language."""
    item_id, value = str(item["item"]), int(item["answer"])
    asked = next((i for i in measure.items if i.id == item_id), None)
    options = {o.value: o for o in measure.option_sets[asked.options]} if asked else {}
    label = options[value].text(t.locale) if value in options else str(value)
    return t._(
        ITEM_TEXT,
        client=client,
        item=measure.item_number(item_id) if asked else item_id,
        measure=html.escape(measure.name(t.locale)),
        question=html.escape(asked.text.get(t.locale) if asked else item_id),
        answer=html.escape(label),
        value=value,
        when=when,
    )
