"""Which documents go, and how a removal is addressed: shared by ingestion, sync and verify.

`removal(doctype, id, table)` is the one place that knows each document type's namespace;
`reconcile_ids` compares a table's ids in the index with its live keys in the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..documents.record import NAMESPACE, RECORD_TYPE, SCHEMA_NAMESPACE, SCHEMA_TYPE, RowBuilder
from ..files.indexer import DOCTYPE as FILE_DOCTYPE
from ..files.indexer import NAMESPACE as FILE_NAMESPACE
from ..plan import TablePlan
from ..source import changes
from ..source.sql import begin_snapshot
from ..vespa.sink import RemoveOp
from .run import RunContext

# Every document type this tool writes, and its namespace.
NAMESPACES = {RECORD_TYPE: NAMESPACE, SCHEMA_TYPE: SCHEMA_NAMESPACE, FILE_DOCTYPE: FILE_NAMESPACE}

KEY_BATCH = 10_000  # keys read per round trip while listing a table's live keys


def removal(doctype: str, doc_id: str, table: str) -> RemoveOp:
    """The removal of one document (a type this tool does not know keeps its name as namespace)."""
    return RemoveOp(doctype, NAMESPACES.get(doctype, doctype), doc_id, table)


@dataclass
class IdDifference:
    """A table's ids in the index against its live keys in the database."""

    gone: list[str] = field(default_factory=list)  # ids in the index without a live row, sorted
    # live rows the index lacks, by id: their key columns (a table without a key: whole rows)
    missing: dict[str, dict[str, Any]] = field(default_factory=dict)


def reconcile_ids(run: RunContext, plan: TablePlan, indexed: set[str],
                  skip: set[str] | None = None) -> IdDifference:
    """What the index holds for `plan`'s table (`indexed`) against its live keys, read in a
    snapshot that stays open for the caller to read the missing rows in (the caller rolls
    back). `skip`: ids just put or removed, neither gone nor missing; None: every live row was
    just put (a full load), so only what is gone is looked for."""
    conn = run.conn
    begin_snapshot(conn)
    gone = indexed - skip if skip is not None else set(indexed)
    missing: dict[str, dict[str, Any]] = {}
    document_id = RowBuilder(plan).document_id
    for keys in changes.all_keys(conn, plan, KEY_BATCH):
        for row in keys:
            doc_id = document_id(row)
            gone.discard(doc_id)
            if skip is not None and doc_id not in indexed and doc_id not in skip:
                missing[doc_id] = row
    return IdDifference(sorted(gone), missing)
