"""The plan of each table: which tables, which key, which columns are withheld, where the
file references and relationships are. Plans are data: print them before anything runs.

A plan is frozen and made whole by `build_plans` (the id key included): whatever is derived
from it (documents/record.py's `RowBuilder`) can be worked out once and never goes stale."""

from __future__ import annotations

import dataclasses
import difflib
import fnmatch
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .discovery.model import FileReferenceColumn, Relationship, SchemaMap, Table
from .discovery.naming import (
    DEFAULT_CONTEXT_DEPTH,
    ContextLink,
    TableNaming,
    display_name,
    table_namings,
)
from .discovery.sensitive import is_secret_column, secret_key
from .errors import UnknownTableError
from .settings import TableSettings

# Read by default. Views and materialized views hold derived copies of other rows: they are
# ingested only when named explicitly (not through a glob).
DEFAULT_KINDS = ("table", "partitioned_table", "foreign_table")

# The shape of the documents a plan gives (documents/record.py, content.py, context.py); part of
# every table's documents fingerprint (source/changes.py), so that after an upgrade that changes
# it, sync feeds every document again instead of leaving the old shape in the index.
# 1: `column: value` lines in content_text; 2: value lines, a kind line naming the table too;
# 3: the kind line written twice, the row's number cited with its kind (`RFI 19`).
DOCUMENT_FORMAT = 3


@dataclass(frozen=True)
class TablePlan:
    table: Table
    key_columns: tuple[str, ...]  # the primary key; empty: ids derived from row content
    withheld_columns: tuple[str, ...]  # secret-looking columns never fed
    file_columns: tuple[FileReferenceColumn, ...]
    outgoing: tuple[Relationship, ...]
    incoming: tuple[Relationship, ...]
    change_columns: tuple[str, ...] = ()  # change-tracking timestamps
    soft_delete_column: str | None = None  # rows with it set are kept out of the index
    # the deployment's id key (state.load_id_key), for tables whose key looks secret and
    # relationships into them: ids hold an HMAC of the key, never the value; never printed
    id_key: bytes = field(default=b"", repr=False, compare=False)
    # the zone naive timestamps were written in (config.naive_timezone): epoch fields, clocks
    naive_timezone: str = field(default="UTC", compare=False)
    # what the rows are called and which linked rows' names their search text shows
    # (discovery/naming.py); None: the display name alone, no context
    naming: TableNaming | None = None

    @property
    def display_name(self) -> str:
        return self.naming.display_name if self.naming else display_name(self.table)

    @property
    def context_links(self) -> tuple[ContextLink, ...]:
        return self.naming.context_links if self.naming else ()

    @property
    def key_is_secret(self) -> bool:
        """A key column looks secret: key values are never written to ids or state files
        (a resume re-reads the table, a pending row re-reads it in full)."""
        return secret_key(self.key_columns)

    def is_soft_deleted(self, row: Mapping[str, Any]) -> bool:
        return self.soft_delete_column is not None and row.get(self.soft_delete_column) is not None

    @property
    def name(self) -> str:
        return self.table.qualified_name

    @property
    def has_key(self) -> bool:
        return bool(self.key_columns)

    def describe(self) -> dict:
        return {
            "table": self.name,
            "kind": self.table.kind,
            "rows": self.table.row_count,
            "key": list(self.key_columns) or "(none: content hash)",
            "withheld": list(self.withheld_columns),
            "file_columns": [f.column_name for f in self.file_columns],
            "change_columns": list(self.change_columns),
            "soft_delete_column": self.soft_delete_column,
            "outgoing": len(self.outgoing),
            "incoming": len(self.incoming),
            "display_name": self.display_name,
            "name_columns": list(self.naming.name_columns) if self.naming else [],
            "context_links": [link.describe() for link in self.context_links],
        }


def _matches(pattern: str, table: Table) -> bool:
    names = {table.qualified_name, f"{table.schema}.{table.name}"}
    return any(fnmatch.fnmatchcase(n, pattern) for n in names)


