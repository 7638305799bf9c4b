"""Prove the index equals the database, row by row, and (`repair`) make it so.

Per table in scope (`--tables`/`--exclude` as for sync):

    the index's documents of the table   visited a page at a time; kept as 16 bytes each
                                         (pipeline/digests.py: id hash + content digest)
    the table's live rows                read in key order from one snapshot (server-side
                                         cursor, worker processes as ingestion uses), each
                                         rendered as sync would render it now and digested
    row without document                 missing
    document whose digest differs        stale (fields compared as Vespa keeps them, without
                                         ingested_at; never their text in memory)
    document without live row            extra (soft-deleted rows are not live unless
                                         keep_soft_deleted), named by a second visit of ids
    the sync state's pending operations  pending

plus the procore_schema_metadata documents of the tables in scope, and (no table filter) the
documents of tables that no longer exist: those the sync state knows and any other the index
holds (`removals.tables_in_index`: one visit of the ids), so a new state directory misses none. Only ids are reported, never row values.

`repair`: what is missing or stale is fed, what is extra removed, through the run's sink
(failures go to the job's failure log, and into the sync state as pending operations the next
cycle retries), then everything is verified again: the report is that second pass, with the
first one and the repair's counts beside it.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

import psycopg2

from .. import database as db
from ..discovery.model import SchemaMap
from ..documents.record import (
    NAMESPACE,
    RECORD_TYPE,
    RECORD_VOLATILE,
    SCHEMA_NAMESPACE,
    SCHEMA_TYPE,
    SCHEMA_VOLATILE,
    FeedDocument,
    content_digest,
    schema_documents,
)
from ..errors import (
    EXIT_OK,
    EXIT_PARTIAL,
    DatabaseConnectionError,
    JobCancelled,
)
from ..indexed_keys import IndexedKeys
from ..logs import logger
from ..plan import TablePlan
from ..source.reader import count_rows
from ..state import Checkpoints, PendingOperation, utc_now
from ..vespa.sink import FeedResult, RemoveOp
from .build import BuildPool, BuiltBatch, RangeReadError, serial_batches
from .digests import MISSING, STALE, DigestIndex
from .removals import removal, tables_in_index
from .run import RunContext, RunOptions

SAMPLE_IDS = 5  # ids named per kind of difference and table


def _key_of(doc_id: str) -> int | None:
    """The integer key in a row's id (`table:key`), None for another kind of id."""
    try:
        return int(doc_id.rsplit(":", 1)[1])
    except (IndexError, ValueError):
        return None


@dataclass
class VerifyOptions(RunOptions):
    repair: bool = False
    processes: int = 1  # that read and render rows (1: this one); the script uses one per CPU
    sample: int = SAMPLE_IDS


@dataclass
class TableVerify:
    """One table: the database and the index compared."""

    name: str
    rows: int = 0  # live rows: what belongs in the index
    documents: int = 0  # the table's documents in the index
    missing: int = 0  # rows without a document
    extra: int = 0  # documents without a live row
    stale: int = 0  # documents that differ from what their row renders to now
    pending: int = 0  # operations the sync state still has to retry
    missing_ids: list[str] = field(default_factory=list)  # the first few, in key order
    stale_ids: list[str] = field(default_factory=list)
    extra_ids: list[str] = field(default_factory=list)
    dropped: bool = False  # the table is gone from the database; its documents are all extra
    error: str | None = None  # the table could not be read (it counts as not equal)
    # the keys sync keeps of what the index holds (indexed_keys) that are not the index's ids:
    # kept but not indexed, plus indexed but not kept (with --repair they are dropped, and the
    # next cycle lists the index once to keep them again)
    kept_keys_off: int = 0

    @property
    def equal(self) -> bool:
        return self.error is None and not (self.missing or self.extra or self.stale or self.kept_keys_off)


@dataclass
class RepairCounts:
    fed: int = 0  # missing or stale documents put
    removed: int = 0  # extra documents removed
    failed: int = 0  # operations Vespa did not acknowledge (pending for the next sync cycle)


@dataclass
class VerifyReport:
    started_at: str
    finished_at: str
    duration_s: float
    database: str  # redacted
    vespa: str  # redacted
    tables: dict[str, TableVerify]
    schema: TableVerify  # the procore_schema_metadata documents of the tables in scope
    repair: dict[str, RepairCounts] | None = None  # with repair: what it did, per table
    before: VerifyReport | None = None  # with repair: the first pass

    @property
    def equal(self) -> bool:
        return self.schema.equal and all(t.equal for t in self.tables.values())

    @property
    def exit_code(self) -> int:
        """0 when the index equals the database, 3 when it does not."""
        return EXIT_OK if self.equal else EXIT_PARTIAL

    def totals(self) -> dict[str, int]:
        parts = [*self.tables.values(), self.schema]
        return {k: sum(getattr(t, k) for t in parts) for k in ("rows", "documents", "missing", "extra", "stale", "pending")}

    def to_dict(self) -> dict[str, Any]:
        """The report as one JSON-ready object: the fields, plus totals and `equal`."""
        data = asdict(self)
        data["equal"], data["exit_code"], data["totals"] = self.equal, self.exit_code, self.totals()
        if self.before is not None:
            data["before"] = self.before.to_dict()
        return data


