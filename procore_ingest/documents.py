"""Rows and the schema as Vespa documents. Pure functions: no I/O.

A row of table T with primary key K becomes `procore_record` document `T:K` (namespace
`procore_record`), the convention of the user's existing index (procore-facts §9). Its id is a
pure function of table and key, and a put replaces the whole document, so replaying a batch
is harmless.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

from .discovery.model import Relationship, SchemaMap, Table
from .filerefs import FileRef, dedupe, extract_references
from .plan import TablePlan
from .render import content_text_for, render_row, render_value, vespa_safe_text

RECORD_TYPE = "procore_record"
SCHEMA_TYPE = "procore_schema_metadata"
NAMESPACE = "procore_record"
SCHEMA_NAMESPACE = "procore_schema_metadata"
CONTENT_MAX_CHARS = 50_000
_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1


@dataclass
class Document:
    """One Vespa put: document type, namespace, user-specified id and fields."""

    doctype: str
    namespace: str
    id: str
    fields: dict[str, Any]
    table: str = ""  # source table, for reports and failure logs
    file_refs: list[FileRef] = field(default_factory=list)

    @property
    def vespa_id(self) -> str:
        return f"id:{self.namespace}:{self.doctype}::{self.id}"

    def feed_json(self) -> dict[str, Any]:
        """The operation in Vespa's document JSON format (what `vespa feed` reads)."""
        return {"put": self.vespa_id, "fields": self.fields}


