"""``/mydata``: everything stored about a user, as a zip of JSON and CSV files.

Free text is decrypted for the owner (the export is theirs); secrets of the
system (token hashes) are left out.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date, datetime, time
from enum import Enum
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import Base, table_of
from bot.db.models import User
from bot.privacy.graph import links

_SECRET_MARKERS = ("hash", "token")

README = """\
Your data from Between
======================

One file per kind of record, each as JSON (exact) and CSV (for a spreadsheet).
users: your settings. Other files: what the bot stored about you (check-ins,
lessons and reflections, care team, safety flags, messages sent to you).
Times are in UTC (ISO 8601). Ask your practitioner if anything is unclear.
"""


async def export_user_data(session: AsyncSession, user_id: int) -> bytes:
    """A zip archive of every row about ``user_id``."""
    users = table_of(User)
    tables: dict[str, list[dict[str, Any]]] = {
        "users": await _rows(session, users, users.c.id == user_id)
    }
    for link in links(Base.metadata, users):
        if link.anonymize:
            continue
        rows = await _rows(session, link.table, link.condition(user_id))
        bucket = tables.setdefault(link.table.name, [])
        seen = {json.dumps(row, sort_keys=True, default=str) for row in bucket}
        bucket.extend(r for r in rows if json.dumps(r, sort_keys=True, default=str) not in seen)
    return _zip(tables)


async def _rows(session: AsyncSession, table: Table, condition: Any) -> list[dict[str, Any]]:
    columns = [c for c in table.columns if not any(m in c.name for m in _SECRET_MARKERS)]
    result = await session.execute(select(*columns).where(condition))
    return [{key: _plain(value) for key, value in row._mapping.items()} for row in result]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def _zip(tables: dict[str, list[dict[str, Any]]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", README)
        for name, rows in sorted(tables.items()):
            archive.writestr(f"{name}.json", json.dumps(rows, indent=2, ensure_ascii=False))
            archive.writestr(f"{name}.csv", _csv(rows))
    return buffer.getvalue()


def _csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return out.getvalue()
