"""Who may read or change a client's data: one policy for every front door."""
