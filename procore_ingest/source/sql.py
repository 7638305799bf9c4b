"""The SQL pieces every reader of the source writes: a table's name, its key order, a read-only
snapshot, and the server-side-cursor fetch loop. Identifiers only ever through `sql.Identifier`."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import psycopg2.extensions
from psycopg2 import sql

from ..discovery.model import Table
from .casters import register_lossless_casters

T = TypeVar("T")


def table_ident(table: Table) -> sql.Identifier:
    """`"schema"."name"`, quoted: the one way a table is named in a query."""
    return sql.Identifier(table.schema, table.name)


def columns(names: Sequence[str], alias: str | None = None) -> sql.Composable:
    """`"a", "b"` (or `t."a", t."b"` with an alias)."""
    if alias is None:
        return sql.SQL(", ").join(sql.Identifier(n) for n in names)
    return sql.SQL(", ").join(sql.Identifier(alias, n) for n in names)


def order_by(keys: Sequence[str], alias: str | None = None) -> sql.Composable:
    """` ORDER BY k1, k2` (nothing for a table without a key)."""
    return sql.SQL(" ORDER BY {}").format(columns(keys, alias)) if keys else sql.SQL("")


def begin_snapshot(conn: Any) -> None:
    """End what is open on `conn`; its next transaction is REPEATABLE READ and READ ONLY (one
    snapshot for every query of it), with the lossless casters registered."""
    conn.rollback()
    conn.autocommit = False
    conn.set_session(isolation_level=psycopg2.extensions.ISOLATION_LEVEL_REPEATABLE_READ, readonly=True)
    register_lossless_casters(conn)


def stream(conn: Any, query: sql.Composable, params: Sequence[Any], size: int,
           make: Callable[[tuple], T], hold: bool = False) -> Iterator[list[T]]:
    """`query`'s rows, each turned into `make(row)`, `size` at a time, through a server-side
    cursor in the transaction open on `conn`: constant memory whatever the table size.

    `hold`: the cursor is WITH HOLD and the transaction is ended at once: the server keeps the
    result as the snapshot saw it (in a temporary file past work_mem) and the snapshot is
    released, and every batch is fetched in a transaction ended before it is handed over, so no
    snapshot is held while the caller waits (on Vespa). For reads that cannot page by key."""
    cursor = conn.cursor(name=f"procore_ingest_{uuid.uuid4().hex[:12]}", withhold=hold)
    cursor.itersize = size
    try:
        cursor.execute(query, list(params))
        if hold:
            conn.commit()  # read only, nothing written: the result is kept, the snapshot let go
        while True:
            rows = cursor.fetchmany(size)
            if hold:
                conn.commit()  # the FETCH's transaction: ended before the batch is handed over
            if not rows:
                break
            # the fetched tuples are not kept: only what `make` built lives while it is used
            yield [make(r) for r in rows]
    finally:
        if conn.closed == 0 and hold:
            # the result may have failed as it was kept (at the commit): then no cursor is left
            # to close, and the error raised there is the one to report
            with contextlib.suppress(psycopg2.Error):
                cursor.close()
            conn.rollback()
        elif conn.closed == 0:
            cursor.close()
