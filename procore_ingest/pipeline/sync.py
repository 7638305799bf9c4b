"""Keep the index equal to the database: one sync cycle over every table in scope.

A cycle, per table in scope (read-only snapshots), by the first strategy that applies
(`_Cycle.sync_table` picks; each returns what it did and the table's new state):

    new table, or its documents' shape changed -> full_load: every row, then ids reconciled
    (its comment or enum labels too)
    one integer key, change columns, keys kept -> ranged_pass: nothing written (trusted
                                                counters): no row read but at most a slice of the
                                                content check (key ranges, lo <= key < hi); else
                                                the cursor, and the key set compared by key-range
                                                digests only when the counters do not explain it
                                                by the cursor's inserts; the index never listed
                                                (the keys it holds are kept: indexed_keys)
    nothing written since the last cycle     -> unchanged: no row read (cursor mode: at most
                                                one slice of the content check)
    change columns (updated_at, ...)         -> cursor_pass: rows past the watermarks - overlap,
                                                then one slice of the content check
    no change column                         -> digest_pass: key-range buckets whose digest moved
  in both passes, first: operations still pending -> retried (rows read again by key and re-rendered)
  and last: key fingerprint moved          -> ids in the index vs keys in the database
                                                (removals.reconcile_ids): remove what is gone,
                                                feed what is missing
  after every table: the schema documents (procore_schema_metadata) -> fed when the schema
                                                moved, else only those whose row_count moved
                    tables gone from the database -> their documents removed

The plans come from the schema map kept in the state directory while the catalog fingerprint
(one query) has not moved (RunContext.load_plans(reuse=True)).

What a cycle could not get acknowledged stays pending in the table's state (`state.
PendingOperation`) and is retried by every later cycle; past `SyncOptions.max_pending` in one
table they are only counted and the table is reloaded in full next cycle. A cycle that leaves
anything pending exits 3. Rows are read a batch at a time, each batch in a snapshot released
before it is fed (`source.reader.read_pages`): nothing is held open while Vespa is waited on.
State lives in the state store's checkpoints.json (`state.Checkpoints`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, TypeVar

import psycopg2

from .. import database as db
from ..config import DEFAULT_CHECK_ROWS, DEFAULT_MAX_PENDING
from ..discovery.model import SchemaMap
from ..documents.record import (
    NAMESPACE,
    RECORD_TYPE,
    SCHEMA_TYPE,
    Document,
    RowBuilder,
    schema_documents,
    schema_fingerprint,
)
from ..errors import (
    EXIT_OK,
    EXIT_PARTIAL,
    DatabaseConnectionError,
    JobCancelled,
    VespaConnectionError,
)
from ..files import FileCounts
from ..files.indexer import parent_of
from ..indexed_keys import IndexedKeys, keys_of_ids
from ..logs import logger
from ..plan import TablePlan
from ..source import changes
from ..source.context import context_targets, dependent_rows
from ..source.reader import key_to_json
from ..source.sql import begin_snapshot
from ..state import (
    Checkpoints,
    PendingOperation,
    SyncMode,
    TableSyncState,
    TableSyncStatus,
    utc_now,
)
from ..vespa.sink import FeedFailure, FeedResult, RemoveOp
from .baseline import sync_state
from .build import documents_with_context
from .removals import drop_table, live_rows, reconcile_ids, removal
from .run import RunContext, RunOptions, record_context_names


@dataclass
class SyncOptions(RunOptions):
    overlap_s: int = changes.DEFAULT_OVERLAP_S
    max_pending: int = DEFAULT_MAX_PENDING  # per table ($PROCORE_MAX_PENDING: config.max_pending)
    check_rows: int = DEFAULT_CHECK_ROWS  # rows per cycle the content check of a keyed table compares


@dataclass
class TableSync:
    """What one cycle did to one table."""

    name: str
    mode: SyncMode = "cursor"
    records: int = 0  # live rows in the database after the cycle
    inserted: int = 0  # documents put that the index did not have
    updated: int = 0  # documents put over an existing one
    removed: int = 0  # documents removed (deleted or soft-deleted rows)
    rechecked: int = 0  # rows of moved check buckets put again (not counted as updates: most are unchanged)
    failed: int = 0  # operations Vespa did not acknowledge this cycle
    pending: int = 0  # operations left for the next cycle
    status: TableSyncStatus = "ok"
    error: str | None = None
    error_source: str | None = None  # with status failed: "database" or "vespa"
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
    pending: dict[str, int] = field(default_factory=dict)  # table (or "schema") -> operations left

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
    def pending_total(self) -> int:
        return sum(self.pending.values())

    @property
    def exit_code(self) -> int:
        """0 only when the index holds everything this cycle saw: nothing failed or pending."""
        return EXIT_PARTIAL if self.failed or self.failed_tables or self.pending_total else EXIT_OK


# A key range holding this many times its share of the rows is cut again (_Cycle._rebalance).
REBALANCE = 8


class _Pending:
    """The operations of one table that have no success yet, collected during its cycle. At
    most `limit` are kept one by one (a 1M-row reload into a Vespa refusing writes must not
    write a million entries into checkpoints.json after every table): past it they are only
    counted (`overflow`), and the table is reloaded in full next cycle."""

    def __init__(self, table: str, limit: int = DEFAULT_MAX_PENDING) -> None:
        self.table, self.limit = table, limit
        self.ops: dict[tuple[str, str], PendingOperation] = {}  # (doctype, id) -> op
        self.overflow = 0  # operations not acknowledged once the bound was passed, kept ones included

    def add(self, kind: str, doctype: str, failure: FeedFailure, key: list[Any] | None = None,
            earlier: PendingOperation | None = None) -> None:
        if self.overflow:
            self.overflow += 1
            return
        op = PendingOperation(kind, doctype, failure.id, self.table, key, failure.status, failure.message,
                              attempts=(earlier.attempts + 1) if earlier else 1,
                              since=earlier.since if earlier else utc_now())
        self.ops[(doctype, failure.id)] = op
        if len(self.ops) > self.limit:  # collapsed: the full reload next cycle covers every one
            self.overflow, self.ops = len(self.ops), {}

    def landed(self, doctype: str, doc_id: str) -> None:
        self.ops.pop((doctype, doc_id), None)


_Read = TypeVar("_Read")


@dataclass
class _Pass:
    """An incremental pass over one table under way: what it did so far and the state it builds."""

    result: TableSync
    state: TableSyncState
    pending: _Pending
    fingerprint: changes.Fingerprint  # of the live keys, read at the start of the pass
    indexed: set[str] | None  # the table's ids in the index, when the key set moved
    fed: set[str] = field(default_factory=set)  # ids put or removed so far


class _Cycle:
    def __init__(self, run: RunContext, options: SyncOptions, cancel: threading.Event,
                 plans: list[TablePlan], trust_counters: bool = True) -> None:
        self.run, self.options, self.cancel = run, options, cancel
        self.builders = {plan.name: RowBuilder(plan) for plan in plans}  # each table's, made once
        self.trust_counters = trust_counters  # False on a hot standby or after a statistics reset
        # the keys the index holds of the table being synced (integer-keyed tables with change
        # columns), kept up to date as Vespa acknowledges puts and removes; None: ids are listed
        self.keys: IndexedKeys | None = None

    # -- feeding
    def feed_rows(self, plan: TablePlan, rows: list[dict[str, Any]], result: TableSync,
                  pending: _Pending, indexed: set[str] | None) -> set[str]:
        """`_feed_rows`, for the rows of another table the cycle feeds again (context)."""
        return self._feed_rows(plan, rows, result, pending, indexed)

    def _feed_rows(self, plan: TablePlan, rows: list[dict[str, Any]], result: TableSync,
                   pending: _Pending, indexed: set[str] | None,
                   earlier: dict[tuple[str, str], PendingOperation] | None = None) -> set[str]:
        """Put live rows, remove soft-deleted ones. `indexed` (the table's ids in the index,
        when known) tells inserts from updates; unknown means the key set did not move, so
        every put is an update. What Vespa does not take becomes pending. Returns the ids put
        or removed."""
        if self.cancel.is_set():  # abandon the table between batches; its state stays as it was
            raise JobCancelled(f"cancelled during {plan.name}")
        earlier = earlier or {}
        now = int(time.time() * 1000)
        live = [r for r in rows if not plan.is_soft_deleted(r)]
        gone = [r for r in rows if plan.is_soft_deleted(r)]
        docs = documents_with_context(self.run.conn, self.builders[plan.name], live, now)
        fed = self.run.feed(docs)
        failed = {f.id: f for f in fed.failures}
        keys = {d.id: self._key(plan, row) for d, row in zip(docs, live, strict=True)}
        column = changes.integer_key(plan) if self.keys is not None else None
        numbers = {d.id: row[column] for d, row in zip(docs, live, strict=True)} if column else {}
        for doc in docs:
            if doc.id in failed:
                pending.add("put", RECORD_TYPE, failed[doc.id], keys[doc.id], earlier.get((RECORD_TYPE, doc.id)))
            else:
                pending.landed(RECORD_TYPE, doc.id)
                if self.keys is not None and column:  # the kept keys tell inserts from updates
                    new = self.keys.add([numbers[doc.id]])
                    result.inserted += new
                    result.updated += 1 - new
                elif indexed is not None and doc.id not in indexed:
                    result.inserted += 1
                else:
                    result.updated += 1
        result.failed += len(failed)
        self._index_files(docs, fed, keys, pending)
        removed = [self.builders[plan.name].document_id(r) for r in gone]
        self._remove(plan, removed, result, pending, earlier)
        return {d.id for d in docs} | set(removed)

    @staticmethod
    def _key(plan: TablePlan, row: dict[str, Any]) -> list[Any] | None:
        """What a pending put keeps to read its row again: the key, but never a secret-looking one
        (None: the table is read in full next cycle, as for a table without a key)."""
        if not plan.key_columns or plan.key_is_secret:
            return None
        return [key_to_json(row[k]) for k in plan.key_columns]

    def _index_files(self, docs: list[Document], fed: FeedResult, keys: dict[str, list[Any] | None],
                     pending: _Pending) -> None:
        """--download-files: a file document Vespa does not take leaves its row pending, so
        the row and its files are fed again next cycle (the file cache keeps only files whose
        documents all landed)."""
        batch = self.run.index_files(docs, fed)
        if batch is None:
            return
        for failure in batch.document_failures:
            parent = parent_of(failure.id, docs)
            if parent is not None:
                pending.add("put", RECORD_TYPE, FeedFailure(parent.id, parent.table, failure.status,
                                                            f"file document {failure.id}: {failure.message}"),
                            keys.get(parent.id))

    def _remove(self, plan: TablePlan, ids: list[str], result: TableSync, pending: _Pending,
                earlier: dict[tuple[str, str], PendingOperation] | None = None) -> None:
        if not ids:
            return
        earlier = earlier or {}
        outcome = self.run.remove([removal(RECORD_TYPE, i, plan.name) for i in ids])
        failed = {f.id: f for f in outcome.failures}
        for i in ids:
            if i in failed:
                pending.add("remove", RECORD_TYPE, failed[i], earlier=earlier.get((RECORD_TYPE, i)))
            else:
                pending.landed(RECORD_TYPE, i)
        if self.keys is not None:
            self.keys.discard(keys_of_ids(i for i in ids if i not in failed))
        result.removed += outcome.ok
        result.failed += len(failed)
        if self.run.files is not None:  # a deleted row's file documents go with it
            self._remove_file_documents(self.run.files.forget_rows(ids, plan.name), pending, earlier)

    def _remove_file_documents(self, ops: list[RemoveOp], pending: _Pending,
                               earlier: dict[tuple[str, str], PendingOperation]) -> None:
        outcome = self.run.remove(ops)
        failed = {f.id: f for f in outcome.failures}
        for op in ops:
            if op.id in failed:
                pending.add("remove", op.doctype, failed[op.id], earlier=earlier.get((op.doctype, op.id)))
            else:
                pending.landed(op.doctype, op.id)

    def _retry_pending(self, plan: TablePlan, previous: TableSyncState, result: TableSync,
                       pending: _Pending, indexed: set[str] | None) -> set[str]:
        """The operations earlier cycles could not get acknowledged, first: a row's put is
        read again by key and rendered as the row is now (or removed, when it is gone)."""
        earlier = {(op.doctype, op.id): op for op in previous.pending}
        done: set[str] = set()
        puts = [op for op in previous.pending if op.kind == "put" and op.doctype == RECORD_TYPE]
        keys = [op.key for op in puts if op.key is not None]
        found: set[str] = set()
        for rows in changes.rows_by_keys(self.run.conn, plan, keys, self.options.batch_size):
            values = [r.values for r in rows]
            found |= {self.builders[plan.name].document_id(v) for v in values}
            done |= self._feed_rows(plan, values, result, pending, indexed, earlier)
        for op in puts:
            if op.key is None:  # a keyless row: the table is read in full (see sync_table)
                continue
            if op.id and op.id not in found:  # the row is gone since: its document goes too
                self._remove(plan, [op.id], result, pending, earlier)
                done.add(op.id)
        removes = [op for op in previous.pending if op.kind == "remove"]
        rows_removed = [op.id for op in removes if op.doctype == RECORD_TYPE and op.id not in done]
        # never sent blind: a row restored since (same key, old timestamps) is put, not removed
        back = live_rows(self.run, plan, set(rows_removed))
        if back:
            done |= self._feed_live(plan, list(back.values()), result, pending, indexed, earlier)
        rows_removed = [i for i in rows_removed if i not in back]
        self._remove(plan, rows_removed, result, pending, earlier)
        done |= set(rows_removed)
        others = [removal(op.doctype, op.id, plan.name) for op in removes if op.doctype != RECORD_TYPE]
        self._remove_file_documents(others, pending, earlier)
        return done

    # -- one table
    def sync_table(self, plan: TablePlan, previous: TableSyncState | None) -> tuple[TableSync, TableSyncState]:
        """One table (`_strategy`); the keys the index holds (integer-keyed tables with change
        columns) are kept beside the state when the table is done."""
        ranged = changes.integer_key(plan) is not None and bool(plan.change_columns)
        self.keys = IndexedKeys.load(self.run.options.state_dir, plan.name) if ranged else None
        try:
            result, state = self._strategy(plan, previous)
        finally:
            keys, self.keys = self.keys, None
        if keys is not None and state.bounds == keys.bounds:
            keys.save(self.run.options.state_dir, plan.name)
        else:  # no integer key (any more), or not rebuilt: the next cycle lists ids and rebuilds
            IndexedKeys.forget(self.run.options.state_dir, plan.name)
            if keys is None:
                state.bounds = None
        return result, state

    def _strategy(self, plan: TablePlan, previous: TableSyncState | None) -> tuple[TableSync, TableSyncState]:
        """One table, by the first strategy that applies: full load, unchanged, cursor or digest pass."""
        if previous is None:
            return self.full_load(plan, None, "new table")
        documents = changes.documents_fingerprint(plan)
        if previous.documents is None:  # a state from before it was kept
            previous = replace(previous, documents=documents)
        if not previous.digests_keyed:  # a format-2 state: its rows' unkeyed md5s, keyed here
            previous = replace(previous, recent=changes.rekey_recent(plan, previous.recent))
        if previous.labels is None:  # likewise
            previous = replace(previous, labels=changes.labels_fingerprint(plan))
        reason = self._full_load_reason(plan, previous, documents)
        if reason is not None:
            return self.full_load(plan, previous, reason)
        activity = changes.table_activity(self.run.conn, plan)
        keyed = changes.integer_key(plan) is not None and bool(plan.change_columns)
        if keyed and previous.bounds is not None and self.keys is not None and self.keys.bounds == previous.bounds:
            return self.ranged_pass(plan, previous, activity)
        if keyed:
            self.keys = None  # kept keys missing or of other ranges: _begin_pass lists ids once and keeps them
        elif self.trust_counters and not previous.pending and self._untouched(plan, previous, activity):
            return self.unchanged(plan, previous)
        if previous.mode == "cursor":
            return self.cursor_pass(plan, previous, activity)
        return self.digest_pass(plan, previous, activity)

    @staticmethod
    def _full_load_reason(plan: TablePlan, previous: TableSyncState, documents: str) -> str | None:
        """Why the table must be read in full this cycle, or None when an incremental pass will do."""
        if previous.columns != changes.columns_fingerprint(plan):
            return "columns changed"
        if previous.documents != documents:
            return "what its documents show changed (relationships, file references, names, document format)"
        if previous.pending_overflow:
            return f"{previous.pending_overflow:,} operations were pending, more than are kept one by one"
        if previous.labels != changes.labels_fingerprint(plan):
            return "table comment or enum labels changed"
        if any(op.key is None and op.kind == "put" for op in previous.pending):
            return "rows of a table without a usable key are pending"
        return None

    def full_load(self, plan: TablePlan, previous: TableSyncState | None,
                  reason: str) -> tuple[TableSync, TableSyncState]:
        """Every row put again, then the index's ids made equal to the table's keys."""
        conn = self.run.conn
        result = TableSync(plan.name, mode="full", reason=reason)
        pending = _Pending(plan.name, self.options.max_pending)
        state = sync_state(changes.baseline(conn, plan, self.options.overlap_s))
        listed = self.run.sink.list_ids(RECORD_TYPE, NAMESPACE, plan.name)
        self.keys = self._kept_keys(plan, state.bounds, listed)
        begin_snapshot(conn)
        fed: set[str] = set()
        for rows in changes.changed_rows(conn, plan, {}, 0, self.options.batch_size):  # no watermark: every row
            fed |= self._feed_rows(plan, [r.values for r in rows], result, pending, listed)
        conn.rollback()
        self._reconcile(plan, result, listed, fed, pending)  # ids of rows gone meanwhile
        if previous is not None:  # operations of other document types still pending
            earlier = {(op.doctype, op.id): op for op in previous.pending if op.doctype != RECORD_TYPE}
            self._remove_file_documents([removal(d, i, plan.name) for d, i in earlier], pending, earlier)
        return result, self._bookkeeping(state, result, pending, state.fingerprint[0] if state.fingerprint else 0)

    def unchanged(self, plan: TablePlan, previous: TableSyncState) -> tuple[TableSync, TableSyncState]:
        """Nothing written since the last cycle: no row is read, only (cursor mode) one slice of
        the content check while some slice has not been compared since the last write."""
        result = TableSync(plan.name, mode=previous.mode)
        pending = _Pending(plan.name, self.options.max_pending)
        state = replace(previous)
        if previous.mode == "cursor" and state.checks_since_write < changes.CHECK_SLICES:
            # nothing written since the last cycle, but some slice has not been compared
            # since the last write: a change no cursor saw may still hide there
            begin_snapshot(self.run.conn)
            self._content_check(plan, state, previous.records, set(), result, pending, None)
            self.run.conn.rollback()
        return result, self._bookkeeping(state, result, pending, previous.records)

    def cursor_pass(self, plan: TablePlan, previous: TableSyncState,
                    activity: list[Any] | None) -> tuple[TableSync, TableSyncState]:
        """Rows past the watermarks minus the overlap (those re-read unchanged are skipped),
        then one slice of the content check."""
        step, maxima = self._begin_pass(plan, previous, activity, "cursor", changes.column_maxima)
        recent: dict[str, str] = {}
        for rows in changes.changed_rows(self.run.conn, plan, previous.watermarks, self.options.overlap_s,
                                         self.options.batch_size, new_watermarks=maxima):
            fresh = []
            for r in rows:
                key = changes.recent_key(plan, r.digest, r.values)
                if r.in_window:  # only rows the next cycle will read again are remembered
                    recent[key] = r.digest
                if previous.recent.get(key) != r.digest:  # re-read in the overlap but unchanged: skip
                    fresh.append(r.values)
            step.fed |= self._feed_rows(plan, fresh, step.result, step.pending, step.indexed)
        step.state.watermarks = {**previous.watermarks, **{c: v for c, v in maxima.items() if v is not None}}
        step.state.recent = recent
        step.fed |= self._content_check(plan, step.state, step.fingerprint.count, step.fed, step.result,
                                        step.pending, step.indexed)
        return self._end_pass(plan, step)

    def digest_pass(self, plan: TablePlan, previous: TableSyncState,
                    activity: list[Any] | None) -> tuple[TableSync, TableSyncState]:
        """The rows of the key-range buckets whose digest moved since the last cycle."""
        buckets = previous.buckets or changes.MIN_BUCKETS
        def read(cur: Any, plan: TablePlan) -> tuple[dict[str, str], dict[str, str]]:
            keyed = changes.bucket_digests(cur, plan, buckets)
            # a format-2 state holds unkeyed digests: compared the old way, this once
            return keyed, (keyed if previous.digests_keyed else changes.bucket_digests(cur, plan, buckets, unkeyed=True))

        step, (digests, comparable) = self._begin_pass(plan, previous, activity, "digest", read)
        old = previous.digests
        moved = sorted(int(b) for b in set(old) | set(comparable) if old.get(b) != comparable.get(b))
        if moved:
            for rows in changes.rows_in_buckets(self.run.conn, plan, buckets, moved, self.options.batch_size):
                step.fed |= self._feed_rows(plan, [r.values for r in rows], step.result, step.pending, step.indexed)
        step.state.digests = digests
        return self._end_pass(plan, step)

    def _begin_pass(self, plan: TablePlan, previous: TableSyncState, activity: list[Any] | None,
                    mode: SyncMode, read: Callable[[Any, TablePlan], _Read]) -> tuple[_Pass, _Read]:
        """What both incremental passes start with, in one snapshot: the key fingerprint and
        `read` (the watermarks' maxima or the buckets' digests), the index's ids when the key
        set moved, and the operations earlier cycles left pending."""
        conn = self.run.conn
        state = replace(previous, checks_since_write=0, activity=activity, digests_keyed=True)
        begin_snapshot(conn)
        with conn.cursor() as cur:
            fingerprint = changes.key_fingerprint(cur, plan)
            seen = read(cur, plan)
        conn.rollback()  # what follows lists Vespa and feeds: no snapshot is held meanwhile
        # The key set moved (inserts or deletes): list what the index holds for this table.
        # An integer-keyed table with change columns whose kept keys are missing lists it once
        # and keeps its keys (and key ranges) from then on.
        rebuild = changes.integer_key(plan) is not None and bool(plan.change_columns)
        keys_moved = fingerprint.to_json() != previous.fingerprint or rebuild
        indexed = self.run.sink.list_ids(RECORD_TYPE, NAMESPACE, plan.name) if keys_moved else None
        if rebuild and indexed is not None:
            with conn.cursor() as cur:
                state.bounds, state.digests = changes.range_baseline(cur, plan, fingerprint.count)
            state.buckets, state.checked_phases = len(state.bounds) + 1, list(range(slices_of(state)))
            self.keys = self._kept_keys(plan, state.bounds, indexed)
            conn.rollback()  # as above: no snapshot held while Vespa is waited on
        step = _Pass(TableSync(plan.name, mode=mode), state, _Pending(plan.name, self.options.max_pending), fingerprint, indexed)
        step.fed = self._retry_pending(plan, previous, step.result, step.pending, indexed)
        return step, seen

    def _end_pass(self, plan: TablePlan, step: _Pass) -> tuple[TableSync, TableSyncState]:
        """The snapshot ended; ids made equal to keys when the key set moved; the state recorded."""
        self.run.conn.rollback()
        if step.indexed is not None:
            self._reconcile(plan, step.result, step.indexed, step.fed, step.pending)
        step.state.fingerprint = step.fingerprint.to_json()
        return step.result, self._bookkeeping(step.state, step.result, step.pending, step.fingerprint.count)

    # -- integer-keyed tables with change columns: key ranges and kept keys
    @staticmethod
    def _kept_keys(plan: TablePlan, bounds: list[int] | None, listed: set[str]) -> IndexedKeys | None:
        """The keys of the ids just listed from the index, to be kept from now on (None: the
        table has no key ranges)."""
        if bounds is None or changes.integer_key(plan) is None:
            return None
        return IndexedKeys(bounds, keys_of_ids(listed))

    def ranged_pass(self, plan: TablePlan, previous: TableSyncState,
                    activity: list[Any] | None) -> tuple[TableSync, TableSyncState]:
        """A table whose key is one integer column and whose index keys are kept. Cost follows
        the change: nothing written (trusted counters) -> no row read but at most a slice of the
        content check; otherwise the cursor's rows, and the key set is compared only when the
        counters do not explain it by the inserts the cursor found (a delete, a key change,
        counters not trusted): key ranges' digests in the database against the kept ones, then
        keys compared in the ranges that differ. The index is never listed."""
        conn, keys, state = self.run.conn, self.keys, replace(previous)
        assert keys is not None and previous.bounds is not None
        result, pending = TableSync(plan.name, mode="cursor"), _Pending(plan.name, self.options.max_pending)
        if self.trust_counters and not previous.pending and previous.fingerprint is not None \
                and self._untouched(plan, previous, activity):
            if state.checks_since_write < slices_of(state):
                begin_snapshot(conn)
                self._content_check(plan, state, len(keys), set(), result, pending, None)
                conn.rollback()
            state.fingerprint = keys.fingerprint()
            return result, self._bookkeeping(state, result, pending, len(keys))
        state.checks_since_write, state.activity = 0, activity
        begin_snapshot(conn)
        with conn.cursor() as cur:
            maxima = changes.column_maxima(cur, plan)
        fed = self._retry_pending(plan, previous, result, pending, None)
        recent: dict[str, str] = {}
        for rows in changes.changed_rows(conn, plan, previous.watermarks, self.options.overlap_s,
                                         self.options.batch_size, new_watermarks=maxima):
            fresh = []
            for r in rows:
                key = changes.recent_key(plan, r.digest, r.values)
                if r.in_window:
                    recent[key] = r.digest
                if previous.recent.get(key) != r.digest:
                    fresh.append(r.values)
            fed |= self._feed_rows(plan, fresh, result, pending, None)
        state.watermarks = {**previous.watermarks, **{c: v for c, v in maxima.items() if v is not None}}
        state.recent = recent
        if not self._keys_explained(previous.activity, activity, result.inserted):
            fed |= self._locate_key_changes(plan, previous.bounds, fed, result, pending)
        fed |= self._content_check(plan, state, len(keys), fed, result, pending, None)
        fed |= self._rebalance(plan, state, fed, result, pending)
        conn.rollback()
        state.fingerprint = self.keys.fingerprint() if self.keys is not None else None
        return result, self._bookkeeping(state, result, pending, len(keys))

    def _rebalance(self, plan: TablePlan, state: TableSyncState, fed: set[str], result: TableSync,
                   pending: _Pending) -> set[str]:
        """Ranges cut at the full load stop fitting a table that grew (new keys all land in the
        last range, ids being sequences): when one range holds REBALANCE times its share, the
        ranges are cut again (one ordered pass over the key, every range's row digests taken
        again in the same snapshot), so a range keeps costing what a range should. New digests
        would absorb a change no cursor saw and no slice has compared yet, so first every range
        with a recorded digest is compared as the content check would (another pass over the
        table, like the cut itself) and the ranges that moved are fed again."""
        keys = self.keys
        assert keys is not None and state.bounds is not None
        share = max(changes.ROWS_PER_BUCKET, len(keys) // changes.MAX_BUCKETS)
        largest = max((int(d.split(":")[0]) for d in keys.digests().values()), default=0)
        if largest <= REBALANCE * share:
            return set()
        bounds, slices = state.bounds, slices_of(state)
        recorded: set[int] = set()
        for phase in state.checked_phases:
            run = changes.check_slice(bounds, phase, slices)
            if run is not None:
                recorded.update(range(run[0], run[1] + 1))
        with self.run.conn.cursor() as cur:
            now = changes.range_row_digests(cur, plan, bounds, 0, len(bounds))
        self.run.conn.rollback()  # the rows of moved ranges are read a page at a time, then fed
        moved = sorted(r for r in recorded if state.digests.get(str(r)) != now.get(str(r)))
        done = self._feed_moved_ranges(plan, bounds, moved, fed, result, pending)
        begin_snapshot(self.run.conn)
        with self.run.conn.cursor() as cur:
            state.bounds, state.digests = changes.range_baseline(cur, plan, len(keys))
        state.buckets, state.checked_phases = len(state.bounds) + 1, list(range(slices_of(state)))
        self.keys = IndexedKeys(state.bounds, self.keys.keys_in_all() if self.keys is not None else ())
        return done

    def _keys_explained(self, before: list[Any] | None, after: list[Any] | None, inserted: int) -> bool:
        """The key set moved only by the inserts the cursor found: trusted counters show no
        delete since the last cycle, as many inserts as new keys were fed, the same file node
        (no TRUNCATE). A key changed by an UPDATE shows as a new key with no insert: not explained."""
        if not self.trust_counters or before is None or after is None or len(before) != len(after):
            return False
        ins, _upd, dels, _live, node = (a - b for a, b in zip(after, before, strict=True))
        return dels == 0 and node == 0 and ins == inserted

    def _locate_key_changes(self, plan: TablePlan, bounds: list[int], fed: set[str], result: TableSync,
                            pending: _Pending) -> set[str]:
        """Where the live keys differ from the kept ones, found by key ranges: one pass over the
        key column computes every range's digest in the database (no row leaves it); only the
        ranges whose digest differs from the kept keys' have their keys read and compared: what
        the index holds and the table does not is removed, what it lacks is fed."""
        conn, keys = self.run.conn, self.keys
        assert keys is not None
        column = str(changes.integer_key(plan))
        with conn.cursor() as cur:
            database = changes.key_range_digests(cur, plan, bounds)
            kept = keys.digests()
            moved = sorted(int(r) for r in set(database) | set(kept) if database.get(r) != kept.get(r))
            present = changes.keys_in_key_ranges(cur, plan, bounds, moved)
        conn.rollback()  # what follows removes and feeds: no snapshot is held while Vespa answers
        indexed = set().union(*(keys.keys_in_range(r) for r in moved)) if moved else set()
        id_of = self.builders[plan.name].document_id
        gone = [id_of({column: k}) for k in sorted(indexed - present)]
        gone = [i for i in gone if i not in fed]
        self._remove(plan, gone, result, pending)
        done = set(gone)
        missing = [[k] for k in sorted(present - indexed)]
        for rows in changes.rows_by_keys(conn, plan, missing, self.options.batch_size):
            done |= self._feed_rows(plan, [r.values for r in rows], result, pending, None)
        return done

    def _range_check(self, plan: TablePlan, state: TableSyncState, fed: set[str], result: TableSync,
                     pending: _Pending) -> set[str]:
        """The content check of a table with key ranges: the slice is a run of ranges read with
        `lo <= key < hi` through the key's index (cost: the slice, at most about
        `SyncOptions.check_rows` rows: a big table is cut into more slices, `changes.check_slices`);
        in ranges whose digest moved, rows are fed again and keys the index holds but the table
        no longer has are removed."""
        conn, keys = self.run.conn, self.keys
        assert keys is not None and state.bounds is not None
        bounds = state.bounds
        slices = changes.check_slices(len(keys), len(bounds) + 1, self.options.check_rows)
        if slices != slices_of(state):
            recut_slices(state, slices)
        phase = state.check_phase % slices
        ranges = changes.check_slice(bounds, phase, slices)
        now: dict[str, str] = {}
        if ranges is not None:
            with conn.cursor() as cur:
                now = changes.range_row_digests(cur, plan, bounds, *ranges)
            conn.rollback()  # the rows of moved ranges are read a page at a time, then fed
        inside = (lambda r: ranges[0] <= int(r) <= ranges[1]) if ranges is not None else (lambda r: False)
        before = {r: d for r, d in state.digests.items() if inside(r)}
        moved = (sorted(int(r) for r in set(before) | set(now) if before.get(r) != now.get(r))
                 if phase in state.checked_phases else [])
        done = self._feed_moved_ranges(plan, bounds, moved, fed, result, pending)
        state.digests = {**{r: d for r, d in state.digests.items() if not inside(r)}, **now}
        state.checked_phases = sorted(set(state.checked_phases) | {phase})
        state.check_phase = (phase + 1) % slices
        state.checks_since_write += 1
        return done

    def _feed_moved_ranges(self, plan: TablePlan, bounds: list[int], moved: list[int], fed: set[str],
                           result: TableSync, pending: _Pending) -> set[str]:
        """The rows of the key ranges `moved` fed again (re-puts: counted as `rechecked`) and
        the keys the index holds there but the table no longer has removed. Returns the ids."""
        keys, column = self.keys, str(changes.integer_key(plan))
        assert keys is not None
        again: set[str] = set()
        seen: set[int] = set()
        for rows_ in changes.rows_in_key_ranges(self.run.conn, plan, bounds, moved, self.options.batch_size):
            seen |= {r.values[column] for r in rows_ if not plan.is_soft_deleted(r.values)}
            fresh = [r.values for r in rows_ if self.builders[plan.name].document_id(r.values) not in fed]
            counted = TableSync(plan.name)  # re-puts are idempotent: not the cycle's inserts or updates
            again |= self._feed_rows(plan, fresh, counted, pending, None)
            result.rechecked += counted.fed + counted.removed
            result.failed += counted.failed
        id_of = self.builders[plan.name].document_id
        stale = [id_of({column: k}) for r in moved for k in sorted(keys.keys_in_range(r) - seen)]
        stale = [i for i in stale if i not in fed and i not in again]
        self._remove(plan, stale, result, pending)
        return again | set(stale)

    def _content_check(self, plan: TablePlan, state: TableSyncState, rows: int, fed: set[str],
                       result: TableSync, pending: _Pending, indexed: set[str] | None) -> set[str]:
        """What no cursor can see (a transaction open longer than the overlap, a change column
        moved backwards or left NULL, a hand edit that moved no timestamp): one slice of the
        table's key-range buckets is digested in the database per cycle and compared with its
        digests of CHECK_SLICES cycles ago; the rows of buckets that moved are fed again (rows
        legitimately updated meanwhile move their bucket too: at most a slice of re-puts, counted
        as `rechecked`, not as updates)."""
        if state.bounds is not None and self.keys is not None:
            return self._range_check(plan, state, fed, result, pending)
        # Hash buckets keep CHECK_SLICES slices whatever the row budget: a slice is chosen by a
        # hash of the key, so every cycle scans the whole table anyway; more slices would only
        # spare part of the row hashing and lengthen the guarantee.
        conn = self.run.conn
        state.buckets = state.buckets or changes.bucket_count(rows)
        phase = state.check_phase % changes.CHECK_SLICES
        with conn.cursor() as cur:
            now = changes.bucket_slice_digests(cur, plan, state.buckets, changes.CHECK_SLICES, phase)
        before = {b: d for b, d in state.digests.items() if int(b) % changes.CHECK_SLICES == phase}
        moved = (sorted(int(b) for b in set(before) | set(now) if before.get(b) != now.get(b))
                 if phase in state.checked_phases else [])
        again: set[str] = set()
        for rows_ in changes.rows_in_buckets(conn, plan, state.buckets, moved, self.options.batch_size):
            fresh = [r.values for r in rows_ if self.builders[plan.name].document_id(r.values) not in fed]
            counted = TableSync(plan.name)  # re-puts are idempotent: not the cycle's inserts or updates
            again |= self._feed_rows(plan, fresh, counted, pending, indexed)
            result.rechecked += counted.fed + counted.removed
            result.failed += counted.failed
        state.digests = {**{b: d for b, d in state.digests.items() if int(b) % changes.CHECK_SLICES != phase}, **now}
        state.checked_phases = sorted(set(state.checked_phases) | {phase})
        state.check_phase = (phase + 1) % changes.CHECK_SLICES
        state.checks_since_write += 1
        return again

    def _untouched(self, plan: TablePlan, previous: TableSyncState, activity: list[Any] | None) -> bool:
        """Nothing written since the last cycle, so no row needs reading: PostgreSQL's write
        counters have not moved and (tables with change columns) neither have the maxima of
        the indexed ones (one index entry each; an unindexed column's max() would scan the
        table, so it is left to the counters). The counters are published when a writing
        session ends or idles (within ~10 s), so a change may be seen one cycle later; nothing
        is lost, since the state does not move while the table is skipped."""
        if activity is None or activity != previous.activity or previous.fingerprint is None:
            return False
        if previous.mode != "cursor":
            return True
        conn = self.run.conn
        with conn.cursor() as cur:
            maxima = changes.column_maxima(cur, plan, only_indexed=True)
        conn.rollback()
        return all(v is None or previous.watermarks.get(c) == v for c, v in maxima.items())

    def _reconcile(self, plan: TablePlan, result: TableSync, indexed: set[str], fed: set[str],
                   pending: _Pending) -> None:
        """Make the table's ids in the index equal to its live keys in the database: remove
        what is gone, feed what is missing (and was not just fed)."""
        difference = reconcile_ids(self.run, plan, indexed, fed)
        self.run.conn.rollback()  # the removes wait on Vespa: no snapshot held meanwhile
        self._remove(plan, difference.gone, result, pending)
        missing = [difference.missing[i] for i in sorted(difference.missing)]
        self._feed_live(plan, missing, result, pending, indexed)
        self.run.conn.rollback()

    def _feed_live(self, plan: TablePlan, found: list[dict[str, Any]], result: TableSync, pending: _Pending,
                   indexed: set[str] | None,
                   earlier: dict[tuple[str, str], PendingOperation] | None = None) -> set[str]:
        """Put the live rows `found` by a key scan (their key columns; keyless: whole rows, fed
        as they are), read whole by key in the open transaction. Returns the ids put."""
        if not found:
            return set()
        if not plan.key_columns:
            return self._feed_rows(plan, found, result, pending, indexed, earlier)
        keys = [[key_to_json(row[k]) for k in plan.key_columns] for row in found]
        done: set[str] = set()
        for rows in changes.rows_by_keys(self.run.conn, plan, keys, self.options.batch_size):
            done |= self._feed_rows(plan, [r.values for r in rows], result, pending, indexed, earlier)
        return done

    @staticmethod
    def _bookkeeping(state: TableSyncState, result: TableSync, pending: _Pending, records: int) -> TableSyncState:
        result.records = records
        state.pending, state.pending_overflow = list(pending.ops.values()), pending.overflow
        result.pending = state.pending_total
        if pending.overflow:
            logger.error("%s: %d operations Vespa did not acknowledge, more than the %d kept one by one: "
                         "the table is reloaded in full next cycle", result.name, pending.overflow, pending.limit)
        if state.pending_total:  # the next cycle lists ids again: nothing is assumed about the index
            state.fingerprint = None
        state.synced_at, state.records, state.changes = utc_now(), records, result.changes
        state.inserted, state.updated, state.removed = result.inserted, result.updated, result.removed
        state.failed, state.status, state.error, state.failed_at = result.failed, "ok", None, None
        return state


def slices_of(state: TableSyncState) -> int:
    """The slices the table's content check is cut into (states before `check_slices`: 12)."""
    return state.check_slices or changes.CHECK_SLICES


