"""Loading the generated rows into an empty database with COPY: `build_demo_database`."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable
from typing import Any

import psycopg2
from psycopg2 import sql

from ..config import scrub
from ..errors import ConfigError, DatabaseConnectionError, ProcoreIngestError
from ..logs import logger
from .generate import Row, generate_rows
from .schema import Column, load_schema, read_sql
from .spec import DEFAULT_SPEC, DemoSpec

# --- loading --------------------------------------------------------------------------------

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _encoder(kind: str) -> Callable[[Any], str]:
    """Value -> COPY text-format field for a column kind (NULL handled by the caller)."""
    if kind == "bool":
        return lambda v: "t" if v else "f"
    if kind in ("ts", "tstz"):  # naive values for timestamp(3), aware ones for timestamptz
        return lambda v: v.isoformat(sep=" ", timespec="milliseconds")
    if kind == "json":
        return lambda v: json.dumps(v, ensure_ascii=False).translate(_ESCAPES)
    if kind == "int[]":
        return lambda v: "{" + ",".join(str(x) for x in v) + "}"
    if kind == "text":
        return lambda v: str(v).translate(_ESCAPES)
    return str  # int, num, float, date


def _copy_table(cur: Any, table: str, cols: list[Column], rows: list[Row]) -> None:
    encoders = [(c.name, _encoder(c.kind)) for c in cols]
    buf = io.StringIO()
    for row in rows:
        buf.write("\t".join("\\N" if row[name] is None else enc(row[name]) for name, enc in encoders))
        buf.write("\n")
    buf.seek(0)
    stmt = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(c.name) for c in cols)
    )
    cur.copy_expert(stmt.as_string(cur), buf)


def connect(url: str) -> Any:
    try:
        return psycopg2.connect(url, application_name="procore-ingest-demo", connect_timeout=10)
    except psycopg2.OperationalError as exc:
        raise DatabaseConnectionError(f"cannot connect to the demo database: {one_line(exc, url)}") from None


def one_line(exc: BaseException, *secrets: str) -> str:
    return scrub(" ".join(str(exc).split()), *secrets) or type(exc).__name__


def build_demo_database(database_url: str, spec: DemoSpec = DEFAULT_SPEC) -> dict[str, int]:
    """Create the schema (+ FKs if spec.foreign_keys) and load data into the (empty) database at
    database_url; returns rows per table.

    Everything runs in one transaction, so a failure leaves the database empty. Foreign keys
    are added after the data (faster, and it proves the data satisfies them); ANALYZE runs last.
    """
    started = time.monotonic()
    rows = generate_rows(spec)
    schema = load_schema()
    conn = connect(database_url)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm')"
            )
            if cur.fetchone()[0]:
                raise ConfigError("the target database is not empty (schema public has tables); the demo needs an empty database")
            cur.execute(read_sql("schema.sql"))
            for table, table_rows in rows.items():
                _copy_table(cur, table, schema[table], table_rows)
            cur.execute("SELECT setval(pg_get_serial_sequence('api_credentials', 'id'), (SELECT max(id) FROM api_credentials))")
            if spec.foreign_keys:
                cur.execute(read_sql("foreign_keys.sql"))
        conn.commit()
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("ANALYZE")
    except psycopg2.Error as exc:  # closing without COMMIT rolls everything back
        raise ProcoreIngestError(f"building the demo database failed: {one_line(exc, database_url)}") from None
    finally:
        conn.close()
    counts = {t: len(r) for t, r in sorted(rows.items())}
    logger.info("demo database built: %d rows in %d tables in %.1fs", sum(counts.values()), len(counts), time.monotonic() - started)
    return counts
