"""Render a SchemaMap as the contract's JSON or as a Markdown report a person reads."""

from __future__ import annotations

import json
from typing import Any

from .model import SchemaMap, Table
from .naming import table_namings


def to_json(schema: SchemaMap, indent: int = 2) -> str:
    """The contract's JSON, plus `naming`: per table, the display name, naming columns and
    context links its documents will have with default settings (discovery/naming.py)."""
    data = schema.to_dict()
    data["naming"] = {name: naming.describe() for name, naming in table_namings(schema).items()}
    return json.dumps(data, indent=indent, ensure_ascii=False, default=str) + "\n"


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _rows(headers: list[str], rows: list[list[Any]]) -> list[str]:
    if not rows:
        return ["_none_"]
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return out


def _count(table: Table) -> str:
    if table.row_count is None:
        return "n/a"
    return f"{table.row_count:,}" + ("" if table.row_count_exact else " (est.)")


def to_markdown(schema: SchemaMap) -> str:
    tables = schema.tables
    base = [t for t in tables if t.kind in ("table", "partitioned_table")]
    summary = schema.file_references_summary
    lines = [
        f"# Schema report: {schema.database_name}",
        "",
        f"- Host: `{schema.database_host}` (PostgreSQL {schema.server_version})",
        f"- Discovered: {schema.discovery_timestamp}",
        f"- Schemas: {', '.join(s.name for s in schema.schemas)}",
        f"- Tables: {len(base)} (+ {sum(t.kind == 'partition' for t in tables)} partitions, "
        f"{sum(t.kind == 'view' for t in tables)} views, "
        f"{sum(t.kind == 'materialized_view' for t in tables)} materialized views)",
        f"- Rows: {sum(t.row_count or 0 for t in tables if t.kind != 'partition' and t.kind != 'view'):,}",
        f"- Relationships: {sum(r.kind == 'foreign_key' for r in schema.relationships)} foreign keys, "
        f"{sum(r.kind == 'inferred' for r in schema.relationships)} inferred",
        f"- File references: {summary.total_columns} columns in {summary.tables_with_files} tables, "
        f"{summary.estimated_file_count:,} references",
        "",
    ]
    if schema.warnings:
        lines += ["## Warnings", ""] + [f"- {w}" for w in schema.warnings] + [""]

    lines += ["## Tables", ""]
    lines += _rows(
        ["table", "kind", "rows", "primary key", "change tracking", "file columns"],
        [[t.qualified_name, t.kind, _count(t), ", ".join(t.primary_key) or "—",
          ", ".join(c.name + ("" if c.indexed else " (no index)") for c in t.change_tracking_columns) or "—",
          len(t.file_reference_columns)] for t in tables if t.kind != "partition"],
    )
    lines.append("")

    no_pk = [t.qualified_name for t in base if not t.primary_key]
    no_ct = [t.qualified_name for t in base if not t.change_tracking_columns]
    lines += ["## Gaps for ingestion and sync", ""]
    lines.append(f"- Without a primary key: {', '.join(no_pk) or 'none'}")
    lines.append(f"- Without a change-tracking timestamp column: {', '.join(no_ct) or 'none'}")
    lines.append("")

    lines += ["## Relationships", ""]
    lines += _rows(
        ["source", "target", "kind", "confidence", "cardinality"],
        [[f"{r.source_table}.{r.source_column}", f"{r.target_table}.{r.target_column}", r.kind,
          "" if r.confidence is None else f"{r.confidence:.0%} of {r.sampled_values}",
          r.cardinality] for r in schema.relationships],
    )
    lines.append("")

    namings = table_namings(schema)
    lines += ["## Names in search text", "",
              "What each table's documents say they are, what names a row, and which linked rows' "
              "names their search text shows (defaults; overridable per table).", ""]
    lines += _rows(
        ["table", "display name", "naming columns", "context links"],
        [[t.qualified_name, namings[t.qualified_name].display_name,
          ", ".join(namings[t.qualified_name].name_columns) or "—",
          "; ".join(link.describe() for link in namings[t.qualified_name].context_links) or "—"]
         for t in tables if t.kind != "partition"],
    )
    lines.append("")

    lines += ["## File references", ""]
    lines += _rows(
        ["table.column", "type", "rows", "references", "pattern", "detected by"],
        [[f"{t.qualified_name}.{f.column_name}", f.reference_type, f"{f.rows_with_references:,}",
          f"{f.reference_count:,}", f"`{f.pattern}`", f.detected_by]
         for t in tables for f in t.file_reference_columns],
    )
    lines.append("")

    for table in tables:
        if table.kind == "partition":
            continue
        lines += [f"## `{table.qualified_name}` ({table.kind}, {_count(table)} rows)", ""]
        if table.comment:
            lines += [table.comment, ""]
        if table.partitions:
            lines += [f"Partitions: {', '.join(table.partitions)}", ""]
        if table.read_error:
            lines += [f"**Not read:** {table.read_error}", ""]
        if table.unique_constraints:
            lines += ["Unique: " + "; ".join("(" + ", ".join(u) + ")" for u in table.unique_constraints), ""]
        lines += _rows(
            ["#", "column", "type", "null", "default", "nulls", "min", "max"],
            [[c.ordinal_position,
              c.name + (" 🔑" if c.name in table.primary_key else ""),
              c.data_type + (f" → {c.base_type}" if c.base_type and c.base_type != "enum" else ""),
              "yes" if c.is_nullable else "no", c.default_value,
              "" if not c.stats or c.stats.null_fraction is None else f"{c.stats.null_fraction:.0%}",
              c.stats.min_value if c.stats else "", c.stats.max_value if c.stats else ""]
             for c in table.columns],
        )
        lines.append("")
    return "\n".join(lines)
