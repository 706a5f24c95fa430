"""Enrollment use cases: invites, practitioners, clients, care teams and who may see whom.

Plain Python over a session: no ``telegram`` import, and nothing here commits
(the handler that owns the session does).
"""
