"""``python -m bot status``: the outbox at a glance, for an operator."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.db.base import utcnow
from bot.db.models import OutboxStatus
from bot.db.session import create_engine, create_session_factory
from bot.delivery.outbox import KindStatus, status_by_kind

_COLUMNS = (
    OutboxStatus.PENDING,
    OutboxStatus.SENDING,
    OutboxStatus.SENT,
    OutboxStatus.FAILED,
    OutboxStatus.EXPIRED,
)


def age(delta: timedelta) -> str:
    """A short age: 45s, 12m 5s, 3h 20m, 2d 4h."""
    seconds = max(int(delta.total_seconds()), 0)
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {seconds}s"
    return f"{seconds}s"


def format_report(kinds: list[KindStatus], now: datetime) -> str:
    if not kinds:
        return "The outbox is empty."
    header = ["kind", *(status.value for status in _COLUMNS), "oldest pending"]
    rows = [
        [
            kind.kind,
            *(str(kind.counts.get(status, 0)) for status in _COLUMNS),
            age(now - kind.oldest_pending_due_at) if kind.oldest_pending_due_at else "-",
        ]
        for kind in kinds
    ]
    totals = [
        "total",
        *(str(sum(kind.counts.get(status, 0) for kind in kinds)) for status in _COLUMNS),
    ]
    oldest = [k.oldest_pending_due_at for k in kinds if k.oldest_pending_due_at]
    totals.append(age(now - min(oldest)) if oldest else "-")
    table = [header, *rows, totals]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = [
        "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        )
        for row in table
    ]
    return "\n".join(lines)


async def outbox_report(database_url: str) -> str:
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            now = utcnow()
            kinds = await status_by_kind(session, now=now)
    finally:
        await engine.dispose()
    return format_report(kinds, now)
