"""Starting a goal: a DRAFT row whose ``draft_step`` is the open question.

This is the seam between the intake (which knows which life area the client chose)
and the SMART goal conversation (which asks the questions).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Goal, GoalStatus

FIRST_STEP = "what"


async def start_draft(session: AsyncSession, user_id: int, *, area: str | None = None) -> Goal:
    """The client's open draft (reused, so a second start never leaves two), seeded with
    ``area`` (an intake item id such as ``"sleep"``) when given."""
    draft = await session.scalar(
        select(Goal).where(Goal.user_id == user_id, Goal.status == GoalStatus.DRAFT).limit(1)
    )
    if draft is None:
        draft = Goal(user_id=user_id, status=GoalStatus.DRAFT)
        session.add(draft)
    draft.area = area
    draft.draft_step = FIRST_STEP
    await session.flush()
    return draft
