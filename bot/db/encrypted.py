"""A column type for free text that is stored encrypted (see :mod:`bot.crypto`)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Column, MetaData, Table, Text, bindparam, cast, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import TypeDecorator

from bot import crypto


class EncryptedText(TypeDecorator[str]):
    """Text encrypted on the way in and decrypted on the way out.

    The database holds only Fernet tokens (TEXT), so a copy of the database file
    or a backup reveals no note, reflection or team note without the key.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else crypto.active().encrypt(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else crypto.active().decrypt(value)


def encrypted_columns(metadata: MetaData) -> Iterable[tuple[Table, Column[str]]]:
    for table in metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, EncryptedText):
                yield table, column


async def rotate_all(session: AsyncSession, metadata: MetaData, batch_size: int = 500) -> int:
    """Re-encrypt every encrypted column with the newest key; returns values rotated.

    Works on the stored tokens themselves (read and written as plain TEXT), so no
    text is decrypted into memory, in primary-key batches of ``batch_size``.
    """
    cipher = crypto.active()
    connection = await session.connection()
    rotated = 0
    for table, column in encrypted_columns(metadata):
        (key,) = table.primary_key.columns
        token = cast(column, Text())
        write = (
            update(table)
            .where(key == bindparam("row_key"))
            .values({column.name: bindparam("new_token", type_=Text())})
        )
        last = None
        while True:
            query = select(key, token).where(column.is_not(None)).order_by(key).limit(batch_size)
            if last is not None:
                query = query.where(key > last)
            rows = (await connection.execute(query)).all()
            if not rows:
                break
            await connection.execute(
                write,
                [{"row_key": row_key, "new_token": cipher.rotate(old)} for row_key, old in rows],
            )
            rotated += len(rows)
            last = rows[-1][0]
    return rotated
