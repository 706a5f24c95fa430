"""Making invites and checking the token someone opened.

A token is looked up by its hash. Unknown, used and expired tokens are counted
per Telegram account; after a few within a short window, further tries are
refused without looking, so guessing is slow (the count lives in the database,
so a restart does not reset it). Invites that expired a while ago are deleted
in bulk by the periodic purge (:func:`purge_expired`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Invite, InviteAttempt, InviteKind
from bot.db.rows import rowcount
from bot.enrollment import tokens

MAX_BAD_TOKENS = 5
BAD_TOKEN_WINDOW = timedelta(minutes=15)

_LETTER = {InviteKind.PRACTITIONER: "p", InviteKind.CLIENT: "c", InviteKind.TEAM: "t"}
# How long an expired invite is kept, so that opening it still says "expired"
# rather than "unknown"; then the purge deletes it (with whoever opened it).
KEEP_EXPIRED = timedelta(days=1)


@dataclass(frozen=True)
class NewInvite:
    id: int
    payload: str
    expires_at: datetime


class Check(StrEnum):
    OK = "ok"
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    SLOWED_DOWN = "slowed_down"


@dataclass(frozen=True)
class Opened:
    check: Check
    invite: Invite | None = None


async def create(
    session: AsyncSession,
    kind: InviteKind,
    *,
    now: datetime,
    valid_for: timedelta,
    created_by_id: int | None = None,
    alias: str | None = None,
    display_name: str | None = None,
    practice_id: int | None = None,
    client_id: int | None = None,
) -> NewInvite:
    token = tokens.new_token()
    invite = Invite(
        kind=kind,
        token_hash=tokens.hash_token(token),
        created_by_id=created_by_id,
        alias=alias,
        display_name=display_name,
        practice_id=practice_id,
        client_id=client_id,
        expires_at=now + valid_for,
    )
    session.add(invite)
    await session.flush()
    return NewInvite(invite.id, tokens.make_payload(_LETTER[kind], token), invite.expires_at)


async def open_payload(
    session: AsyncSession, payload_text: str, telegram_id: int, now: datetime
) -> Opened:
    """The invite behind a /start payload, or why it cannot be used.

    A token already used by this very account counts as OK (a redelivered update
    or a second tap), so the caller can answer "you're already in".
    """
    attempt = await session.get(InviteAttempt, telegram_id)
    if (
        attempt is not None
        and attempt.failures >= MAX_BAD_TOKENS
        and attempt.last_failed_at > now - BAD_TOKEN_WINDOW
    ):
        await _count_failure(session, telegram_id, now, attempt)
        return Opened(Check.SLOWED_DOWN)
    payload = tokens.parse_payload(payload_text)
    invite = None
    if payload is not None:
        invite = await session.scalar(
            select(Invite).where(Invite.token_hash == tokens.hash_token(payload.token))
        )
        if invite is not None and _LETTER[invite.kind] != payload.kind_letter:
            invite = None
    if invite is None:
        await _count_failure(session, telegram_id, now, attempt)
        return Opened(Check.UNKNOWN)
    if invite.used_at is not None:
        if invite.used_by_id is not None and await _used_by(session, invite, telegram_id):
            return Opened(Check.OK, invite)
        await _count_failure(session, telegram_id, now, attempt)
        return Opened(Check.USED, invite)
    if invite.expires_at <= now:
        await _count_failure(session, telegram_id, now, attempt)
        return Opened(Check.EXPIRED, invite)
    return Opened(Check.OK, invite)


async def _used_by(session: AsyncSession, invite: Invite, telegram_id: int) -> bool:
    from bot.db.models import User

    user = await session.get(User, invite.used_by_id)
    return user is not None and user.telegram_id == telegram_id


async def _count_failure(
    session: AsyncSession, telegram_id: int, now: datetime, attempt: InviteAttempt | None
) -> None:
    # Forget old attempts of everyone while here: the table stays small.
    await session.execute(
        delete(InviteAttempt).where(
            InviteAttempt.last_failed_at < now - BAD_TOKEN_WINDOW,
            InviteAttempt.telegram_id != telegram_id,
        )
    )
    if attempt is None:
        session.add(InviteAttempt(telegram_id=telegram_id, failures=1, last_failed_at=now))
        return
    if attempt.last_failed_at < now - BAD_TOKEN_WINDOW:
        attempt.failures = 0
    attempt.failures += 1
    attempt.last_failed_at = now


async def pending_for(session: AsyncSession, telegram_id: int, now: datetime) -> Invite | None:
    """The client invite this account opened and has not answered: the consent question."""
    return await session.scalar(
        select(Invite)
        .where(
            Invite.opened_by_telegram_id == telegram_id,
            Invite.kind == InviteKind.CLIENT,
            Invite.used_at.is_(None),
            Invite.expires_at > now,
        )
        .order_by(Invite.id.desc())
        .limit(1)
    )


async def claim(
    session: AsyncSession, invite_id: int, now: datetime, *, opened_by: int | None = None
) -> bool:
    """Mark the invite used, if it still is usable: True for exactly one caller.

    A compare-and-set in one UPDATE, so two taps (or two instances) racing for the
    same invite cannot both use it: the second waits for the first to commit and
    then matches nothing, on SQLite and PostgreSQL alike.
    """
    conditions = [Invite.id == invite_id, Invite.used_at.is_(None), Invite.expires_at > now]
    if opened_by is not None:
        conditions.append(Invite.opened_by_telegram_id == opened_by)
    result = await session.execute(
        update(Invite)
        .where(*conditions)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def purge_expired(session: AsyncSession, now: datetime) -> int:
    """Delete every invite (client, practitioner or team) that expired more than
    ``KEEP_EXPIRED`` ago, used or not, in one statement; returns how many went."""
    result = await session.execute(
        delete(Invite)
        .where(Invite.expires_at < now - KEEP_EXPIRED)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)
