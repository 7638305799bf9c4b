"""Keep the index equal to the database: one sync cycle, the daemon loop, and the status report.

A cycle, per table in scope (read-only snapshot each):

    new table, or its columns changed  -> full load of the table
    change columns (updated_at, last_synced_at, ...) -> rows past the watermarks - overlap
    no change column                   -> key-range buckets whose digest moved
    key fingerprint moved              -> ids in the index vs keys in the database:
                                          remove what is gone, feed what is missing
    rows that failed last cycle        -> fed again
    tables gone from the database      -> their documents removed

State lives in the state store's checkpoints.json (one entry per table, plus `__sync__`).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import psycopg2

from .. import config
from ..cli.output import RULE, format_duration
from ..config import redact_url
from ..discovery.model import SchemaMap
from ..documents.record import (
    NAMESPACE,
    RECORD_TYPE,
    SCHEMA_NAMESPACE,
    SCHEMA_TYPE,
    row_documents,
    row_key,
    schema_documents,
    schema_fingerprint,
)
from ..errors import (
    AlreadyRunningError,
    DatabaseConnectionError,
    JobCancelled,
    StateError,
    VespaConnectionError,
)
from ..files import FileCounts, FileIndexer, FileOptions
from ..logs import logger
from ..plan import TablePlan, build_plans
from ..source import changes, db
from ..source.reader import key_to_json
from ..state import StateStore, utc_now
from ..vespa.sink import RemoveOp, Sink, open_sink
from .ingest import _load_schema, feed_documents, open_file_indexer

SYNC_KEY = "__sync__"
SCHEMA_KEY = "__schema__"


@dataclass
class SyncOptions:
    database_url: str
    vespa_url: str = config.DEFAULT_VESPA_URL
    tables: list[str] | None = None
    exclude: list[str] | None = None
    batch_size: int = 1000
    workers: int = 4
    state_dir: str = config.DEFAULT_STATE_DIR
    overlap_s: int = changes.DEFAULT_OVERLAP_S
    keep_soft_deleted: bool = False
    allow_columns: list[str] = field(default_factory=list)
    retry_budget_s: float = 120.0
    files: FileOptions | None = None  # --download-files: keep the rows' files indexed too


@dataclass
class TableSync:
    """What one cycle did to one table."""

    name: str
    mode: str = "cursor"  # cursor, digest, full
    records: int = 0  # live rows in the database after the cycle
    inserted: int = 0  # documents put that the index did not have
    updated: int = 0  # documents put over an existing one
    removed: int = 0  # documents removed (deleted or soft-deleted rows)
    failed: int = 0
    status: str = "ok"  # ok, failed
    error: str | None = None
    reason: str | None = None  # why a full load happened

    @property
    def fed(self) -> int:
        return self.inserted + self.updated

    @property
    def changes(self) -> int:
        return self.fed + self.removed


@dataclass
class CycleResult:
    started_at: str
    finished_at: str
    duration_s: float
    tables: dict[str, TableSync]
    dropped_tables: list[str] = field(default_factory=list)
    job_id: str = ""
    files: FileCounts | None = None  # with --download-files

    @property
    def changes(self) -> int:
        return sum(t.changes for t in self.tables.values())

    @property
    def failed(self) -> int:
        return sum(t.failed for t in self.tables.values())

    @property
    def failed_tables(self) -> list[str]:
        return [n for n, t in self.tables.items() if t.status != "ok"]

    @property
    def exit_code(self) -> int:
        return 3 if self.failed or self.failed_tables else 0


class _Cycle:
    def __init__(self, options: SyncOptions, store: StateStore, sink: Sink, job_id: str,
                 cancel: threading.Event, files: FileIndexer | None) -> None:
        self.options, self.store, self.sink, self.job_id, self.cancel = options, store, sink, job_id, cancel
        self.files = files
        self.file_counts = FileCounts()

    # -- feeding
    def _feed_rows(self, plan: TablePlan, rows: list[dict[str, Any]], result: TableSync,
                   retry: list[list[Any]], indexed: set[str] | None) -> set[str]:
        """Put live rows, remove soft-deleted ones. `indexed` (the table's ids in the index,
        when known) tells inserts from updates; unknown means the key set did not move, so
        every put is an update. Returns the ids put or removed."""
        if self.cancel.is_set():  # abandon the table between batches; its state stays as it was
            raise JobCancelled(f"cancelled during {plan.name}")
        now = int(time.time() * 1000)
        live = [r for r in rows if not plan.is_soft_deleted(r)]
        gone = [r for r in rows if plan.is_soft_deleted(r)]
        docs = row_documents(live, plan, now)
        fed = feed_documents(self.sink, self.store, self.job_id, docs)
        failed = {f.id for f in fed.failures}
        for doc, row in zip(docs, live, strict=True):
            if doc.id in failed:
                if plan.key_columns:
                    retry.append([key_to_json(row[k]) for k in plan.key_columns])
            elif indexed is not None and doc.id not in indexed:
                result.inserted += 1
            else:
                result.updated += 1
        result.failed += len(failed)
        if self.files is not None:  # the rows' files: new or changed ones fetched, dropped ones removed
            batch = self.files.index([d for d in docs if d.id not in failed], self.sink)
            self.store.record_failures(self.job_id, [f.to_dict() for f in batch.document_failures])
            self.file_counts.add(batch)
        removed = [f"{plan.name}:{row_key(r, plan)}" for r in gone]
        self._remove(plan, removed, result)
        return {d.id for d in docs} | set(removed)

    def _remove(self, plan: TablePlan, ids: list[str], result: TableSync) -> None:
        if not ids:
            return
        outcome = self.sink.remove([RemoveOp(RECORD_TYPE, NAMESPACE, i, plan.name) for i in ids])
        self.store.record_failures(self.job_id, [f.to_dict() for f in outcome.failures])
        result.removed += outcome.ok
        result.failed += len(outcome.failures)
        if self.files is not None:  # a deleted row's file documents go with it
            file_ops = self.files.forget_rows(ids, plan.name)
            if file_ops:
                gone = self.sink.remove(file_ops)
                self.store.record_failures(self.job_id, [f.to_dict() for f in gone.failures])

    # -- one table
    def sync_table(self, conn, plan: TablePlan, previous: dict[str, Any] | None) -> tuple[TableSync, dict]:
        result = TableSync(plan.name)
        retry: list[list[Any]] = []
        batch = self.options.batch_size
        if previous is None or previous.get("columns") != changes.columns_fingerprint(plan):
            result.mode = "full"
            result.reason = "new table" if previous is None else "columns changed"
            state = changes.baseline(conn, plan, self.options.overlap_s)
            listed = self.sink.list_ids(RECORD_TYPE, NAMESPACE, plan.name)
            changes.begin_snapshot(conn)
            fed: set[str] = set()
            for rows in changes.changed_rows(conn, plan, {}, 0, batch):  # no watermark: every row
                fed |= self._feed_rows(plan, [r.values for r in rows], result, retry, listed)
            conn.rollback()
            self._reconcile(conn, plan, result, listed, fed)  # ids of rows gone meanwhile
            state.update(self._bookkeeping(result, retry, state["fingerprint"][0]))
            return result, state

        state = dict(previous)
        activity = changes.table_activity(conn, plan)
        if self._untouched(conn, plan, previous, activity):
            result.mode = previous.get("mode", "cursor")
            state.update(self._bookkeeping(result, [], previous.get("records", 0)))
            return result, state
        state["activity"] = activity
        changes.begin_snapshot(conn)
        with conn.cursor() as cur:
            fingerprint = changes.key_fingerprint(cur, plan)
            if previous.get("mode") == "cursor":
                maxima = changes.column_maxima(cur, plan)
            else:
                digests = changes.bucket_digests(cur, plan, previous["buckets"])
        # The key set moved (inserts or deletes): list what the index holds for this table.
        keys_moved = fingerprint.to_json() != previous.get("fingerprint")
        indexed: set[str] | None = self.sink.list_ids(RECORD_TYPE, NAMESPACE, plan.name) if keys_moved else None
        fed = set()
        if previous.get("mode") == "cursor":
            recent: dict[str, str] = {}
            seen = previous.get("recent", {})
            for rows in changes.changed_rows(conn, plan, previous.get("watermarks", {}),
                                             self.options.overlap_s, batch, new_watermarks=maxima):
                fresh = []
                for r in rows:
                    key = changes.recent_key(plan, r.digest, r.values)
                    if r.in_window:  # only rows the next cycle will read again are remembered
                        recent[key] = r.digest
                    if seen.get(key) != r.digest:  # re-read in the overlap but unchanged: skip
                        fresh.append(r.values)
                fed |= self._feed_rows(plan, fresh, result, retry, indexed)
            state["watermarks"] = {**previous.get("watermarks", {}),
                                   **{c: v for c, v in maxima.items() if v is not None}}
            state["recent"] = recent
        else:
            result.mode = "digest"
            old = previous.get("digests", {})
            moved = sorted(int(b) for b in set(old) | set(digests) if old.get(b) != digests.get(b))
            if moved:
                for rows in changes.rows_in_buckets(conn, plan, previous["buckets"], moved, batch):
                    fed |= self._feed_rows(plan, [r.values for r in rows], result, retry, indexed)
            state["digests"] = digests
        for rows in changes.rows_by_keys(conn, plan, previous.get("retry_keys", []), batch):
            fed |= self._feed_rows(plan, [r.values for r in rows], result, retry, indexed)
        conn.rollback()
        if indexed is not None:
            self._reconcile(conn, plan, result, indexed, fed)
        state["fingerprint"] = fingerprint.to_json()
        state.update(self._bookkeeping(result, retry, fingerprint.count))
        return result, state

    @staticmethod
    def _untouched(conn, plan: TablePlan, previous: dict[str, Any], activity: list[Any] | None) -> bool:
        """Nothing written since the last cycle, so no row needs reading: PostgreSQL's write
        counters have not moved and (tables with change columns) neither have their maxima.
        The counters are published when a writing session ends or idles (within ~10 s), so a
        delete or a change in a table without timestamps may be seen one cycle later; nothing
        is lost, since the state does not move while the table is skipped."""
        if (activity is None or activity != previous.get("activity") or previous.get("retry_keys")
                or previous.get("fingerprint") is None):
            return False
        if previous.get("mode") != "cursor":
            return True
        with conn.cursor() as cur:  # index-backed where an index exists: no scan
            maxima = changes.column_maxima(cur, plan)
        conn.rollback()
        watermarks = previous.get("watermarks", {})
        return all(v is None or watermarks.get(c) == v for c, v in maxima.items())

    def _reconcile(self, conn, plan: TablePlan, result: TableSync, indexed: set[str], fed: set[str]) -> None:
        """Make the table's ids in the index equal to its live keys in the database: remove
        what is gone, feed what is missing (and was not just fed)."""
        changes.begin_snapshot(conn)
        present: dict[str, list[Any]] = {}
        for keys in changes.all_keys(conn, plan, 10_000):
            for row in keys:
                present[f"{plan.name}:{row_key(row, plan)}"] = [key_to_json(row[k]) for k in plan.key_columns]
        self._remove(plan, sorted(indexed - set(present) - fed), result)
        missing = [present[i] for i in sorted(set(present) - indexed - fed)]
        if missing and plan.key_columns:
            for rows in changes.rows_by_keys(conn, plan, missing, self.options.batch_size):
                self._feed_rows(plan, [r.values for r in rows], result, [], indexed)
        conn.rollback()

    @staticmethod
    def _bookkeeping(result: TableSync, retry: list[list[Any]], records: int) -> dict[str, Any]:
        result.records = records
        return {"retry_keys": retry, "synced_at": utc_now(), "records": records,
                "changes": result.changes, "inserted": result.inserted, "updated": result.updated,
                "removed": result.removed, "failed": result.failed, "status": "ok", "error": None}


def _remove_table(sink: Sink, store: StateStore, job_id: str, name: str) -> int:
    ids = sink.list_ids(RECORD_TYPE, NAMESPACE, name)
    outcome = sink.remove([RemoveOp(RECORD_TYPE, NAMESPACE, i, name) for i in sorted(ids)])
    outcome_schema = sink.remove([RemoveOp(SCHEMA_TYPE, SCHEMA_NAMESPACE, f"table:{name}", "")])
    store.record_failures(job_id, [f.to_dict() for f in outcome.failures + outcome_schema.failures])
    return outcome.ok


def run_cycle(options: SyncOptions, cancel: threading.Event | None = None,
              only_tables: list[str] | None = None) -> CycleResult:
    """One sync cycle over every table in scope. Raises DatabaseConnectionError or
    VespaConnectionError when either is unreachable; per-table failures are in the result."""
    cancel = cancel or threading.Event()
    started, clock = utc_now(), time.monotonic()
    sink = open_sink(options.vespa_url, workers=options.workers, retry_budget_s=options.retry_budget_s)
    sink.check()
    store = StateStore(options.state_dir)
    try:
        store.lock()
    except StateError as exc:
        raise AlreadyRunningError(str(exc)) from None
    job_id = "sync-" + datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    results: dict[str, TableSync] = {}
    dropped: list[str] = []
    try:
        checkpoints = store.load_checkpoints()
        files = open_file_indexer(options.files, options.state_dir)
        try:
            file_counts = _sync_tables(options, store, sink, job_id, checkpoints, cancel, results, dropped, files)
        except psycopg2.Error as exc:  # outside any one table: the session itself failed
            raise DatabaseConnectionError(f"database error during the sync cycle: {db.first_line(exc)}") from None
        finally:
            if files is not None:
                files.close()
        finished = utc_now()
        checkpoints[SYNC_KEY] = {**checkpoints.get(SYNC_KEY, {}), "last_cycle_started": started,
                                 "last_cycle_finished": finished, "last_cycle_changes": sum(
                                     r.changes for r in results.values()),
                                 "last_cycle_errors": sum(1 for r in results.values() if r.status != "ok"),
                                 "last_cycle_failed_records": sum(r.failed for r in results.values()),
                                 "database": redact_url(options.database_url),
                                 "vespa": redact_url(options.vespa_url)}
        store.save_checkpoints(checkpoints)
    finally:
        store.unlock()
        sink.close()
    return CycleResult(started, finished, time.monotonic() - clock, results, dropped, job_id,
                       file_counts if options.files else None)


def _sync_tables(options: SyncOptions, store: StateStore, sink: Sink, job_id: str,
                 checkpoints: dict[str, Any], cancel: threading.Event, results: dict[str, TableSync],
                 dropped: list[str], files: FileIndexer | None) -> FileCounts:
    """Every table in scope, then tables that disappeared; fills `results` and `dropped`."""
    with db.session(options.database_url) as conn:
        schema = _load_schema(conn, options.database_url)
        plans = build_plans(schema, options.tables, options.exclude, options.allow_columns,
                            options.keep_soft_deleted)
        _sync_schema_documents(schema, plans, sink, store, job_id, checkpoints)
        cycle = _Cycle(options, store, sink, job_id, cancel, files)
        for plan in plans:
            if cancel.is_set():
                break
            entry = checkpoints.setdefault(plan.name, {})
            try:
                result, state = cycle.sync_table(conn, plan, entry.get("sync"))
                entry["sync"] = state
            except JobCancelled:
                conn.rollback()
                break
            except (psycopg2.Error, VespaConnectionError) as exc:
                if isinstance(exc, psycopg2.Error) and db.connection_lost(conn, exc):
                    raise DatabaseConnectionError(f"lost the database connection during {plan.name}: "
                                                  f"{db.first_line(exc)}") from None
                message = db.first_line(exc) if isinstance(exc, psycopg2.Error) else str(exc)
                result = TableSync(plan.name, status="failed", error=message)
                entry.setdefault("sync", {}).update({"status": "failed", "error": message,
                                                     "failed_at": utc_now()})
                logger.error("Sync of %s failed: %s", plan.name, message)
                if conn.closed == 0:
                    conn.rollback()
            results[plan.name] = result
            store.save_checkpoints(checkpoints)  # each table's progress survives a crash
        if not options.tables and not cancel.is_set():
            known = {t.qualified_name for t in schema.tables}
            for name in [n for n in checkpoints if not n.startswith("__") and n not in known]:
                _remove_table(sink, store, job_id, name)
                checkpoints.pop(name)
                dropped.append(name)
                logger.warning("Table %s no longer exists: its documents were removed", name)
    return cycle.file_counts


def _sync_schema_documents(schema: SchemaMap, plans: list[TablePlan], sink: Sink, store: StateStore,
                           job_id: str, checkpoints: dict[str, Any]) -> None:
    """Re-feed the procore_schema_metadata documents when the schema they describe moved."""
    docs = schema_documents(schema, plans)
    fingerprint = schema_fingerprint(docs)
    if checkpoints.get(SCHEMA_KEY, {}).get("fingerprint") == fingerprint:
        return
    result = feed_documents(sink, store, job_id, docs)
    if not result.failures:
        checkpoints[SCHEMA_KEY] = {"fingerprint": fingerprint, "fed_at": utc_now()}


def incremental_summary(result: CycleResult) -> list[str]:
    """The closing block of `ingest_database.py --incremental`, in the contract's shape."""
    failed = result.failed_tables
    return ([RULE, "Incremental ingestion completed" if not failed and not result.failed
             else "Incremental ingestion completed with failures",
             f"  Tables processed: {len(result.tables) - len(failed)}",
             f"  Records indexed: {sum(t.fed for t in result.tables.values()):,}",
             f"  Records deleted: {sum(t.removed for t in result.tables.values()):,}",
             f"  Records failed: {result.failed:,}",
             f"  Duration: {format_duration(result.duration_s)}"]
            + ([f"  Tables failed: {', '.join(failed)}"] if failed else []) + [RULE])