def select_tables(schema: SchemaMap, include: list[str] | None, exclude: list[str] | None) -> list[Table]:
    """Tables to ingest. Names and shell globs (`webhook_*`) are checked against the catalog:
    a pattern that matches nothing raises UnknownTableError naming close matches.

    Without `include`, every base table (not views, not partitions: a partitioned parent
    reads its partitions' rows). Views are taken only when named explicitly.
    """
    all_tables = [t for t in schema.tables if t.kind != "partition" or include]
    _check_patterns(include or [], all_tables)
    _check_patterns(exclude or [], all_tables)
    if include:
        chosen = [t for t in all_tables if any(_matches(p, t) for p in include)]
        # a view only when named, not when a glob happens to match it
        chosen = [t for t in chosen if t.kind in DEFAULT_KINDS or t.qualified_name in include
                  or f"{t.schema}.{t.name}" in include]
    else:
        chosen = [t for t in all_tables if t.kind in DEFAULT_KINDS]
    return [t for t in chosen if not any(_matches(p, t) for p in exclude or [])]


def _check_patterns(patterns: list[str], tables: list[Table]) -> None:
    names = sorted({t.qualified_name for t in tables})
    for pattern in patterns:
        if not any(_matches(pattern, t) for t in tables):
            close = difflib.get_close_matches(pattern, names, n=3, cutoff=0.6)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise UnknownTableError(f"unknown table {pattern!r}{hint}")


SOFT_DELETE_COLUMNS = ("deleted_at",)


def plan_table(schema: SchemaMap, table: Table, allow_columns: list[str] | None = None,
               keep_soft_deleted: bool = False, id_key: bytes = b"", naive_timezone: str = "UTC",
               naming: TableNaming | None = None) -> TablePlan:
    withheld = withheld_columns(table, set(allow_columns or []))
    return TablePlan(
        table=table,
        key_columns=tuple(table.primary_key),
        withheld_columns=withheld,
        file_columns=tuple(f for f in table.file_reference_columns if f.column_name not in withheld),
        outgoing=tuple(schema.outgoing(table)),
        incoming=tuple(schema.incoming(table)),
        change_columns=tuple(c.name for c in table.change_tracking_columns),
        soft_delete_column=None if keep_soft_deleted else next(
            (c.name for c in table.columns if c.name in SOFT_DELETE_COLUMNS), None),
        id_key=id_key,
        naive_timezone=naive_timezone,
        naming=naming,
    )


def withheld_columns(table: Table, allowed: set[str]) -> tuple[str, ...]:
    """Secret-looking columns of `table` not allowed by `--allow-column`."""
    return tuple(c.name for c in table.columns
                 if is_secret_column(c.name) and c.name not in allowed
                 and f"{table.qualified_name}.{c.name}" not in allowed)


def build_plans(schema: SchemaMap, include: list[str] | None = None, exclude: list[str] | None = None,
                allow_columns: list[str] | None = None, keep_soft_deleted: bool = False,
                id_key: Callable[[], bytes] | None = None, naive_timezone: str = "UTC",
                table_settings: Mapping[str, TableSettings] | None = None,
                context_depth: int = DEFAULT_CONTEXT_DEPTH) -> list[TablePlan]:
    """A plan for each table in scope. `id_key` (e.g. `state.load_id_key` of the state
    directory) is called when any table is planned: ids of tables whose key (or a
    relationship's target key) looks secret hold an HMAC under it, and every table's row
    digests in the sync state are keyed with a secret derived from it (source.changes.
    keyed_digest). `naive_timezone`: the zone naive timestamps are written in.
    `table_settings`: per-table overrides of the display name, naming, content columns and
    context links, `context_depth` the links followed (`discovery.naming.table_namings`); a
    table whose settings say `exclude` is left out as if `exclude` named it."""
    excluded = {name for name, settings in (table_settings or {}).items() if settings.exclude}
    tables = [t for t in select_tables(schema, include, exclude) if t.qualified_name not in excluded]
    allowed = set(allow_columns or [])
    withheld = {t.qualified_name: withheld_columns(t, allowed) for t in schema.tables}
    namings = table_namings(schema, tables, table_settings, context_depth, withheld)
    plans = [plan_table(schema, t, allow_columns, keep_soft_deleted, naive_timezone=naive_timezone,
                        naming=namings[t.qualified_name])
             for t in tables]
    if id_key is not None and plans:
        key = id_key()
        plans = [dataclasses.replace(p, id_key=key) for p in plans]
    return plans
