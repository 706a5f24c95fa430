"""The alert that cannot wait: a client's message raised a safety flag.

Called exactly once per new flag, inside the transaction that stored it, so the
alert is queued (an outbox row for the lead practitioner) if and only if the
flag was stored (crisis language only: a distress flag is for review and never
alerts). Rendered at send time in the practitioner's language, it says for whom,
how severe (explicit, indirect, distress: ``bot.domain.crisis.Severity``), when in
the client's own local time, and the client's traffic light with its reasons in one
line. It never pushes the client's words into the chat: a "Show message" button
sends them on request (``bot/safety/reveal.py``: the access policy decides, the
access log records).
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import RevealFlag
from bot.dates import Clock
from bot.db.base import utcnow
from bot.db.models import SafetyFlag, TeamRole, User
from bot.delivery.outbox import enqueue
from bot.delivery.renderers import Button, RenderContext, Rendered, Renderer, dashboard_buttons
from bot.domain.crisis import Severity
from bot.enrollment import authorization
from bot.i18n import N_, Translator
from bot.measures.model import Measure
from bot.review.alert_reasons import AlertContext, reason_line

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
THEIR_TIME = N_("{time}, their time")
UNNAMED = N_("your client (no. {number})")
SEVERITY = N_("Severity: {severity}")
SEVERITIES = {
    Severity.HIGH: N_("explicit — crisis language about suicide, self-harm, a plan or a method"),
    Severity.MEDIUM: N_(
        "indirect — a warning sign such as wishing not to wake up, feeling a burden, no way "
        "out, giving things away, saying goodbye"
    ),
    Severity.DISTRESS: N_("distress — below crisis language"),
}
SHOW = N_("Show message")
SHOW_HINT = N_("The message itself is not in this alert: “Show message” sends it to you.")


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


def renderer(alert_context: AlertContext | None = None, web_app_url: str | None = None) -> Renderer:
    """The outbox renderer of ``safety_alert`` rows (payload: flag and client ids; a
    questionnaire item's alert also names the item and the answer). With ``web_app_url``,
    a button opens the client's page in the web view."""
    settings = alert_context or AlertContext()

    async def render(context: RenderContext) -> Rendered:
        """The alert in the practitioner's language, naming the client by their alias."""
        t = context.t
        _ = t._
        flag = await context.session.get(SafetyFlag, context.payload["flag_id"])
        client_id = context.payload["client_id"]
        membership = await authorization.membership(context.session, context.user_id, client_id)
        alias = membership.alias if membership is not None else None
        client = await context.session.get(User, client_id)
        # The client's own local time: when it happened for them (UTC, labelled, if unknown).
        clock = Clock.of(t.locale, client.timezone if client is not None else None)
        moment = clock.moment(flag.created_at if flag is not None else context.due_at)
        when = _(THEIR_TIME, time=moment) if clock.zone is not None else moment
        name = html.escape(alias) if alias else _(UNNAMED, number=client_id)
        item = context.payload.get("item")
        measure = settings.measures_by_id.get(str(item.get("measure"))) if item else None
        if item and measure is not None:
            text = item_alert_text(t, measure, item, client=name, when=when)
        else:
            text = _(TEXT, client=name, when=when)
            label = SEVERITIES.get(flag.severity) if flag is not None else None
            if label is not None:
                text += "\n\n" + _(SEVERITY, severity=_(label))
        practitioner = await context.session.get(User, context.user_id)
        if practitioner is not None:
            why = await reason_line(
                context.session,
                t,
                practitioner=practitioner,
                client_id=client_id,
                context=settings,
            )
            if why:
                text += "\n" + why
        buttons: tuple[tuple[Button, ...], ...] = ()
        if flag is not None and flag.text:
            text += "\n\n" + _(SHOW_HINT)
            buttons = ((Button(_(SHOW), RevealFlag(flag.id).pack()),),)
        return Rendered(text=text, buttons=buttons + dashboard_buttons(t, web_app_url, client_id))

    return render


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
