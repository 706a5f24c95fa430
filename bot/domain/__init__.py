"""Pure domain logic: plain Python, no Telegram, tested directly."""
