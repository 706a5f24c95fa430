"""Between: a Telegram companion for clients between sessions with their practitioner."""

__version__ = "0.1.0"
