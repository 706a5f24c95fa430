"""Looking up who sent an update. Plain data access: no Telegram types."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import User

# Built once: every update runs it, and building a statement and its cache key costs
# more CPU than the lookup itself (bench/checkins.py).
_BY_TELEGRAM_ID = select(User).where(User.telegram_id == bindparam("telegram_id"))


async def find_by_telegram_id(session: AsyncSession, telegram_id: int) -> User | None:
    return await session.scalar(_BY_TELEGRAM_ID, {"telegram_id": telegram_id})
