"""Pure domain logic: plain Python, no Telegram, no database."""
