"""Render a SchemaMap as the contract's JSON or as a Markdown report a person reads."""

from __future__ import annotations

import json
import re
from typing import Any

from .model import Relationship, SchemaMap, Table, qualify

# The relationship diagram is drawn for people, and Mermaid refuses a diagram whose text is over
# 50,000 characters (its default maxTextSize): past these caps the diagram keeps the tables with
# the most links and a line says what was left out (the Relationships table lists every link).
DIAGRAM_MAX_TABLES = 150
DIAGRAM_MAX_LINKS = 400


def to_json(schema: SchemaMap, indent: int = 2) -> str:
    return json.dumps(schema.to_dict(), indent=indent, ensure_ascii=False, default=str) + "\n"


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


# Inside double quotes a Mermaid entity name may hold anything but `"`, `%`, `\\` and line
# breaks (erDiagram's grammar); those, and other control characters, are replaced.
_MERMAID_UNSAFE = re.compile(r'["%\\\x00-\x1f\x7f]')


def _mermaid_text(text: str) -> str:
    return _MERMAID_UNSAFE.sub(lambda m: "'" if m.group() == '"' else "_", text)


def _diagram_names(names: list[str]) -> dict[str, str]:
    """Each table's quoted Mermaid entity name, unique even where replacing unsafe characters
    made two names equal."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for name in names:
        label = base = _mermaid_text(name)
        n = 1
        while label in used:
            n += 1
            label = f"{base}~{n}"
        used.add(label)
        out[name] = f'"{label}"'
    return out


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _link_ends(r: Relationship) -> tuple[str, str]:
    return qualify(r.source_schema, r.source_table), qualify(r.target_schema, r.target_table)


def relationship_diagram(schema: SchemaMap) -> list[str]:
    """A Mermaid `erDiagram` of the tables and their links (GitHub, GitLab and most editors
    render it): formal foreign keys as solid lines, inferred links dotted and labelled
    "inferred". Every table is drawn up to `DIAGRAM_MAX_TABLES`; past it only tables with links,
    the most linked first; a line after the block says what was left out."""
    links = schema.relationships
    degree: dict[str, int] = {}
    for r in links:
        for end in set(_link_ends(r)):
            degree[end] = degree.get(end, 0) + 1
    others = [t.qualified_name for t in schema.tables
              if t.kind in ("table", "partitioned_table") and t.qualified_name not in degree]
    left_out = []
    if len(degree) + len(others) <= DIAGRAM_MAX_TABLES:
        drawn = sorted(degree) + others
    else:
        if others:
            left_out.append(f"{_plural(len(others), 'table')} without links")
        drawn = sorted(degree, key=lambda name: (-degree[name], name))[:DIAGRAM_MAX_TABLES]
        if len(degree) > len(drawn):
            left_out.append(f"{_plural(len(degree) - len(drawn), 'linked table')} with the fewest links "
                            f"(past the cap of {DIAGRAM_MAX_TABLES} tables)")
    if not drawn:
        return ["_none_"]
    names = _diagram_names(drawn)
    kept = [r for r in links if all(end in names for end in _link_ends(r))]
    if len(kept) < len(links):
        left_out.append(f"{_plural(len(links) - len(kept), 'link')} of tables left out")
    if len(kept) > DIAGRAM_MAX_LINKS:
        left_out.append(f"{_plural(len(kept) - DIAGRAM_MAX_LINKS, 'link')} past the cap of {DIAGRAM_MAX_LINKS}")
        kept = kept[:DIAGRAM_MAX_LINKS]
    lines = ["```mermaid", "erDiagram"]
    linked: set[str] = set()
    for r in kept:
        source, target = _link_ends(r)
        linked.update((source, target))
        # target (one) to source (zero or more, or zero or one); `..` is Mermaid's dotted line
        line = ".." if r.kind == "inferred" else "--"
        many = "o|" if r.cardinality == "one_to_one" else "o{"
        label = _mermaid_text(r.source_column + (" (inferred)" if r.kind == "inferred" else ""))
        lines.append(f'    {names[target]} ||{line}{many} {names[source]} : "{label}"')
    lines += [f"    {names[name]}" for name in drawn if name not in linked]
    lines.append("```")
    lines.append("")
    lines.append("Solid lines are foreign keys, dotted lines (labelled *inferred*) are links inferred "
                 "from `*_id` columns.")
    if left_out:
        lines.append(f"Left out of the diagram: {'; '.join(left_out)}. "
                     "The Relationships table below lists every link.")
    return lines


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

    lines += ["## Relationship diagram", ""] + relationship_diagram(schema) + [""]

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

    withheld = [f"{t.qualified_name}.{c}" for t in tables if t.kind != "partition" for c in t.withheld_columns]
    lines += ["## Withheld columns (secret-looking names: never sampled or fed)", ""]
    lines.append(f"- {', '.join(withheld) or 'none'}")
    lines.append("")

    lines += ["## Relationships", ""]
    lines += _rows(
        ["source", "target", "kind", "confidence", "cardinality"],
        [[f"{r.source_table}.{r.source_column}", f"{r.target_table}.{r.target_column}", r.kind,
          "" if r.confidence is None else f"{r.confidence:.0%} of {r.sampled_values}",
          r.cardinality] for r in schema.relationships],
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
