"""How many rows an UPDATE or DELETE touched.

``AsyncSession.execute`` is typed as returning a plain ``Result``; for DML it is a
``CursorResult``, which alone carries ``rowcount``. One typed place says so.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy.engine import CursorResult, Result


def rowcount(result: Result[Any]) -> int:
    """Rows matched by the UPDATE or DELETE that gave ``result`` (0 when unknown)."""
    return cast(CursorResult[Any], result).rowcount or 0
