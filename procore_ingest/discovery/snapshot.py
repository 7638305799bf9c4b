"""A schema map as plain JSON values and back, for the copy sync keeps between cycles.

Discovery reruns only when the catalog fingerprint (`catalog.catalog_fingerprint`) moves; in
between, cycles build their plans from the map kept in the state directory. What could hold row
values is left out of that copy: sampled rows, column statistics (min/max) and the example
value of a file-reference column (documents use none of them).
"""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

from .model import (
    Column,
    FileReferenceColumn,
    FileReferencesSummary,
    Relationship,
    SchemaInfo,
    SchemaMap,
    Table,
    TimestampColumn,
)

SNAPSHOT_VERSION = 1


def _without_values(table: Table) -> Table:
    return replace(
        table,
        samples=None,
        columns=[replace(c, stats=None) for c in table.columns],
        file_reference_columns=[replace(f, example=None) for f in table.file_reference_columns],
    )


def schema_to_snapshot(schema: SchemaMap) -> dict[str, Any]:
    """The map as JSON values, without sampled values (see the module's docstring)."""
    kept = replace(schema, schemas=[SchemaInfo(s.name, [_without_values(t) for t in s.tables])
                                    for s in schema.schemas])
    return {"version": SNAPSHOT_VERSION, **asdict(kept)}


def _table(data: dict[str, Any]) -> Table:
    data = dict(data)
    columns = [Column(**{**c, "stats": None}) for c in data.pop("columns")]
    stamps = [TimestampColumn(**t) for t in data.pop("timestamp_columns")]
    files = [FileReferenceColumn(**f) for f in data.pop("file_reference_columns")]
    return Table(**data, columns=columns, timestamp_columns=stamps, file_reference_columns=files)


def schema_from_snapshot(data: dict[str, Any]) -> SchemaMap | None:
    """The map back, or None when the snapshot is of another format version (discover again)."""
    if data.get("version") != SNAPSHOT_VERSION:
        return None
    data = {k: v for k, v in data.items() if k != "version"}
    schemas = [SchemaInfo(s["name"], [_table(t) for t in s["tables"]]) for s in data.pop("schemas")]
    relationships = [Relationship(**r) for r in data.pop("relationships")]
    summary = FileReferencesSummary(**data.pop("file_references_summary"))
    return SchemaMap(**data, schemas=schemas, relationships=relationships, file_references_summary=summary)
