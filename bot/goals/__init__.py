"""Goals and strategies: the SMART conversation's drafts, practitioner edits, history."""
