"""What is in each table: row counts, column statistics, timestamp columns, file-reference
columns and sample rows. One or two queries per table; identifiers always quoted."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from psycopg2 import sql

from .catalog import CatalogTable
from .filerefs import classify_value, shape_of
from .model import Column, ColumnStats, FileReferenceColumn, Table, TimestampColumn
from .sensitive import REDACTED, is_secret_column, withhold_in_text, withhold_secrets


@dataclass
class ProfileOptions:
    include_stats: bool = True
    include_samples: bool = False
    exact_count_threshold: int = 500_000  # planner estimate above this: report the estimate
    file_sample_rows: int = 500
    sample_rows: int = 5
    # Exact reference counts read every row of every file column's table (the report shows
    # them); ingestion and sync, which only need to know the columns, scale up the sample.
    count_references: bool = True


# Names that say "this row was modified / re-synced at this time".
CHANGE_TRACKING_NAME = re.compile(
    r"^(updated|modified|changed|synced|last_synced|last_modified|last_updated|last_changed"
    r"|last_update|last_modified_date|date_modified|date_updated|mtime|row_version_at)"
    r"(_at|_on|_time|_ts|_date|_timestamp)?$",
    re.I,
)
# Names that suggest a file reference; values must confirm it, except in empty columns.
FILE_NAME_HINT = re.compile(r"(^|_)(s3|url|urls|uri|file|files|attachments?|path|key|keys)(_|$)", re.I)
_ORDERABLE = {"N", "S", "D", "E", "T", "I"}


def _has_bounds(col: Column) -> bool:
    """min/max are reported for orderable columns, never for secret ones (they are values)."""
    return col.type_category in _ORDERABLE and not col.is_array and not is_secret_column(col.name)
_TEXT_LIMIT = 2048  # longer values are never file references; don't ship them to the client


def timestamp_columns(table: Table, indexed_leading: set[str]) -> list[TimestampColumn]:
    """Every date/time column; change-tracking ones recognised by name and timestamp type."""
    out = []
    for col in table.columns:
        if col.type_category != "D" or col.is_array:
            continue
        is_timestamp = col.effective_type.startswith("timestamp")
        out.append(
            TimestampColumn(
                name=col.name,
                data_type=col.data_type,
                is_change_tracking=is_timestamp and bool(CHANGE_TRACKING_NAME.match(col.name)),
                indexed=col.name in indexed_leading,
            )
        )
    return out


def _ident(table: Table) -> sql.Composed:
    return sql.Identifier(table.schema, table.name)


def wants_exact_count(ct: CatalogTable, options: ProfileOptions) -> bool:
    if ct.table.kind in ("view", "foreign_table") or not ct.populated:
        return False
    if not options.include_stats:
        return ct.estimated_rows < 0  # never analysed: the estimate means nothing
    if ct.estimated_rows < 0:
        return ct.size_bytes < 256 * 1024 * 1024 or ct.table.kind == "partitioned_table"
    return ct.estimated_rows <= options.exact_count_threshold


def count_and_stats(cur, ct: CatalogTable, options: ProfileOptions) -> None:
    """Exact row count and, with include_stats, null fraction and min/max in one scan."""
    table = ct.table
    if not wants_exact_count(ct, options):
        table.row_count = None if table.kind == "view" else max(int(ct.estimated_rows), 0)
        table.row_count_exact = False
        return
    stat_cols = [c for c in table.columns if options.include_stats]
    exprs: list[sql.Composable] = [sql.SQL("count(*)")]
    for col in stat_cols:
        ident = sql.Identifier(col.name)
        exprs.append(sql.SQL("count({})").format(ident))
        if _has_bounds(col):
            # left(): min/max of long text would ship whole descriptions to the client
            exprs.append(sql.SQL("left(min({0})::text, 100), left(max({0})::text, 100)").format(ident))
    query = sql.SQL("SELECT {} FROM {}").format(sql.SQL(", ").join(exprs), _ident(table))
    cur.execute(query)
    values = list(cur.fetchone())
    total = int(values.pop(0))
    table.row_count, table.row_count_exact = total, True
    for col in stat_cols:
        non_null = int(values.pop(0))
        stats = ColumnStats(null_fraction=(1 - non_null / total) if total else None, source="computed")
        if _has_bounds(col):
            stats.min_value, stats.max_value = _bound(values.pop(0)), _bound(values.pop(0))
        col.stats = stats


def _bound(value: str | None) -> str | None:
    """A min/max shown in the report, with secrets inside the text withheld (sensitive.py)."""
    return withhold_in_text(value) if isinstance(value, str) else value


PG_STATS_SQL = """
SELECT schemaname, tablename, attname, null_frac, n_distinct,
       (histogram_bounds::text::text[])[1],
       (histogram_bounds::text::text[])[array_length(histogram_bounds::text::text[], 1)]