def recut_slices(state: TableSyncState, slices: int) -> None:
    """Cut the content check of a table with key ranges into `slices` slices (the table grew
    or shrank past the row budget). Its digests are kept per range, so a range recorded under
    the old cut is still compared with what it holds now: a new slice counts as recorded when
    every range in it was, and nothing else is compared (no false change, no missed one). The
    next slice starts where the old one would have; the check runs `slices` cycles from here,
    so every range is compared within them."""
    bounds = state.bounds or []
    old = slices_of(state)
    recorded: set[int] = set()
    for phase in state.checked_phases:
        run = changes.check_slice(bounds, phase, old)
        if run is not None:
            recorded.update(range(run[0], run[1] + 1))
    runs = {phase: changes.check_slice(bounds, phase, slices) for phase in range(slices)}
    state.checked_phases = [phase for phase, run in runs.items()
                            if run is None or recorded.issuperset(range(run[0], run[1] + 1))]
    following = changes.check_slice(bounds, state.check_phase % old, old)
    size = -(-(len(bounds) + 1) // slices)
    state.check_phase = (following[0] // size) if following is not None else 0
    state.check_slices, state.checks_since_write = slices, 0


def run_cycle(options: SyncOptions, cancel: threading.Event | None = None, *,
              target_locked: bool = False) -> CycleResult:
    """One sync cycle over every table in scope. Raises DatabaseConnectionError or
    VespaConnectionError when either is unreachable, TargetBusyError / StateBusyError when
    another run holds the target or the state store; per-table failures are in the result. `target_locked`: the caller (the daemon)
    holds the target's lock for its whole life."""
    cancel = cancel or threading.Event()
    started, clock = utc_now(), time.monotonic()
    job_id = "sync-" + datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    with RunContext.open(options, job_id, target_locked=target_locked) as run:
        checkpoints = run.load_checkpoints()  # started over when kept for another target or database
        try:
            results, dropped = _sync_tables(run, options, checkpoints, cancel)
        except psycopg2.Error as exc:  # outside any one table: the session itself failed
            raise DatabaseConnectionError(f"database error during the sync cycle: {db.first_line(exc)}") from None
        finished = utc_now()
        meta = checkpoints.cycle
        meta.last_cycle_started, meta.last_cycle_finished = started, finished
        meta.last_cycle_changes = sum(r.changes for r in results.values())
        meta.last_cycle_errors = sum(1 for r in results.values() if r.status != "ok")
        meta.last_cycle_failed_records = sum(r.failed for r in results.values())
        meta.database, meta.vespa = run.description["database"], run.description["vespa"]
        pending = {name: entry.sync.pending_total for name, entry in checkpoints.tables.items()
                   if entry.sync and entry.sync.pending_total}
        pending.update({name: len(ops) for name, ops in checkpoints.dropped.items() if ops})
        if checkpoints.schema.pending:
            pending["(schema documents)"] = len(checkpoints.schema.pending)
        meta.last_cycle_pending = sum(pending.values())
        run.store.save_checkpoints(checkpoints)
    return CycleResult(started, finished, time.monotonic() - clock, results, dropped, job_id,
                       run.file_counts if options.files else None, pending)


def _sync_tables(run: RunContext, options: SyncOptions, checkpoints: Checkpoints,
                 cancel: threading.Event) -> tuple[dict[str, TableSync], list[str]]:
    """Every table in scope, then tables that disappeared: what each table's sync did, and the
    tables found dropped."""
    in_recovery, epoch = changes.server_state(run.conn)
    trust = not in_recovery and epoch == checkpoints.cycle.stats_reset
    if not trust:
        logger.info("PostgreSQL's write counters are not trusted this cycle (%s): every table is read",
                    "a hot standby does not count replayed writes" if in_recovery else
                    "first cycle, or the statistics were reset or the server restarted since the last one")
    checkpoints.cycle.stats_reset, checkpoints.cycle.in_recovery = epoch, in_recovery
    schema, plans = run.load_plans(reuse=True)
    cycle = _Cycle(run, options, cancel, plans, trust_counters=trust)
    results: dict[str, TableSync] = {}
    for plan in plans:
        if cancel.is_set():
            break
        try:
            results[plan.name] = _sync_table(run, cycle, plan, checkpoints)
        except JobCancelled:
            run.rollback()
            break
        run.store.save_checkpoints(checkpoints)  # each table's progress survives a crash
    if not cancel.is_set():
        try:
            _refeed_context(run, cycle, plans, checkpoints, results)
        except (psycopg2.Error, VespaConnectionError) as exc:
            lost = run.connection_lost(exc, "while re-feeding rows whose context moved")
            if lost is not None:
                raise lost from None
            logger.error("Re-feeding rows whose context moved failed (tried again next cycle): %s",
                         db.first_line(exc) if isinstance(exc, psycopg2.Error) else exc)
            run.rollback()
        run.store.save_checkpoints(checkpoints)
    # after the tables: the schema documents carry the row counts this cycle found
    _sync_schema_documents(run, schema, plans, checkpoints)
    if options.tables or cancel.is_set():
        return results, []
    return results, _remove_dropped_tables(run, schema, checkpoints)


def _sync_table(run: RunContext, cycle: _Cycle, plan: TablePlan, checkpoints: Checkpoints) -> TableSync:
    """One table's cycle, its state updated in `checkpoints`; a failure of the table alone (not
    of the session) is recorded in its state and result."""
    entry = checkpoints.table(plan.name)
    try:
        result, entry.sync = cycle.sync_table(plan, entry.sync)
        return result
    except (psycopg2.Error, VespaConnectionError) as exc:
        lost = run.connection_lost(exc, f"during {plan.name}")
        if lost is not None:
            raise lost from None
        message = db.first_line(exc) if isinstance(exc, psycopg2.Error) else str(exc)
        state = entry.sync or TableSyncState(columns=None)
        state.status, state.error, state.failed_at = "failed", message, utc_now()
        entry.sync = state
        logger.error("Sync of %s failed: %s", plan.name, message)
        run.rollback()
        return TableSync(plan.name, status="failed", error=message,
                         error_source="database" if isinstance(exc, psycopg2.Error) else "vespa")


def _remove_dropped_tables(run: RunContext, schema: SchemaMap, checkpoints: Checkpoints) -> list[str]:
    """The documents of tables the state knows and the database no longer has are removed
    (what Vespa does not acknowledge stays in `checkpoints.dropped`); returns those tables."""
    known = {t.qualified_name for t in schema.tables}
    gone = [n for n in checkpoints.tables if n not in known] + [
        n for n in checkpoints.dropped if n not in known and n not in checkpoints.tables]
    for name in gone:
        entry = checkpoints.tables.pop(name, None)
        earlier = (entry.sync.pending if entry and entry.sync else []) + checkpoints.dropped.pop(name, [])
        left = drop_table(run, name, earlier)
        if left:
            checkpoints.dropped[name] = left
        run.store.save_checkpoints(checkpoints)
    return gone


def _refeed_context(run: RunContext, cycle: _Cycle, plans: list[TablePlan], checkpoints: Checkpoints,
                    results: dict[str, TableSync]) -> None:
    """Keep context true: the rows whose context shows a row whose name (or, for a link passing
    through it, its next link) changed, appeared or disappeared since the last cycle are fed
    again, through the pending/retry machinery of their table. A row merely rewritten (the
    Procore mirror moves `last_synced_at`) moves no digest and costs no re-feed; what is re-fed
    is the rows affected, found by key (`= ANY`), never the whole dependent table."""
    # a planned table none of whose rows changed this cycle shows the same names as before: not
    # read (the Procore mirror's rewrites do count as changes; their digests just do not move)
    quiet = {p.name for p in plans if p.name in results and results[p.name].status == "ok"
             and not (results[p.name].changes or results[p.name].failed or results[p.name].rechecked
                      or results[p.name].mode == "full")}
    targets = {t.name for t in context_targets(plans)}
    if targets <= quiet and run.store.has_context_names():
        return  # a quiet cycle: nothing any context shows can have moved
    before = run.store.load_context_names()
    now = record_context_names(run, plans, before, keep=quiet, save=False)  # saved once the rows are fed
    moved: dict[tuple[str, str], set[str]] = {}
    for name, by_column in now.items():
        for column, digests in by_column.items():
            old = before.get(name, {}).get(column)
            if old is None:  # new target (first cycle, or a new link): its dependents are fed in full anyway
                continue
            keys = {k for k in old.keys() | digests.keys() if old.get(k) != digests.get(k)}
            if keys:
                moved[(name, column)] = keys
    if moved:
        _feed_dependents(run, cycle, plans, moved, checkpoints, results)
    if now != before:
        run.store.save_context_names(now)


def _feed_dependents(run: RunContext, cycle: _Cycle, plans: list[TablePlan], moved: dict[tuple[str, str], set[str]],
                     checkpoints: Checkpoints, results: dict[str, TableSync]) -> None:
    for plan in plans:
        if not plan.context_links:
            continue
        begin_snapshot(run.conn)
        rows = dependent_rows(run.conn, plan, moved)
        if rows:
            entry = checkpoints.table(plan.name)
            result = results.setdefault(plan.name, TableSync(plan.name))
            pending = _Pending(plan.name, cycle.options.max_pending)
            state = entry.sync
            if state is not None:
                pending.ops = {(op.doctype, op.id): op for op in state.pending}
            for start in range(0, len(rows), cycle.options.batch_size):
                cycle.feed_rows(plan, rows[start:start + cycle.options.batch_size], result, pending, None)
            if state is not None:
                state.pending = list(pending.ops.values())
                result.pending = len(state.pending)
                if state.pending:  # the next cycle lists ids again: nothing is assumed about the index
                    state.fingerprint = None
            logger.info("%s: %d rows fed again: the names their context shows moved", plan.name, len(rows))
        run.conn.rollback()


def _sync_schema_documents(run: RunContext, schema: SchemaMap, plans: list[TablePlan],
                           checkpoints: Checkpoints) -> None:
    """Re-feed the procore_schema_metadata documents when the schema they describe moved, or
    when some of them were not acknowledged last time; else only those whose `row_count`
    moved (each table's live rows as its last cycle counted them) and the database's."""
    counts = {p.name: entry.sync.records for p in plans
              if (entry := checkpoints.tables.get(p.name)) and entry.sync and entry.sync.synced_at}
    docs = schema_documents(schema, plans, counts)
    fingerprint = schema_fingerprint(docs)  # without row counts (SCHEMA_VOLATILE)
    state = checkpoints.schema
    if state.fingerprint != fingerprint or state.pending:
        send = docs
    else:
        moved = {name for name, count in counts.items() if state.row_counts.get(name) != count}
        send = [d for d in docs if d.table in moved or not d.table] if moved else []
    if not send:
        return
    result = run.feed(send)
    earlier = {op.id: op for op in state.pending}
    state.pending = [PendingOperation("put", SCHEMA_TYPE, f.id, f.table, None, f.status, f.message,
                                      attempts=earlier[f.id].attempts + 1 if f.id in earlier else 1)
                     for f in result.failures]
    if not result.failures:
        state.fingerprint, state.fed_at, state.row_counts = fingerprint, utc_now(), counts
