"""Schema discovery: map a database's tables, columns, keys, relationships, change-tracking
columns and file references.

    >>> from procore_ingest import discover
    >>> schema = discover("postgresql://reader@host/procore_int_v2")
    >>> schema.table("photos").file_reference_columns
"""

from __future__ import annotations

from datetime import datetime, timezone

import psycopg2

from .. import database as db
from ..logs import logger
from .catalog import read_catalog
from .model import (
    Column,
    ColumnStats,
    FileReferenceColumn,
    FileReferencesSummary,
    Relationship,
    SchemaInfo,
    SchemaMap,
    Table,
    TimestampColumn,
)
from .profile import (
    ProfileOptions,
    count_and_stats,
    detect_file_references,
    merge_pg_stats,
    sample_rows,
    timestamp_columns,
)
from .relationships import infer_relationships, set_formal_cardinality
from .report import to_json, to_markdown

__all__ = [
    "Column", "ColumnStats", "FileReferenceColumn", "FileReferencesSummary", "ProfileOptions",
    "Relationship", "SchemaInfo", "SchemaMap", "Table", "TimestampColumn", "discover",
    "discover_with_connection", "to_json", "to_markdown",
]


def discover(
    database_url: str,
    *,
    include_stats: bool = True,
    include_samples: bool = False,
    exact_count_threshold: int = 500_000,
) -> SchemaMap:
    """Connect read-only to `database_url` and map it.

    Tables the role may not read are kept in the map with `readable=False` and named in
    `warnings`; nothing is raised for them. Raises DatabaseConnectionError when the server
    cannot be reached or refuses the login.
    """
    options = ProfileOptions(
        include_stats=include_stats,
        include_samples=include_samples,
        exact_count_threshold=exact_count_threshold,
    )
    with db.session(database_url) as conn:
        conn.autocommit = True  # one read-only statement per transaction: a failed table
        return discover_with_connection(conn, host=db.describe(database_url).host, options=options)


def discover_with_connection(conn, *, host: str, options: ProfileOptions) -> SchemaMap:
    """`discover()` over an open (read-only) connection."""
    started = datetime.now(timezone.utc)
    with conn.cursor() as cur:
        cur.execute("SELECT current_database(), current_setting('server_version')")
        database_name, server_version = cur.fetchone()
    catalog = read_catalog(conn)
    warnings: list[str] = []
    by_name = {(ct.table.schema, ct.table.name): ct for ct in catalog.tables}
    for ct in catalog.tables:
        # A partitioned parent's own estimate is empty: its rows live in the partitions.
        if ct.table.kind == "partitioned_table" and ct.estimated_rows <= 0:
            parts = [by_name.get((ct.table.schema, p)) for p in ct.table.partitions]
            estimates = [p.estimated_rows for p in parts if p]
            if estimates and min(estimates) >= 0:
                ct.estimated_rows = sum(estimates)

    with conn.cursor() as cur:
        for ct in catalog.tables:
            table = ct.table
            table.timestamp_columns = timestamp_columns(table, ct.indexed_leading_columns)
            if not table.readable:
                continue
            if not ct.populated:
                table.read_error = "materialized view has not been populated"
                continue
            try:
                count_and_stats(cur, ct, options)
                if table.kind not in ("view", "partition", "foreign_table"):
                    detect_file_references(cur, table, options)
                if options.include_samples:
                    table.samples = sample_rows(cur, table, options)
            except psycopg2.Error as exc:
                message = db.first_line(exc)
                if db.is_permission_error(exc):
                    table.readable = False
                table.read_error = message
                logger.debug("reading %s failed: %s", table.qualified_name, message)
        if options.include_stats:
            merge_pg_stats(cur, [ct.table for ct in catalog.tables if ct.table.readable],
                           catalog.schemas)
        tables = [ct.table for ct in catalog.tables]
        set_formal_cardinality(catalog.foreign_keys, tables)
        inferred = infer_relationships(cur, tables, catalog.foreign_keys)

    unreadable = [t.qualified_name for t in tables if not t.readable]
    if unreadable:
        warnings.append("permission denied, not read: " + ", ".join(unreadable))
    failed = [f"{t.qualified_name} ({t.read_error})" for t in tables if t.readable and t.read_error]
    if failed:
        warnings.append("could not read: " + "; ".join(failed))
    no_pk = [t.qualified_name for t in tables if t.kind in ("table", "partitioned_table") and not t.primary_key]
    if no_pk:
        warnings.append("tables without a primary key (ids will be derived from row content): "
                        + ", ".join(no_pk))

    counted = [t for t in tables if t.kind != "partition"]
    file_columns = [f for t in counted for f in t.file_reference_columns]
    schemas = [
        SchemaInfo(name=s, tables=[t for t in tables if t.schema == s]) for s in catalog.schemas
    ]
    return SchemaMap(
        discovery_timestamp=started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        database_name=database_name,
        database_host=host,
        server_version=server_version,
        schemas=schemas,
        relationships=catalog.foreign_keys + inferred,
        file_references_summary=FileReferencesSummary(
            total_columns=len(file_columns),
            tables_with_files=sum(1 for t in counted if t.file_reference_columns),
            estimated_file_count=sum(f.reference_count for f in file_columns),
        ),
        warnings=warnings,
    )
