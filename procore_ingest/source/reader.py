"""Read a table in key order, a batch at a time, from one consistent snapshot.

Keyset, not OFFSET: `WHERE (k1, k2) > (last) ORDER BY k1, k2` through a server-side cursor, so
memory stays constant whatever the table size and a resumed run starts right after the last
acknowledged key. The transaction is REPEATABLE READ and READ ONLY: every batch of a table sees
the same snapshot.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from psycopg2 import sql

from ..plan import TablePlan
from .sql import begin_snapshot, columns, order_by, stream, table_ident


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
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "\\x" + bytes(value).hex()  # bytea's hex input format
    if isinstance(value, (list, tuple)):
        return [key_to_json(v) for v in value]  # an array key: psycopg2 sends ARRAY[...]
    return str(value)  # Decimal, UUID and text-rendered types print as they are read back


def _key_condition(plan: TablePlan, op: str, key: list[Any]) -> tuple[sql.Composable, list[Any]]:
    """`(k1, k2) <op> (%s::t1, %s::t2)` with `key` as its parameters."""
    keys = sql.SQL(", ").join(sql.Identifier(k) for k in plan.key_columns)
    casts = sql.SQL(", ").join(sql.SQL("%s::{}").format(sql.SQL(plan.table.column(k).data_type))
                               for k in plan.key_columns)
    return sql.SQL("({}) {} ({})").format(keys, sql.SQL(op), casts), list(key)


def _after(plan: TablePlan, after_key: list[Any] | None,
           last_key: list[Any] | None = None) -> tuple[sql.Composable, list[Any]]:
    """` WHERE (k1, k2) > (%s::t1, %s::t2)` when resuming after `after_key` (and
    ` AND (k1, k2) <= (...)` to stop at `last_key`), else nothing."""
    conditions, params = [], []
    for op, key in ((">", after_key), ("<=", last_key)):
        if plan.key_columns and key is not None:
            condition, values = _key_condition(plan, op, key)
            conditions.append(condition)
            params += values
    if not conditions:
        return sql.SQL(""), []
    return sql.SQL(" WHERE ") + sql.SQL(" AND ").join(conditions), params


def select_query(plan: TablePlan, after_key: list[Any] | None,
                 last_key: list[Any] | None = None) -> tuple[sql.Composed, list[Any]]:
    """SELECT of the table's columns in key order, after `after_key` when resuming (and up to
    `last_key` inclusive, for one key range)."""
    where, params = _after(plan, after_key, last_key)
    query = sql.SQL("SELECT {} FROM {}{}{}").format(
        columns([c.name for c in plan.table.columns]), table_ident(plan.table), where, order_by(plan.key_columns))
    return query, params


def _select_dicts(conn, query: sql.Composable, params: list[Any], names: list[str],
                  size: int) -> Iterator[list[dict[str, Any]]]:
    """`query`'s rows as dicts of `names`, `size` at a time (`source.sql.stream`)."""
    return stream(conn, query, params, size, lambda r: dict(zip(names, r, strict=True)))


def read_batches(conn, plan: TablePlan, batch_size: int,
                 after_key: list[Any] | None = None) -> Iterator[Batch]:
    """Yield the table's rows (as dicts, secret columns included: the document builder drops
    withheld ones) in batches of `batch_size`, from one snapshot."""
    begin_snapshot(conn)
    query, params = select_query(plan, after_key)
    try:
        for dicts in _select_dicts(conn, query, params, [c.name for c in plan.table.columns], batch_size):
            last = ([key_to_json(dicts[-1][k]) for k in plan.key_columns] if plan.key_columns else None)
            yield Batch(dicts, last)
    finally:
        conn.rollback()  # read only: nothing to commit; ends the snapshot


# --- the same, shared between processes -----------------------------------------------------
#
# procore_ingest.pipeline.build reads a table with several sessions: this one walks the keys and cuts
# them into ranges, the others read the ranges' rows. All see one snapshot,
# exported here and imported there (what pg_dump --jobs does).


LOCK_WAIT_MS = 1000


@dataclass
class KeyRange:
    """The rows after `after_key` (None: from the start) up to `last_key`, inclusive."""

    after_key: list[Any] | None
    last_key: list[Any]
    rows: int


@contextlib.contextmanager
def shared_snapshot(conn) -> Iterator[str]:
    """Open a read-only REPEATABLE READ transaction on `conn` and export its snapshot; the
    snapshot lives (other sessions can import it) until the block ends."""
    begin_snapshot(conn)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_export_snapshot()")
            (snapshot,) = cur.fetchone()
        yield snapshot
    finally:
        conn.rollback()


def key_batches(conn, plan: TablePlan, batch_size: int, after_key: list[Any] | None = None,
                piece: int = 1000) -> Iterator[list[KeyRange]]:
    """The table's keys after `after_key` in order, a batch of `batch_size` at a time, each
    batch as consecutive ranges of at most `piece` rows. Read in the transaction open on `conn`
    (`shared_snapshot`); only the key columns are read."""
    where, params = _after(plan, after_key)
    query = sql.SQL("SELECT {} FROM {}{}{}").format(
        columns(plan.key_columns), table_ident(plan.table), where, order_by(plan.key_columns))
    previous = after_key
    for rows in stream(conn, query, params, batch_size, tuple):
        ranges = []
        for start in range(0, len(rows), piece):
            end = min(start + piece, len(rows))
            last = [key_to_json(v) for v in rows[end - 1]]
            ranges.append(KeyRange(previous, last, end - start))
            previous = last
        yield ranges


def range_rows(conn, plan: TablePlan, key_range: KeyRange,
               chunk: int = 1000) -> Iterator[list[dict[str, Any]]]:
    """The rows of `key_range` in key order, `chunk` rows at a time, in the transaction open
    on `conn` (for the session that exported the snapshot: `shared_snapshot`)."""
    query, params = select_query(plan, key_range.after_key, key_range.last_key)
    return _select_dicts(conn, query, params, [c.name for c in plan.table.columns], chunk)


def read_range(conn, plan: TablePlan, key_range: KeyRange, snapshot: str,
               chunk: int = 1000) -> Iterator[list[dict[str, Any]]]:
    """`range_rows` as `snapshot` sees them, in a transaction of its own that imports it."""
    begin_snapshot(conn)
    try:
        with conn.cursor() as cur:
            cur.execute("SET TRANSACTION SNAPSHOT %s", (snapshot,))  # must come first
            # Never queue behind a lock request (an ALTER TABLE waiting for the exporting
            # transaction to end): that wait would never end. Give up; the caller reads.
            cur.execute("SET LOCAL lock_timeout = %s", (f"{LOCK_WAIT_MS}ms",))
        yield from range_rows(conn, plan, key_range, chunk)
    finally:
        conn.rollback()


def count_rows(conn, plan: TablePlan, after_key: list[Any] | None = None) -> int:
    """Rows still to read (for progress bars and dry runs)."""
    where, params = _after(plan, after_key)  # no ORDER BY, no columns: a plain count
    with conn.cursor() as cur:
        cur.execute(sql.SQL("SELECT count(*) FROM {}{}").format(table_ident(plan.table), where), params)
        (count,) = cur.fetchone()
    conn.rollback()
    return int(count)