class _Collect:
    """Counts and the first ids of one kind of difference; with repair, what to do about them."""

    def __init__(self, result: TableVerify, sample: int) -> None:
        self.result, self.sample = result, sample

    def note(self, kind: str, doc_id: str) -> None:
        setattr(self.result, kind, getattr(self.result, kind) + 1)
        ids = getattr(self.result, f"{kind}_ids")
        if len(ids) < self.sample:
            ids.append(doc_id)


class _Verifier:
    def __init__(self, run: RunContext, options: VerifyOptions, checkpoints: Checkpoints,
                 cancel: threading.Event, pool: BuildPool, repair: bool) -> None:
        self.run, self.options, self.checkpoints, self.cancel = run, options, checkpoints, cancel
        self.pool, self.repair = pool, repair
        self.counts: dict[str, RepairCounts] = {}
        self.dropped: set[str] = set()  # tables gone from the database met by this pass

    # -- the index's side
    def index_of(self, doctype: str, namespace: str, table: str | None, volatile: frozenset[str],
                 kept: IndexedKeys | None = None) -> tuple[DigestIndex, int]:
        """The documents' digests, and (`kept`: the keys sync keeps for the table) how many of
        the visited ids and the kept keys differ."""
        index = DigestIndex()
        visited: set[int | None] = set()  # keys only (a feed file's ids can come and go)
        for doc_id, fields in self.run.sink.visit(doctype, namespace, table):
            if fields is None:
                index.drop(doc_id)
                visited.discard(_key_of(doc_id))
            else:
                index.put(doc_id, content_digest(fields, volatile))
                if kept is not None:
                    visited.add(_key_of(doc_id))
        index.freeze()
        if kept is None:
            return index, 0
        return index, len(visited ^ kept.keys_in_all())

    def extras(self, index: DigestIndex, collect: _Collect, table: str, ops: list[RemoveOp] | None) -> None:
        """Name the documents no row matched (a second visit, of ids only) and, repairing,
        remove them."""
        collect.result.extra = 0
        for doc_id, fields in self.run.sink.visit(RECORD_TYPE, NAMESPACE, table, with_fields=False):
            if fields is not None and index.take_unseen(doc_id):
                collect.note("extra", doc_id)
                if ops is not None:
                    ops.append(removal(RECORD_TYPE, doc_id, table))
                    if len(ops) >= self.options.batch_size:
                        self.remove(table, ops)

    # -- one table
    def table(self, plan: TablePlan) -> TableVerify:
        result = TableVerify(plan.name, pending=self.pending_of(plan.name))
        collect = _Collect(result, self.options.sample)
        kept = IndexedKeys.load(self.options.state_dir, plan.name)
        index, result.kept_keys_off = self.index_of(RECORD_TYPE, NAMESPACE, plan.name, RECORD_VOLATILE, kept)
        if kept is not None and (result.kept_keys_off or self.repair):
            if result.kept_keys_off:
                logger.warning("The keys sync keeps for %s differ from the index's ids in %d places",
                               plan.name, result.kept_keys_off)
            if self.repair:  # the repair changes the index: the next cycle lists it once and keeps it again
                IndexedKeys.forget(self.options.state_dir, plan.name)
        result.documents = len(index)
        puts: list[FeedDocument] | None = [] if self.repair else None
        for batch in self.rows(plan):
            if self.cancel.is_set():
                raise JobCancelled(f"cancelled during {plan.name}")
            for doc, digest in zip(batch.docs, batch.digests or [], strict=True):
                result.rows += 1
                outcome = index.match(doc.id, digest)
                if outcome == MISSING or outcome == STALE:
                    collect.note(outcome, doc.id)
                    if puts is not None:
                        puts.append(doc)
            if puts is not None and len(puts) >= self.options.batch_size:
                self.feed(plan.name, puts)
        if puts:
            self.feed(plan.name, puts)
        if index.unseen:
            removes: list[RemoveOp] | None = [] if self.repair else None
            self.extras(index, collect, plan.name, removes)
            if removes:
                self.remove(plan.name, removes)
        return result

    def rows(self, plan: TablePlan) -> Iterator[BuiltBatch]:
        """The table's live rows rendered as sync renders them and digested (in the worker
        processes, where there are), in key order, from one snapshot."""
        conn = self.run.conn
        rows = count_rows(conn, plan)
        batch_size = max(self.options.batch_size, 1000)
        source = self.pool.batches if self.pool.usable_for(plan, rows, batch_size) else serial_batches
        with contextlib.closing(source(conn, plan, batch_size, digests=True)) as batches:
            yield from batches

    def dropped_table(self, name: str) -> TableVerify:
        """A table the database no longer has (known to the sync state, or found in the index):
        its documents are extra."""
        result = TableVerify(name, dropped=True, pending=self.pending_of(name))
        self.dropped.add(name)
        collect = _Collect(result, self.options.sample)
        removes: list[RemoveOp] | None = [] if self.repair else None
        alive = self.run.sink.list_ids(RECORD_TYPE, NAMESPACE, name)
        result.documents = len(alive)
        for doc_id in sorted(alive):
            collect.note("extra", doc_id)
            if removes is not None:
                removes.append(removal(RECORD_TYPE, doc_id, name))
        if removes:
            self.remove(name, removes)
        return result

    def schema(self, schema: SchemaMap, plans: list[TablePlan], filtered: bool) -> TableVerify:
        """The procore_schema_metadata documents: one per table in scope and the database's
        (that one by presence only: its text depends on which tables a run covered); with no
        table filter, documents of tables that are not in the database are extra."""
        expected = schema_documents(schema, plans)
        result = TableVerify("(schema documents)", rows=len(expected))
        collect = _Collect(result, self.options.sample)
        held: dict[str, int] = {}
        for doc_id, fields in self.run.sink.visit(SCHEMA_TYPE, SCHEMA_NAMESPACE, None):
            if fields is None:
                held.pop(doc_id, None)
            else:
                held[doc_id] = content_digest(fields, SCHEMA_VOLATILE)
        result.documents = len(held)
        puts: list[FeedDocument] = []
        for doc in expected:
            digest = held.pop(doc.id, None)
            kind = ("missing" if digest is None else
                    "stale" if not doc.id.startswith("schema:") and digest != content_digest(doc.fields, SCHEMA_VOLATILE)
                    else None)
            if kind:
                collect.note(kind, doc.id)
                puts.append(doc)
        removes = []
        if not filtered:
            for doc_id in sorted(held):
                collect.note("extra", doc_id)
                removes.append(removal(SCHEMA_TYPE, doc_id, ""))
        result.pending = len(self.checkpoints.schema.pending)
        if self.repair:
            if puts:
                outcome = self.feed_counted(result.name, puts)
                earlier = {op.id: op for op in self.checkpoints.schema.pending}
                self.checkpoints.schema.pending = [
                    *[op for op in self.checkpoints.schema.pending if op.id not in {f.id for f in outcome.failures}],
                    *[PendingOperation("put", SCHEMA_TYPE, f.id, f.table, None, f.status, f.message,
                                       attempts=earlier[f.id].attempts + 1 if f.id in earlier else 1)
                      for f in outcome.failures]]
            if removes:
                self.remove(result.name, removes)
        return result

    # -- the sync state
    def pending_of(self, name: str) -> int:
        entry = self.checkpoints.tables.get(name)
        return (len(entry.sync.pending) if entry and entry.sync else 0) + len(self.checkpoints.dropped.get(name, []))

    def keep_pending(self, table: str, kind: str, doctype: str, outcome: FeedResult) -> None:
        """What the repair could not get acknowledged becomes the table's pending operations,
        retried by the next sync cycle. A put keeps no key (the rows were rendered in worker
        processes): the next cycle reads the table in full, as for a keyless table's put. A
        table sync has never seen gets a full load from its first cycle anyway."""
        if not outcome.failures:
            return
        entry = self.checkpoints.tables.get(table)
        if entry is not None and entry.sync is not None:
            ops = {(op.doctype, op.id): op for op in entry.sync.pending}
            for f in outcome.failures:
                earlier = ops.get((doctype, f.id))
                ops[(doctype, f.id)] = PendingOperation(kind, doctype, f.id, table, None, f.status, f.message,
                                                        attempts=earlier.attempts + 1 if earlier else 1,
                                                        since=earlier.since if earlier else utc_now())
            entry.sync.pending = list(ops.values())
            entry.sync.fingerprint = None  # the next cycle lists the table's ids again
        elif table in self.checkpoints.dropped or table in self.dropped:
            self.checkpoints.dropped.setdefault(table, []).extend([PendingOperation(kind, doctype, f.id, table, None, f.status, f.message)
                                                for f in outcome.failures])

    # -- writing (repair)
    def feed_counted(self, table: str, docs: list[FeedDocument]) -> FeedResult:
        outcome = self.run.feed(docs)
        counts = self.counts.setdefault(table, RepairCounts())
        counts.fed += outcome.ok
        counts.failed += len(outcome.failures)
        docs.clear()
        return outcome

    def feed(self, table: str, docs: list[FeedDocument]) -> None:
        """Put rows' documents (and with --download-files index their files, as a cycle does)."""
        batch = list(docs)
        outcome = self.feed_counted(table, docs)
        self.run.index_files(batch, outcome)
        self.keep_pending(table, "put", RECORD_TYPE, outcome)

    def remove(self, table: str, ops: list[RemoveOp]) -> None:
        outcome = self.run.remove(ops)
        counts = self.counts.setdefault(table, RepairCounts())
        counts.removed += outcome.ok
        counts.failed += len(outcome.failures)
        if table != "(schema documents)":
            self.keep_pending(table, "remove", ops[0].doctype if ops else RECORD_TYPE, outcome)
        ops.clear()


