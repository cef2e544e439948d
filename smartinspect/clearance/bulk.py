"""Multi-row inserts: PostgreSQL ``COPY … FROM STDIN`` (no per-row parse and plan), executemany elsewhere.

Used for the rows every declaration brings (the declaration, its lines and containers, its audit events). Rows
are dicts keyed by column name, with every key present in every row and ids already set.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import JSON, Table, insert
from sqlalchemy.orm import Session

COPY_MIN_ROWS = 20  # COPY costs two round trips; below this many rows a pipelined executemany is cheaper


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` into ``table`` in this session's transaction (flush pending ORM changes first)."""
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql" or len(rows) < COPY_MIN_ROWS:
        session.execute(insert(table), list(rows))  # psycopg pipelines an executemany: one round trip
        return
    from psycopg.types.json import Jsonb

    columns = list(rows[0])
    json_columns = {i for i, name in enumerate(columns) if isinstance(table.c[name].type, JSON)}
    names = ", ".join(f'"{name}"' for name in columns)
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            values = [row[name] for name in columns]
            for i in json_columns:
                if values[i] is not None:
                    values[i] = Jsonb(values[i])
            copy.write_row(values)
