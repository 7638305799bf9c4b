"""Which documents go, and how a removal is addressed: shared by ingestion, sync and verify.

`removal(doctype, id, table)` is the one place that knows each document type's namespace;
`reconcile_ids` compares a table's ids in the index with its live keys in the database;
`tables_in_index` finds the tables the index holds documents of that the database no longer
has (a state directory that is new or lost knows nothing of a table dropped meanwhile) and
`remove_table` removes a dropped table's documents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..documents.ids import table_of_id_part
from ..documents.record import NAMESPACE, RECORD_TYPE, SCHEMA_NAMESPACE, SCHEMA_TYPE, RowBuilder
from ..files.indexer import DOCTYPE as FILE_DOCTYPE
from ..files.indexer import NAMESPACE as FILE_NAMESPACE
from ..indexed_keys import IndexedKeys
from ..logs import logger
from ..plan import TablePlan
from ..source import changes
from ..source.sql import begin_snapshot
from ..state import PendingOperation
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
    snapshot the caller ends (rolls back) before it feeds or removes anything. `skip`: ids just put or removed, neither gone nor missing; None: every live row was
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


def live_rows(run: RunContext, plan: TablePlan, ids: set[str]) -> dict[str, dict[str, Any]]:
    """Which of `ids` belong to a live row now: id -> its key columns (a table without a key:
    the whole row). Read in the transaction open on the run's connection (one key scan, made
    only when some remove is pending: a row restored with its old key and timestamps is seen)."""
    live: dict[str, dict[str, Any]] = {}
    if not ids:
        return live
    document_id = RowBuilder(plan).document_id
    for keys in changes.all_keys(run.conn, plan, KEY_BATCH):
        for row in keys:
            doc_id = document_id(row)
            if doc_id in ids:
                live[doc_id] = row
    return live


def tables_in_index(run: RunContext, known: set[str]) -> set[str]:
    """The tables the index holds documents of that are not in `known` (the database's tables):
    the table parts of all procore_record ids (one visit of the namespace, ids only; only the
    parts are kept, not the ids) and the tables of the `table:*` schema documents. A table a
    feed file mentions only in puts removed later is left out (`list_ids` asked for those few
    names: a feed file's visit replays removes too)."""
    parts = {doc_id.partition(":")[0] for doc_id, _ in
             run.sink.visit(RECORD_TYPE, NAMESPACE, None, with_fields=False)}
    held = {n for n in {table_of_id_part(p) for p in parts} - known
            if run.sink.list_ids(RECORD_TYPE, NAMESPACE, n)}
    schema_ids: dict[str, bool] = {}
    for doc_id, fields in run.sink.visit(SCHEMA_TYPE, SCHEMA_NAMESPACE, None, with_fields=False):
        if doc_id.startswith("table:"):
            schema_ids[doc_id] = fields is not None  # the last word on an id is what is held
    described = {table_of_id_part(i[len("table:"):]) for i, alive in schema_ids.items() if alive}
    return held | (described - known)


def remove_table(run: RunContext, name: str, earlier: list[PendingOperation]) -> list[PendingOperation]:
    """Remove every document of a dropped table (rows, its schema document, its files' pages)
    and the removes `earlier` runs left pending for it; returns what Vespa did not
    acknowledge, to be retried by the next sync cycle."""
    ops = [removal(RECORD_TYPE, i, name) for i in sorted(run.sink.list_ids(RECORD_TYPE, NAMESPACE, name))]
    ops.append(removal(SCHEMA_TYPE, f"table:{name}", name))
    if run.files is not None:
        row_ids = [op.id for op in ops if op.doctype == RECORD_TYPE] + [
            op.id for op in earlier if op.doctype == RECORD_TYPE]
        ops += run.files.forget_rows(row_ids, name)
    known = {(op.doctype, op.id) for op in ops}
    ops += [removal(op.doctype, op.id, name) for op in earlier if (op.doctype, op.id) not in known]
    outcome = run.remove(ops)
    failed = {f.id: f for f in outcome.failures}
    return [PendingOperation("remove", op.doctype, op.id, name, None, failed[op.id].status, failed[op.id].message)
            for op in ops if op.id in failed]


def drop_table(run: RunContext, name: str, earlier: list[PendingOperation]) -> list[PendingOperation]:
    """`remove_table`, the table's kept keys forgotten, and one log line saying how it went;
    returns what Vespa did not acknowledge (the next sync cycle retries it)."""
    left = remove_table(run, name, earlier)
    IndexedKeys.forget(run.options.state_dir, name)
    if left:
        logger.error("Table %s no longer exists: %d of its documents could not be removed yet "
                     "(retried by the next sync cycle)", name, len(left))
    else:
        logger.warning("Table %s no longer exists: its documents were removed", name)
    return left
