"""Which rows are "about" a user, found from the foreign keys in the metadata.

A table belongs to a user when one of its columns references ``users.id``;
tables that reference those rows (a quiz answer of a lesson delivery) belong to
the user too. Deriving this from the schema means a new table is covered by
``/mydata`` and ``/delete`` the day it is added — no list to forget to update.
A column may opt out of erasure with ``info={"on_erase": "anonymize"}``: the
audit log keeps who looked, with the subject's id removed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import ColumnElement, MetaData, Table, select
from sqlalchemy.sql.schema import Column

ANONYMIZE = "anonymize"


@dataclass(frozen=True)
class Link:
    """Rows of ``table`` whose ``column`` holds the user's id, or the key of a parent
    row that is the user's."""

    table: Table
    column: Column[int]
    parent: Link | None = None

    def condition(self, user_id: int) -> ColumnElement[bool]:
        if self.parent is None:
            return self.column == user_id
        (foreign_key,) = self.column.foreign_keys
        parent_key = self.parent.table.c[foreign_key.column.name]
        return self.column.in_(select(parent_key).where(self.parent.condition(user_id)))

    @property
    def anonymize(self) -> bool:
        return self.column.info.get("on_erase") == ANONYMIZE

    @property
    def depth(self) -> int:
        return 0 if self.parent is None else self.parent.depth + 1


def links(metadata: MetaData, users: Table) -> list[Link]:
    """Every path from a table to ``users``, parents before their children.

    Derived once per schema (the metadata's tables are fixed once the models are
    imported): /mydata, /delete and the retention sweep ask for it on every run."""
    key = (id(metadata), id(users), tuple(metadata.tables))
    found = _LINKS.get(key)
    if found is None:
        found = _LINKS[key] = _derive_links(metadata.sorted_tables, users)
    return list(found)


_LINKS: dict[tuple[int, int, tuple[str, ...]], list[Link]] = {}


def _derive_links(tables: list[Table], users: Table) -> list[Link]:
    found: list[Link] = []
    frontier = [
        Link(table, column)
        for table in tables
        if table is not users
        for column in table.columns
        if any(fk.column.table is users for fk in column.foreign_keys)
    ]
    while frontier:
        found.extend(frontier)
        frontier = list(_children(tables, frontier, users))
    return found


def _children(tables: list[Table], parents: list[Link], users: Table) -> Iterator[Link]:
    for parent in parents:
        if parent.anonymize:
            continue  # rows kept on erasure: their children stay too
        for table in tables:
            if table in (users, parent.table):
                continue
            for column in table.columns:
                if any(fk.column.table is parent.table for fk in column.foreign_keys):
                    yield Link(table, column, parent)
