"""Read a table in key order, a batch at a time, from one consistent snapshot.

Keyset, not OFFSET: `WHERE (k1, k2) > (last) ORDER BY k1, k2` through a server-side cursor, so
memory stays constant whatever the table size and a resumed run starts right after the last
acknowledged key. The transaction is REPEATABLE READ and READ ONLY: every batch of a table sees
the same snapshot.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import psycopg2.extensions
from psycopg2 import sql

from .plan import TablePlan
from .render import register_lossless_casters


@dataclass
class Batch:
    rows: list[dict[str, Any]]
    last_key: list[Any] | None  # JSON-safe key of the last row (None for tables without a key)


def key_to_json(value: Any) -> Any:
    """A key value as JSON that PostgreSQL casts back exactly (`%s::type`)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, (Decimal, uuid.UUID)):
        return str(value)
    return str(value)


def _table_ident(plan: TablePlan) -> sql.Composed:
    return sql.SQL("{}.{}").format(sql.Identifier(plan.table.schema), sql.Identifier(plan.table.name))


def _after(plan: TablePlan, after_key: list[Any] | None) -> tuple[sql.Composable, list[Any]]:
    """` WHERE (k1, k2) > (%s::t1, %s::t2)` when resuming after `after_key`, else nothing."""
    if not plan.key_columns or after_key is None:
        return sql.SQL(""), []
    keys = sql.SQL(", ").join(sql.Identifier(k) for k in plan.key_columns)
    casts = sql.SQL(", ").join(sql.SQL("%s::{}").format(sql.SQL(plan.table.column(k).data_type))
                               for k in plan.key_columns)
    return sql.SQL(" WHERE ({}) > ({})").format(keys, casts), list(after_key)


def select_query(plan: TablePlan, after_key: list[Any] | None) -> tuple[sql.Composed, list[Any]]:
    """SELECT of the table's columns in key order, after `after_key` when resuming."""
    columns = sql.SQL(", ").join(sql.Identifier(c.name) for c in plan.table.columns)
    where, params = _after(plan, after_key)
    query = sql.SQL("SELECT {} FROM {}{}").format(columns, _table_ident(plan), where)
    if plan.key_columns:
        query += sql.SQL(" ORDER BY {}").format(sql.SQL(", ").join(sql.Identifier(k) for k in plan.key_columns))
    return query, params


def read_batches(conn, plan: TablePlan, batch_size: int,
                 after_key: list[Any] | None = None) -> Iterator[Batch]:
    """Yield the table's rows (as dicts, secret columns included: the document builder drops
    withheld ones) in batches of `batch_size`, from one snapshot."""
    register_lossless_casters(conn)
    conn.autocommit = False
    conn.set_session(isolation_level=psycopg2.extensions.ISOLATION_LEVEL_REPEATABLE_READ, readonly=True)
    names = [c.name for c in plan.table.columns]
    query, params = select_query(plan, after_key)
    cursor = conn.cursor(name=f"procore_ingest_{uuid.uuid4().hex[:12]}")
    cursor.itersize = batch_size
    try:
        cursor.execute(query, params)
        while True:
            # the fetched tuples are not kept: only the dicts live while the batch is used
            dicts = [dict(zip(names, r, strict=True)) for r in cursor.fetchmany(batch_size)]
            if not dicts:
                break
            last = ([key_to_json(dicts[-1][k]) for k in plan.key_columns] if plan.key_columns else None)
            yield Batch(dicts, last)
    finally:
        cursor.close()
        conn.rollback()  # read only: nothing to commit; ends the snapshot


def count_rows(conn, plan: TablePlan, after_key: list[Any] | None = None) -> int:
    """Rows still to read (for progress bars and dry runs)."""
    where, params = _after(plan, after_key)  # no ORDER BY, no columns: a plain count
    with conn.cursor() as cur:
        cur.execute(sql.SQL("SELECT count(*) FROM {}{}").format(_table_ident(plan), where), params)
        (count,) = cur.fetchone()
    conn.rollback()
    return int(count)
