"""Check-ins: the daily minute of self-rating, its response window, streaks and /progress.

Modules: ``core`` (opening a check-in, its steps, recording answers), ``streaks``
(recomputing a client's streak when a day resolves), ``delivery`` (the scheduled
prompt's renderer, the missed-sweep and the one nudge), ``messages`` (what is said),
the /progress image is drawn by ``bot.charts``. Use cases take a session and never commit.
"""
