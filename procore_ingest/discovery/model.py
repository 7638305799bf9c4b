"""The schema map: typed, printable, JSON-serialisable description of a database.

`SchemaMap.to_dict()` keeps the contract's keys (spec section 1) and adds fields beside them;
nothing the contract names is renamed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from .sensitive import is_secret_column

TableKind = Literal[
    "table", "partitioned_table", "partition", "view", "materialized_view", "foreign_table"
]
RelationshipKind = Literal["foreign_key", "inferred"]
ReferenceType = Literal[
    "s3_key",  # bare key relative to a bucket: a/b/c/file.ext
    "s3_uri",  # s3://bucket/key
    "s3_url",  # https://bucket.s3.region.amazonaws.com/key or path style
    "url",  # any other http(s) URL (e.g. Procore signed storage URLs)
    "jsonb_s3_key_map",  # {"file_id": "a/b/c/file.pdf", ...}
    "jsonb_s3_key_array",  # ["a/b/c/file.pdf", ...]
    "jsonb_url_map",
    "jsonb_url_array",
    "text_array_s3_keys",  # text[] of keys
    "text_array_urls",
]


@dataclass
class ColumnStats:
    null_fraction: float | None = None
    distinct_estimate: float | None = None  # pg_stats n_distinct: >0 count, <0 fraction of rows
    min_value: str | None = None
    max_value: str | None = None
    source: str = "pg_stats"  # or "computed" when pg_stats had nothing


@dataclass
class Column:
    name: str
    data_type: str  # as PostgreSQL spells it: format_type(), e.g. "numeric(15,2)", "bigint[]"
    is_nullable: bool
    default_value: str | None
    ordinal_position: int
    base_type: str | None = None  # domains resolved to their base; enums -> "enum"
    enum_values: list[str] | None = None
    is_array: bool = False
    element_type: str | None = None  # for arrays, the element's type (domains resolved)
    is_generated: bool = False
    # pg_type.typcategory of the (base) type: N numeric, S string, D date/time, B boolean,
    # E enum, A array, U user-defined (json, jsonb, tsvector...), I network, T interval.
    type_category: str | None = None
    stats: ColumnStats | None = None

    @property
    def effective_type(self) -> str:
        """The type that decides rendering: the base type of a domain, else data_type."""
        return self.base_type or self.data_type


@dataclass
class TimestampColumn:
    name: str
    data_type: str
    is_change_tracking: bool  # name says the row was modified/synced at this time
    indexed: bool  # a btree index has this column as its first key column


@dataclass
class FileReferenceColumn:
    column_name: str
    reference_type: ReferenceType
    data_type: str
    detected_by: str  # "name+values" or "values"
    pattern: str  # what the sampled values look like, e.g. "{n}/{n}/{word}/{n}/{file}"
    example: str | None  # one sampled value, truncated
    rows_with_references: int  # non-null, non-empty values
    reference_count: int  # references in those rows (map entries summed)
    counted_exactly: bool = True


@dataclass
class Relationship:
    source_schema: str
    source_table: str
    source_columns: list[str]
    target_schema: str
    target_table: str
    target_columns: list[str]
    kind: RelationshipKind
    constraint_name: str | None = None
    on_delete: str | None = None
    confidence: float | None = None  # inferred only: matched / sampled distinct values
    sampled_values: int | None = None
    matched_values: int | None = None
    cardinality: str = "many_to_one"

    @property
    def source_column(self) -> str:
        return ",".join(self.source_columns)

    @property
    def target_column(self) -> str:
        return ",".join(self.target_columns)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "source_table": self.source_table,
            "source_column": self.source_column,
            "target_table": self.target_table,
            "target_column": self.target_column,
        }
        out.update(asdict(self))
        return out


def _quoted_if_dotted(part: str) -> str:
    return '"' + part.replace('"', '""') + '"' if "." in part or part.startswith('"') else part


def qualify(schema: str, name: str) -> str:
    """A table's name as reports, state and `source_table` show it: `name` in schema public,
    else `schema.name`; a part containing `.` (or starting with `"`) is double-quoted as in SQL,
    so public table `a.b` (`"a.b"`) and table `b` of schema `a` (`a.b`) stay apart. Ordinary
    names are unchanged."""
    table = _quoted_if_dotted(name)
    return table if schema == "public" else f"{_quoted_if_dotted(schema)}.{table}"


@dataclass
class Table:
    schema: str
    name: str
    kind: TableKind
    row_count: int | None
    row_count_exact: bool
    columns: list[Column]
    primary_key: list[str] = field(default_factory=list)
    unique_constraints: list[list[str]] = field(default_factory=list)
    timestamp_columns: list[TimestampColumn] = field(default_factory=list)
    file_reference_columns: list[FileReferenceColumn] = field(default_factory=list)
    partitions: list[str] = field(default_factory=list)  # for partitioned tables
    partition_of: str | None = None
    comment: str | None = None
    readable: bool = True
    read_error: str | None = None
    samples: list[dict[str, Any]] | None = None

    @property
    def qualified_name(self) -> str:
        """`name` in schema public, else `schema.name`: unique across the database (see
        `qualify`: a part holding a `.` is double-quoted, so public `"a.b"` is not `a.b`)."""
        return qualify(self.schema, self.name)

    @property
    def change_tracking_columns(self) -> list[TimestampColumn]:
        return [t for t in self.timestamp_columns if t.is_change_tracking]

    @property
    def withheld_columns(self) -> list[str]:
        """Columns whose name looks secret (`sensitive.is_secret_column`): never sampled, and
        never fed unless opted back in."""
        return [c.name for c in self.columns if is_secret_column(c.name)]

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "schema": self.schema,
            "qualified_name": self.qualified_name,
            "kind": self.kind,
            "row_count": self.row_count,
            "row_count_exact": self.row_count_exact,
            "columns": [asdict(c) for c in self.columns],
            "withheld_columns": self.withheld_columns,
            "primary_key": self.primary_key,
            "unique_constraints": self.unique_constraints,
            "timestamp_columns": [t.name for t in self.timestamp_columns],
            "change_tracking_columns": [asdict(t) for t in self.change_tracking_columns],
            "file_reference_columns": [asdict(f) for f in self.file_reference_columns],
            "partitions": self.partitions,
            "partition_of": self.partition_of,
            "comment": self.comment,
            "readable": self.readable,
            "read_error": self.read_error,
            **({"samples": self.samples} if self.samples is not None else {}),
        }


@dataclass
class SchemaInfo:
    name: str
    tables: list[Table]


@dataclass
class FileReferencesSummary:
    total_columns: int
    tables_with_files: int
    estimated_file_count: int  # real non-null references counted, map entries summed


@dataclass
class SchemaMap:
    discovery_timestamp: str
    database_name: str
    database_host: str
    server_version: str
    schemas: list[SchemaInfo]
    relationships: list[Relationship]
    file_references_summary: FileReferencesSummary
    warnings: list[str] = field(default_factory=list)

    @property
    def tables(self) -> list[Table]:
        """Every table, view and partition, in schema then name order."""
        return [t for s in self.schemas for t in s.tables]

    def table(self, name: str) -> Table:
        """Look up by qualified name (`photos`, `cd.members`)."""
        for t in self.tables:
            if t.qualified_name == name:
                return t
        raise KeyError(name)

    def outgoing(self, table: Table) -> list[Relationship]:
        return [
            r for r in self.relationships
            if (r.source_schema, r.source_table) == (table.schema, table.name)
        ]

    def incoming(self, table: Table) -> list[Relationship]:
        return [
            r for r in self.relationships
            if (r.target_schema, r.target_table) == (table.schema, table.name)
        ]

    def to_json(self) -> str:
        from .report import to_json

        return to_json(self)

    def to_markdown(self) -> str:
        from .report import to_markdown

        return to_markdown(self)

    def to_dict(self) -> dict[str, Any]:
        return {
            "discovery_timestamp": self.discovery_timestamp,
            "database_name": self.database_name,
            "database_host": self.database_host,
            "server_version": self.server_version,
            "schemas": [
                {"name": s.name, "tables": [t.to_dict() for t in s.tables]} for s in self.schemas
            ],
            "relationships": [r.to_dict() for r in self.relationships],
            "file_references_summary": asdict(self.file_references_summary),
            "warnings": self.warnings,
        }