FROM pg_stats WHERE schemaname = ANY(%s)
"""


def merge_pg_stats(cur, tables: list[Table], schemas: list[str]) -> None:
    """Distinct estimates from pg_stats for every table; null fraction and bounds too where
    no exact scan was made (large tables)."""
    if not tables:
        return
    cur.execute(PG_STATS_SQL, (schemas,))
    by_key = {(r[0], r[1], r[2]): r[3:] for r in cur.fetchall()}
    for table in tables:
        for col in table.columns:
            found = by_key.get((table.schema, table.name, col.name))
            if not found:
                continue
            null_frac, n_distinct, low, high = found
            if not _has_bounds(col):
                low = high = None
            if col.stats is None:
                col.stats = ColumnStats(null_fraction=null_frac, min_value=_bound(low), max_value=_bound(high))
            col.stats.distinct_estimate = n_distinct


def _file_candidates(table: Table) -> list[Column]:
    out = []
    for col in table.columns:
        if is_secret_column(col.name):
            continue
        textual = col.type_category == "S" or col.effective_type in ("json", "jsonb")
        text_array = col.is_array and (col.element_type or "").split("(")[0] in (
            "text", "character varying", "character")
        if textual or text_array:
            out.append(col)
    return out


def _sample_expr(col: Column) -> sql.Composable:
    ident = sql.Identifier(col.name)
    if col.type_category == "S" and not col.is_array:
        return sql.SQL("left({}::text, {})").format(ident, sql.Literal(_TEXT_LIMIT + 1))
    return ident


def detect_file_references(cur, table: Table, options: ProfileOptions) -> None:
    """Classify sampled values of text / JSON / text[] columns; count references exactly."""
    candidates = _file_candidates(table)
    if not candidates:
        return
    query = sql.SQL("SELECT {} FROM {} LIMIT {}").format(
        sql.SQL(", ").join(_sample_expr(c) for c in candidates),
        _ident(table),
        sql.Literal(options.file_sample_rows),
    )
    cur.execute(query)
    rows = cur.fetchall()
    found: list[tuple[Column, str, str, str | None]] = []
    sampled: list[tuple[int, int]] = []  # (rows with references, references) in the sample
    for i, col in enumerate(candidates):
        is_json = col.effective_type in ("json", "jsonb")
        values = [r[i] for r in rows if r[i] not in (None, "", {}, [])]
        kinds = [classify_value(v, is_json=is_json) for v in values]
        hits = [k for k in kinds if k]
        name_hint = bool(FILE_NAME_HINT.search(col.name))
        if hits and (len(hits) * 2 >= len(kinds) or (name_hint and len(hits) * 5 >= len(kinds))):
            kind = Counter(hits).most_common(1)[0][0]
            example = next(v for v, k in zip(values, kinds, strict=True) if k == kind)
            found.append((col, kind, "name+values" if name_hint else "values", _example(example)))
            sampled.append((len(hits), sum(_members(v) for v, k in zip(values, kinds, strict=True) if k)))
        elif not values and re.search(r"(^|_)s3_keys?$|^s3_|(^|_)url$", col.name, re.I):
            # Empty column whose name is unambiguous: keep it so future rows are handled.
            kind = _kind_from_name(col)
            found.append((col, kind, "name", None))
            sampled.append((0, 0))
    if not found:
        return
    if options.count_references or not rows:
        counts = _count_references(cur, table, [(c, k) for c, k, _, _ in found])
    else:  # the sample scaled to the table's row count (exact when the sample is the table)
        scale = max(table.row_count or 0, len(rows)) / len(rows)
        counts = [(round(with_refs * scale), round(refs * scale)) for with_refs, refs in sampled]
    for (col, kind, detected_by, example), (rows_with, refs) in zip(found, counts, strict=True):
        table.file_reference_columns.append(
            FileReferenceColumn(
                column_name=col.name,
                reference_type=kind,  # type: ignore[arg-type]
                data_type=col.data_type,
                detected_by=detected_by,
                pattern=_pattern(example, kind),
                example=example,
                rows_with_references=rows_with,
                reference_count=refs,
            )
        )


def _members(value: Any) -> int:
    """How many references a sampled value holds, at most (map entries, array members)."""
    return len(value) if isinstance(value, (dict, list)) else 1


def _kind_from_name(col: Column) -> str:
    if col.effective_type in ("json", "jsonb"):
        return "jsonb_s3_key_map"
    if col.is_array:
        return "text_array_s3_keys"
    return "url" if col.name.lower().endswith("url") else "s3_key"


def _example(value: Any, limit: int = 160) -> str:
    value = withhold_secrets(value)  # a presigned URL's signature, a secret key in JSON
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _pattern(example: str | None, kind: str) -> str:
    if example is None:
        return kind
    try:
        value = json.loads(example) if kind.startswith("jsonb") else example
    except ValueError:
        value = example
    if isinstance(value, dict):
        member = next((v for v in value.values() if isinstance(v, str) and v), "")
        return "{file_id: " + shape_of(member) + "}"
    if isinstance(value, list):
        member = next((v for v in value if isinstance(v, str) and v), "")
        return "[" + shape_of(member) + "]"
    return shape_of(str(value))


def _reference_count_expr(col: Column, kind: str) -> sql.Composable:
    ident = sql.Identifier(col.name)
    if kind.startswith("jsonb_") and kind.endswith("_map"):
        return sql.SQL(
            "coalesce(sum((SELECT count(*) FROM jsonb_each({0}::jsonb) e"
            " WHERE jsonb_typeof({0}::jsonb) = 'object' AND e.value NOT IN ('null', '\"\"'))), 0)"
        ).format(ident)
    if kind.startswith("jsonb_"):
        return sql.SQL(
            "coalesce(sum(CASE WHEN jsonb_typeof({0}::jsonb) = 'array' THEN"
            " (SELECT count(*) FROM jsonb_array_elements_text({0}::jsonb) e WHERE e <> '')"
            " WHEN jsonb_typeof({0}::jsonb) = 'string' AND {0}::jsonb #>> '{{}}' <> '' THEN 1"
            " ELSE 0 END), 0)"
        ).format(ident)
    if col.is_array:
        return sql.SQL("coalesce(sum(cardinality(array_remove(array_remove({0}, NULL), ''))), 0)").format(ident)
    return sql.SQL("count(NULLIF({0}, ''))").format(ident)


def _rows_with_expr(col: Column, kind: str) -> sql.Composable:
    ident = sql.Identifier(col.name)
    if kind.startswith("jsonb_"):
        return sql.SQL("count(*) FILTER (WHERE {0} IS NOT NULL AND {0}::text NOT IN ('{{}}', '[]', 'null', '\"\"'))").format(ident)
    if col.is_array:
        return sql.SQL("count(*) FILTER (WHERE cardinality({0}) > 0)").format(ident)
    return sql.SQL("count(NULLIF({0}, ''))").format(ident)


def _count_references(cur, table: Table, found: list[tuple[Column, str]]) -> list[tuple[int, int]]:
    exprs = []
    for col, kind in found:
        exprs += [_rows_with_expr(col, kind), _reference_count_expr(col, kind)]
    cur.execute(sql.SQL("SELECT {} FROM {}").format(sql.SQL(", ").join(exprs), _ident(table)))
    values = [int(v) for v in cur.fetchone()]
    return [(values[i], values[i + 1]) for i in range(0, len(values), 2)]


def sample_rows(cur, table: Table, options: ProfileOptions) -> list[dict[str, Any]]:
    """The first rows in primary-key order as JSON-ready dicts, secrets redacted."""
    order = (
        sql.SQL(" ORDER BY {}").format(sql.SQL(", ").join(sql.Identifier(c) for c in table.primary_key))
        if table.primary_key else sql.SQL("")
    )
    cur.execute(
        sql.SQL("SELECT to_jsonb(t) FROM {} AS t{} LIMIT {}").format(
            _ident(table), order, sql.Literal(options.sample_rows)
        )
    )
    binary = {c.name for c in table.columns if c.effective_type == "bytea"}
    samples = []
    for (row,) in cur.fetchall():
        clean: dict[str, Any] = {}
        for col in table.columns:  # catalog order, not jsonb's key order
            value = row.get(col.name)
            if value is not None and is_secret_column(col.name):
                value = REDACTED
            elif value is not None and col.name in binary:
                value = f"<bytea, {max(len(value) - 2, 0) // 2} bytes>"
            elif value is not None:  # secret keys inside JSON, bearer values, URL signatures
                value = withhold_secrets(value)
                if isinstance(value, str) and len(value) > 200:
                    value = value[:199] + "…"
            clean[col.name] = value
        samples.append(clean)
    return samples
