"""Running the bot without Telegram: a local fake of the Bot API server.

The fake is used by the test suite and by the offline demo; see
:mod:`bot.offline.fake_bot_api`.
"""

from bot.offline.fake_bot_api import (
    ApiCall,
    FakeBotApi,
    FakeGroup,
    FakeUser,
    SentMessage,
    UploadedFile,
)

__all__ = ["ApiCall", "FakeBotApi", "FakeGroup", "FakeUser", "SentMessage", "UploadedFile"]
