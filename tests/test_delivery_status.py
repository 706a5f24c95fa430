"""`python -m bot status`: the outbox by kind and status, and how long the oldest has waited."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.base import utcnow
from bot.db.models import OutboxMessage, OutboxStatus
from bot.delivery import enqueue
from bot.offline.fake_bot_api import FakeBotApi
from bot.settings import Settings, SettingsError, load_settings
from tests.delivery_support import add_clients
from tests.test_run_command import bot_environment, run_cli


async def test_status_counts_by_kind_and_shows_the_oldest_pending_age(
    fake_api: FakeBotApi, migrated: Settings, migrated_sessions: async_sessionmaker[AsyncSession]
):
    now = utcnow()
    async with migrated_sessions() as session, session.begin():
        ids = await add_clients(session, [5001])
        plan = [
            ("checkin_reminder", OutboxStatus.SENT, 0),
            ("checkin_reminder", OutboxStatus.SENT, 0),
            ("checkin_reminder", OutboxStatus.PENDING, 125),  # waiting 2h 5m
            ("checkin_reminder", OutboxStatus.PENDING, -30),  # not due yet
            ("digest", OutboxStatus.FAILED, 0),
            ("digest", OutboxStatus.EXPIRED, 0),
        ]
        for n, (kind, status, minutes_ago) in enumerate(plan):
            await enqueue(
                session,
                user_id=ids[5001],
                chat_id=5001,
                kind=kind,
                key=f"k{n}",
                payload={},
                due_at=now - timedelta(minutes=minutes_ago),
                expires_at=now + timedelta(hours=3),
            )
            await session.execute(
                update(OutboxMessage).where(OutboxMessage.key == f"k{n}").values(status=status)
            )

    result = await asyncio.to_thread(
        run_cli, "status", env=bot_environment(fake_api, migrated.database_url)
    )
    assert result.returncode == 0, result.stderr
    lines = [line.split() for line in result.stdout.strip().splitlines()]
    assert lines[0] == [
        "kind",
        "pending",
        "sending",
        "sent",
        "failed",
        "expired",
        "oldest",
        "pending",
    ]
    assert lines[1] == ["checkin_reminder", "2", "0", "2", "0", "0", "2h", "5m"]
    assert lines[2] == ["digest", "0", "0", "0", "1", "1", "-"]
    assert lines[3] == ["total", "2", "0", "2", "1", "1", "2h", "5m"]


async def test_status_of_an_empty_outbox(fake_api: FakeBotApi, migrated: Settings):
    result = await asyncio.to_thread(
        run_cli, "status", env=bot_environment(fake_api, migrated.database_url)
    )
    assert result.returncode == 0
    assert result.stdout.strip() == "The outbox is empty."


def test_a_lease_shorter_than_two_sends_is_refused_at_start():
    with pytest.raises(SettingsError) as raised:
        load_settings(_env_file=None, delivery_lease_seconds=10, delivery_send_timeout=10)
    assert "DELIVERY_LEASE_SECONDS" in str(raised.value)
    assert "DELIVERY_SEND_TIMEOUT" in str(raised.value)
