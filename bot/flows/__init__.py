"""Conversation flows: one module per flow, each reading top to bottom as the conversation does."""