def _escape_key_part(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|")


def row_key(row: Mapping[str, Any], plan: TablePlan) -> str:
    """The row's key as text: `42`, or `k1|k2` for composite keys (`\\` and `|` escaped).

    A table without a primary key gets `sha256:<hex>` of the row's rendered content, so the
    same row always gets the same id (identical duplicate rows share one document).
    """
    if plan.key_columns:
        parts = [render_value(row[c], plan.table.column(c)) or "" for c in plan.key_columns]
        return parts[0] if len(parts) == 1 else "|".join(_escape_key_part(p) for p in parts)
    content = json.dumps(render_row(row, plan.table.columns), sort_keys=True, ensure_ascii=False)
    return "sha256:" + hashlib.sha256(content.encode()).hexdigest()[:32]


def record_id(table_name: str, key: str) -> str:
    return f"{table_name}:{key}"


def epoch_millis(value: Any) -> int | None:
    """Epoch milliseconds; naive timestamps are UTC (Prisma stores UTC), never local time."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return int(aware.timestamp() * 1000)
    if isinstance(value, date):
        return int(datetime(value.year, value.month, value.day, tzinfo=timezone.utc).timestamp() * 1000)
    return None  # infinity and other values Python cannot hold: leave the field out


def _as_long(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if _LONG_MIN <= number <= _LONG_MAX and str(number) == str(value).strip() else None


def _outgoing(row: Mapping[str, Any], plan: TablePlan, key: str) -> list[str]:
    out = []
    for rel in plan.outgoing:
        values = [row.get(c) for c in rel.source_columns]
        if any(v is None for v in values):
            continue
        cols = [plan.table.column(c) for c in rel.source_columns]
        target_key = "|".join(_escape_key_part(render_value(v, c) or "") for v, c in zip(values, cols, strict=True)) \
            if len(values) > 1 else (render_value(values[0], cols[0]) or "")
        target_table = _qualified(rel.target_schema, rel.target_table)
        out.append(json.dumps({
            "target_doc_id": record_id(target_table, target_key),
            "target_table": target_table,
            "target_id": target_key,
            "source_column": rel.source_column,
            "relationship_type": rel.kind,
            "direction": "outgoing",
            "cardinality": rel.cardinality,
            **({"confidence": rel.confidence} if rel.confidence is not None else {}),
        }, sort_keys=True, ensure_ascii=False))
    return out


def _incoming(plan: TablePlan, key: str) -> list[str]:
    out = []
    for rel in plan.incoming:
        source_table = _qualified(rel.source_schema, rel.source_table)
        out.append(json.dumps({
            "source_table": source_table,
            "source_column": rel.source_column,
            "relationship_type": rel.kind,
            "cardinality": rel.cardinality,
            "query_hint": (f'source_table contains "{source_table}" and '
                           f'metadata{{"{rel.source_columns[0]}"}} contains "{key}"'),
        }, sort_keys=True, ensure_ascii=False))
    return out


def _qualified(schema: str, table: str) -> str:
    return table if schema == "public" else f"{schema}.{table}"


def table_description(table: Table) -> str:
    if table.comment:
        return table.comment
    words = table.name.replace("_", " ")
    kind = {"view": "view", "materialized_view": "materialized view"}.get(table.kind, "table")
    cols = ", ".join(c.name for c in table.columns[:12])
    return f"Rows of the {words} {kind} ({table.qualified_name}); columns: {cols}" + (
        ", ..." if len(table.columns) > 12 else "")


def row_document(row: Mapping[str, Any], plan: TablePlan, ingested_at_ms: int) -> Document:
    """The procore_record document of one row (secret columns already left out by the plan)."""
    table = plan.table
    visible = [c for c in table.columns if c.name not in plan.withheld_columns]
    key = row_key(row, plan)
    doc_id = record_id(plan.name, key)
    refs = dedupe(
        ref for fc in plan.file_columns
        for ref in extract_references(row.get(fc.column_name), fc.column_name, fc.reference_type)
    )
    fields: dict[str, Any] = {
        "doc_id": doc_id,
        "source_table": plan.name,
        "source_id": key,
        "metadata": render_row(row, visible),
        "relationships": _outgoing(row, plan, key),
        "incoming_relationships": _incoming(plan, key),
        "file_references": [json.dumps(r.to_dict(), sort_keys=True, ensure_ascii=False) for r in refs],
        "ingested_at": ingested_at_ms,
        "content_text": content_text_for(row, visible, max_chars=CONTENT_MAX_CHARS),
        "table_description": vespa_safe_text(table_description(table)),
        "column_types": {c.name: c.data_type for c in visible},
    }
    project = row.get("project_id")
    if project is None and table.name == "projects" and plan.key_columns == ["id"]:
        project = row.get("id")
    project_long = _as_long(project) if project is not None else None
    if project_long is not None:
        fields["project_id"] = project_long
    for name in ("created_at", "updated_at"):
        millis = epoch_millis(row.get(name))
        if millis is not None:
            fields[name] = millis
    return Document(RECORD_TYPE, NAMESPACE, doc_id, fields, table=plan.name, file_refs=refs)


# --- the schema itself -----------------------------------------------------------------------


def _rel_json(rel: Relationship, direction: str) -> str:
    other = (_qualified(rel.target_schema, rel.target_table) if direction == "outgoing"
             else _qualified(rel.source_schema, rel.source_table))
    return json.dumps({
        ("target_table" if direction == "outgoing" else "source_table"): other,
        "source_column": rel.source_column,
        "target_column": rel.target_column,
        "relationship_type": rel.kind,
        "cardinality": rel.cardinality,
    }, sort_keys=True)


def schema_documents(schema: SchemaMap, plans: list[TablePlan]) -> list[Document]:
    """`table:{name}` for each planned table and `schema:{database}` for the whole."""
    docs = []
    for plan in plans:
        t = plan.table
        columns = [json.dumps({"name": c.name, "data_type": c.data_type, "is_nullable": c.is_nullable,
                               "default_value": c.default_value, "withheld": c.name in plan.withheld_columns},
                              sort_keys=True) for c in t.columns]
        content = " ".join([t.qualified_name, table_description(t)] + [c.name for c in t.columns])
        doc_id = f"table:{plan.name}"
        fields = {
            "doc_id": doc_id,
            "metadata_type": "table",
            "database_name": schema.database_name,
            "table_name": plan.name,
            "table_description": table_description(t),
            "columns": columns,
            "timestamp_columns": [ts.name for ts in t.timestamp_columns],
            "file_reference_columns": [json.dumps({"column_name": f.column_name, "reference_type": f.reference_type,
                                                   "pattern": f.pattern}, sort_keys=True) for f in plan.file_columns],
            "outgoing_relationships": [_rel_json(r, "outgoing") for r in plan.outgoing],
            "incoming_relationships": [_rel_json(r, "incoming") for r in plan.incoming],
            "primary_key": list(plan.key_columns),
            "discovery_timestamp": schema.discovery_timestamp,
            "content_text": vespa_safe_text(content),
        }
        if t.row_count is not None:
            fields["row_count"] = t.row_count
        docs.append(Document(SCHEMA_TYPE, SCHEMA_NAMESPACE, doc_id, fields, table=plan.name))
    summary = {
        "tables": [p.name for p in plans],
        "table_count": len(plans),
        "relationship_count": len(schema.relationships),
        "file_references": {"total_columns": schema.file_references_summary.total_columns,
                            "tables_with_files": schema.file_references_summary.tables_with_files,
                            "estimated_file_count": schema.file_references_summary.estimated_file_count},
    }
    doc_id = f"schema:{schema.database_name}"
    docs.append(Document(SCHEMA_TYPE, SCHEMA_NAMESPACE, doc_id, {
        "doc_id": doc_id,
        "metadata_type": "full_schema",
        "database_name": schema.database_name,
        "discovery_timestamp": schema.discovery_timestamp,
        "schema_summary": json.dumps(summary, sort_keys=True),
        "row_count": sum(p.table.row_count or 0 for p in plans),
        "content_text": vespa_safe_text(f"Database {schema.database_name}: tables " + ", ".join(summary["tables"])),
    }, table=""))
    return docs


def schema_fingerprint(docs: list[Document]) -> str:
    """A digest of the schema documents without their timestamps: re-feed only when it moves."""
    stable = [{k: v for k, v in d.fields.items() if k not in ("discovery_timestamp", "row_count", "schema_summary")}
              for d in docs]
    return hashlib.sha256(json.dumps(stable, sort_keys=True).encode()).hexdigest()
