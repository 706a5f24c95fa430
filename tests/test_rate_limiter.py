"""The send limiter's deadline, directly: a call whose turn comes too late is not made."""

from __future__ import annotations

import asyncio

import pytest

from bot.delivery.rate_limiter import PER_CHAT, SendLimits, TelegramRateLimiter, TooLateToSend


async def _call(limiter: TelegramRateLimiter, limits: object) -> list[str]:
    made: list[str] = []

    async def callback() -> bool:
        made.append("sendMessage")
        return True

    await limiter.process_request(callback, (), {}, "sendMessage", {"chat_id": 1}, limits)
    return made


async def test_a_call_within_its_deadline_is_made():
    limiter = TelegramRateLimiter(overall_per_second=30, per_chat_per_second=1)
    deadline = asyncio.get_running_loop().time() + 5
    assert await _call(limiter, SendLimits(not_after=deadline)) == ["sendMessage"]
    assert await _call(TelegramRateLimiter(overall_per_second=30, per_chat_per_second=1), PER_CHAT)


async def test_a_call_whose_turn_comes_after_its_deadline_is_not_made():
    # One message a second to a chat: the second call's turn is a second away, past
    # its deadline of a tenth of a second.
    limiter = TelegramRateLimiter(overall_per_second=30, per_chat_per_second=1)
    assert await _call(limiter, SendLimits()) == ["sendMessage"]
    deadline = asyncio.get_running_loop().time() + 0.1
    with pytest.raises(TooLateToSend):
        await _call(limiter, SendLimits(not_after=deadline))


async def test_a_lapsed_share_holds_calls_until_it_is_renewed():
    limiter = TelegramRateLimiter(overall_per_second=30, per_chat_per_second=1)
    loop = asyncio.get_running_loop()
    limiter.hold_after(loop.time() + 5)
    assert await _call(limiter, None) == ["sendMessage"]
    assert not limiter.holding

    limiter.hold_after(loop.time() - 0.01)  # the lease ran out
    assert limiter.holding
    waiting = asyncio.ensure_future(_call(limiter, None))
    await asyncio.sleep(0.2)
    assert not waiting.done(), "a call was made on a lapsed share"

    limiter.hold_after(loop.time() + 5)
    assert await asyncio.wait_for(waiting, 1) == ["sendMessage"]
    assert not limiter.holding
