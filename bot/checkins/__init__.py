"""Check-ins: the daily minute of self-rating, its response window, streaks and /progress.

Use cases (what any front door calls): ``answers`` (/checkin, a button, the note: the
check-in's state machine) and ``progress`` (/progress's data). Underneath: ``core``
(opening a check-in, its steps, recording answers idempotently), ``streaks``
(recomputing a client's streak when a day resolves), ``delivery`` (the scheduled
prompt's renderer, the missed-sweep and the one nudge), ``messages`` (what is said).
The /progress image is drawn by ``bot.charts``. Use cases take a session and never commit.
"""