def _pass(run: RunContext, schema: SchemaMap, plans: list[TablePlan], options: VerifyOptions,
          checkpoints: Checkpoints, cancel: threading.Event, pool: BuildPool,
          repair: bool) -> tuple[VerifyReport, dict[str, RepairCounts]]:
    started, clock = utc_now(), time.monotonic()
    verifier = _Verifier(run, options, checkpoints, cancel, pool, repair)
    filtered = bool(options.tables or options.exclude)
    schema_result = verifier.schema(schema, plans, filtered)
    tables: dict[str, TableVerify] = {}
    for plan in plans:
        try:
            tables[plan.name] = verifier.table(plan)
        except (psycopg2.Error, RangeReadError) as exc:
            if cancel.is_set():
                raise JobCancelled("cancelled") from None
            lost = run.connection_lost(exc, f"while verifying {plan.name}")
            if lost is not None:
                raise lost from None
            message = db.first_line(exc) if isinstance(exc, psycopg2.Error) else str(exc)
            logger.error("Verifying %s failed: %s", plan.name, message)
            tables[plan.name] = TableVerify(plan.name, error=message, pending=verifier.pending_of(plan.name))
            run.rollback()
    if not filtered:  # tables gone from the database: those the state knows, and any the index holds
        known = {t.qualified_name for t in schema.tables}
        held = tables_in_index(run, known)
        for name in sorted((set(checkpoints.tables) | set(checkpoints.dropped) | held) - known):
            tables[name] = verifier.dropped_table(name)
    report = VerifyReport(started, utc_now(), time.monotonic() - clock, run.description["database"],
                          run.description["vespa"], tables, schema_result)
    return report, verifier.counts


