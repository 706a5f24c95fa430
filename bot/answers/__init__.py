"""Answers typed to questions that have buttons: which question is open, and taking it."""
