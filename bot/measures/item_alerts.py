"""Item-level alerts declared in a measure file (``alerts:``), e.g. the PHQ-9's item 9
answered 1 ("several days") or more.

Raised the moment the item is answered, not when the questionnaire is finished: a
safety flag (source ``measure:<administration>:<item>``, so a double tap or a changed
answer flags once) and, for a new flag, the lead practitioner's alert through the same
outbox path as crisis language (:func:`bot.safety.alerts.alert_lead_practitioner`).
The caller shows the client the crisis resources whenever this says the answer is an
alert. A use case: a session in, nothing committed.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.crisis import Severity
from bot.measures.model import Item, Measure
from bot.safety.alerts import alert_lead_practitioner
from bot.safety.flags import record_item_flag

logger = logging.getLogger(__name__)

SOURCE = "measure"


def source(administration_id: int, item_id: str) -> str:
    return f"{SOURCE}:{administration_id}:{item_id}"


async def raise_for_answer(
    session: AsyncSession,
    measure: Measure,
    item: Item,
    value: int | None,
    *,
    user_id: int,
    administration_id: int,
    now: datetime,
) -> bool:
    """Whether this answer is one the measure declares as an alert (flagged and the lead
    alerted once per administration and item)."""
    if value is None:
        return False
    rule = next((r for r in measure.alerts if r.item == item.id and value >= r.at_least), None)
    if rule is None:
        return False
    flag_id = await record_item_flag(
        session,
        user_id=user_id,
        source=source(administration_id, item.id),
        rule_id=f"{measure.id}.{item.id}",
        severity=Severity(rule.severity),
        locale="",
        now=now,
    )
    if flag_id is not None:
        await alert_lead_practitioner(
            session,
            client_id=user_id,
            flag_id=flag_id,
            item={"measure": measure.id, "item": item.id, "answer": value},
        )
    logger.info(
        "event=measure.item_alert user_id=%s measure=%s item=%s new=%s",
        user_id,
        measure.id,
        item.id,
        flag_id is not None,
    )
    return True
