"""Which question with buttons a client has open right now, from the database alone.

A client can have a check-in question (a goal's 0–10 or a strategy's done / not
today), a questionnaire item (the intake, a scheduled measure) and the /delete
or /stop confirmation open at once; a typed answer belongs to the one asked last, since that
is the one in front of them. Open means: the check-in's window has not closed and
its step is a goal or a strategy (its note question takes any text, and has its own
taker); the questionnaire is open and not past its window; the /delete or /stop
confirmation was asked less than :data:`CONFIRMATION_VALID` ago (a typed "yes" long
after is not taken as one: it could erase everything). The onboarding and /settings
questions are not here: they take typed text first, in their own handler.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    AdministrationStatus,
    Checkin,
    CheckinStatus,
    ConversationStep,
    MeasureAdministration,
)

CONFIRM = "confirm"  # ConversationStep.flow of a yes/no confirmation
DELETE = "delete"  # its step after /delete: "delete everything?"
STOP = "stop"  # after /stop: "do you want to stop the companion?"
CONFIRMATIONS = (DELETE, STOP)
CONFIRMATION_VALID = timedelta(minutes=15)


@dataclass(frozen=True)
class CheckinQuestion:
    """A check-in's goal rating (``kind`` "goal") or strategy question ("strategy")."""

    checkin_id: int
    day: date
    kind: str
    ident: int
    asked_at: datetime

    @property
    def key(self) -> str:
        return f"checkin:{self.checkin_id}:{self.kind}:{self.ident}"


@dataclass(frozen=True)
class MeasureQuestion:
    """The item being asked of a questionnaire."""

    administration_id: int
    measure_id: str
    item_index: int
    asked_at: datetime

    @property
    def key(self) -> str:
        return f"measure:{self.administration_id}:{self.item_index}"


@dataclass(frozen=True)
class ConfirmQuestion:
    """A yes/no confirmation: ``what`` is DELETE ("delete everything?") or STOP."""

    what: str
    asked_at: datetime

    @property
    def key(self) -> str:
        return f"confirm:{self.what}"


OpenQuestion = CheckinQuestion | MeasureQuestion | ConfirmQuestion


async def find_open_question(
    session: AsyncSession, user_id: int, now: datetime
) -> OpenQuestion | None:
    """The question with buttons ``user_id`` was asked last and can still answer, or None."""
    found: list[OpenQuestion] = []
    checkin = await session.scalar(
        select(Checkin)
        .where(
            Checkin.user_id == user_id,
            Checkin.status.in_([CheckinStatus.OPEN, CheckinStatus.ANSWERED]),
            Checkin.closes_at > now,
        )
        .order_by(Checkin.local_date.desc())
        .limit(1)
    )
    if checkin is not None and checkin.step:
        kind, _sep, ident = checkin.step.partition(":")
        if kind in ("goal", "strategy") and ident.isdigit():
            asked = checkin.updated_at
            found.append(CheckinQuestion(checkin.id, checkin.local_date, kind, int(ident), asked))
    administration = await session.scalar(
        select(MeasureAdministration)
        .where(
            MeasureAdministration.user_id == user_id,
            MeasureAdministration.status == AdministrationStatus.OPEN,
            MeasureAdministration.closes_at > now,
        )
        .order_by(MeasureAdministration.updated_at.desc())
        .limit(1)
    )
    if administration is not None:
        found.append(
            MeasureQuestion(
                administration.id,
                administration.measure_id,
                administration.current_item,
                administration.updated_at,
            )
        )
    step = await session.get(ConversationStep, user_id, populate_existing=True)
    if (
        step is not None
        and step.flow == CONFIRM
        and step.step in CONFIRMATIONS
        and step.updated_at > now - CONFIRMATION_VALID
    ):
        found.append(ConfirmQuestion(step.step, step.updated_at))
    return max(found, key=lambda question: question.asked_at, default=None)
