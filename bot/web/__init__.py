"""The practitioners' web view inside Telegram (a Mini App): server-rendered pages over
the same use cases and access policy as the chat commands (see README "Web view")."""