def run_verify(options: VerifyOptions, cancel: threading.Event | None = None) -> VerifyReport:
    """Compare every table in scope with the index (and with `options.repair`, make them equal
    and compare again). Holds the target's lock like a sync cycle: TargetBusyError naming
    the holder when a daemon or another run has it; DatabaseConnectionError or
    VespaConnectionError when either cannot be reached."""
    cancel = cancel or threading.Event()
    job_id = "verify-" + datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    with RunContext.open(options, job_id) as run:
        pool = BuildPool(options.database_url, options.processes)
        try:
            schema, plans = run.load_plans()
            checkpoints = run.load_checkpoints()
            first, counts = _pass(run, schema, plans, options, checkpoints, cancel, pool, options.repair)
            if not options.repair:
                return first
            run.store.save_checkpoints(checkpoints)  # failed repairs are pending for the next cycle
            second, _ = _pass(run, schema, plans, options, checkpoints, cancel, pool, False)
        except psycopg2.Error as exc:  # outside any one table: the session itself failed
            raise DatabaseConnectionError(f"database error during verify: {db.first_line(exc)}") from None
        finally:
            pool.close()
    second.repair, second.before = counts, first
    second.started_at, second.duration_s = first.started_at, first.duration_s + second.duration_s
    return second


def verify(database_url: str | None = None, vespa_url: str | None = None, *, repair: bool = False,
           tables: list[str] | None = None, exclude: list[str] | None = None, **options: Any) -> VerifyReport:
    """Notebook use: compare the database with the index row by row (`repair=True`: and make
    them equal). URLs default to $PROCORE_DATABASE_URL and $VESPA_LOCAL_URL; other keyword
    arguments are `VerifyOptions` fields (state_dir, keep_soft_deleted, batch_size, ...).

        report = verify("postgresql://reader:...@host/db", "http://localhost:8080", tables=["photos"])
        report.equal, report.tables["photos"].missing_ids
    """
    from .. import config

    return run_verify(VerifyOptions(database_url=config.database_url(database_url),
                                    vespa_url=config.vespa_url(vespa_url), tables=tables, exclude=exclude,
                                    repair=repair, **options))
