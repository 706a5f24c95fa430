"""Safety: the crisis-language check's content, the flags it raises, and what follows a flag.

Plain use cases and loaders, no Telegram: the flow that answers a client is
``bot/flows/crisis.py``.
"""
