"""Full ingestion, resume and dry run: every row of every chosen table into Vespa.

The path, top to bottom (docs/architecture.md, "Principles of the data path"):

    discover -> plans -> for each table: read batch (keyset, one snapshot)
             -> documents -> run.submit (streamed: the next batch is read while this one is in
                flight) -> run.settle -> failures logged -> checkpoint advanced -> job saved

Reading and building happen in worker processes for tables of more than one range
(procore_ingest.pipeline.build), which hand the batches back in key order: the path is the same.

A table's checkpoint moves only after every document of a batch was acknowledged or written to
the failure log, so a crash (even kill -9) replays at most one batch per table; ids are pure
functions of table and key, so replays are harmless.
"""

from __future__ import annotations

import contextlib
import threading
import time
from array import array
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg2

from .. import database as db
from ..config import redact_url
from ..discovery.model import SchemaMap
from ..documents.record import NAMESPACE, RECORD_TYPE, SCHEMA_TYPE, RowBuilder, schema_documents
from ..errors import (
    EXIT_CANCELLED,
    EXIT_COMPLETE_FAILURE,
    EXIT_OK,
    EXIT_PARTIAL,
    JobCancelled,
    ProcoreIngestError,
    StateError,
)
from ..files import FileBatchResult, FileCounts
from ..files.indexer import parent_of
from ..indexed_keys import IndexedKeys, keys_of_ids
from ..logs import logger
from ..plan import TablePlan, build_plans
from ..source import changes
from ..source.context import context_of
from ..source.reader import count_rows, key_to_json, read_batches
from ..source.sql import begin_snapshot
from ..state import (
    Checkpoints,
    FullLoad,
    Job,
    JobStatus,
    PendingOperation,
    StateStore,
    TableProgress,
    TableSyncState,
    TableTotals,
    utc_now,
)
from ..vespa.sink import FeedFailure, FeedResult, PendingFeed
from .baseline import sync_state
from .build import BuildPool, BuiltBatch, RangeReadError, serial_batches
from .progress import Progress
from .removals import drop_table, live_rows, reconcile_ids, removal, tables_in_index
from .run import RunContext, RunOptions, load_schema, record_context_names

# Documents submitted to Vespa and not yet settled. They stream: worker processes hand over a
# batch a range (pipeline/build.py: RANGE_ROWS rows) at a time, each range is sent on at once,
# and the next is read and queued while those before it are in flight; a batch's checkpoint
# waits for its last range. Bounded in documents (per --workers connection: a few times what the
# feeder keeps in flight, so it never runs dry; ~3 KB each) and in the bytes they hold: past
# either, the oldest is settled before more are read (one part always stays queued). Batches
# read in this process come whole, their bytes uncounted: at most 2 of them are in flight.
MAX_DOCS_IN_FLIGHT_PER_WORKER = 1024
MAX_BYTES_IN_FLIGHT = 16 * 1024 * 1024
MAX_BATCHES_IN_FLIGHT = 2


@dataclass
class IngestOptions(RunOptions):
    """What to ingest and how. URLs are used, never stored unredacted."""

    batch_size: int = 10_000
    processes: int = 1  # that read and build documents (1: this one); the scripts use one per CPU
    feed_schema: bool = True  # procore_schema_metadata documents

    def recorded(self) -> dict[str, Any]:
        """The options as a job file keeps them: no credentials."""
        return {
            "database": redact_url(self.database_url), "vespa": redact_url(self.vespa_url),
            "tables": self.tables, "exclude": self.exclude, "batch_size": self.batch_size,
            "workers": self.workers, "processes": self.processes, "allow_columns": self.allow_columns,
            "feed_schema": self.feed_schema, "keep_soft_deleted": self.keep_soft_deleted,
            **({"files": self.files.recorded()} if self.files else {}),
        }

    def apply_recorded(self, recorded: dict[str, Any]) -> None:
        """The inverse of `recorded` for what a resumed job keeps (URLs come from the caller)."""
        self.tables, self.exclude = recorded.get("tables"), recorded.get("exclude")
        self.batch_size = recorded.get("batch_size", self.batch_size)
        self.workers = recorded.get("workers", self.workers)
        self.processes = recorded.get("processes", self.processes)
        self.allow_columns = recorded.get("allow_columns") or []
        self.feed_schema = recorded.get("feed_schema", self.feed_schema)
        self.keep_soft_deleted = bool(recorded.get("keep_soft_deleted"))


@dataclass
class IngestResult(TableTotals):
    job_id: str
    status: JobStatus  # completed, partial, failed or cancelled once the job ended
    tables: dict[str, TableProgress]
    schema_documents: int
    duration_s: float
    withheld_columns: dict[str, list[str]]
    failure_log: Path | None
    files: FileCounts | None = None  # with --download-files
    schema_failed: int = 0  # procore_schema_metadata documents Vespa did not take
    dropped_tables: list[str] = field(default_factory=list)  # tables gone from the database, documents removed
    dropped_failed: int = 0  # their documents Vespa did not remove

    @property
    def exit_code(self) -> int:
        """The contract's exit code for this outcome."""
        if self.status == "cancelled":
            return EXIT_CANCELLED
        if (self.failed == 0 and not self.schema_failed and not self.dropped_failed
                and all(t.status == "completed" for t in self.tables.values())):
            return EXIT_OK
        return EXIT_PARTIAL if self.indexed > 0 else EXIT_COMPLETE_FAILURE


@dataclass
class DryRunTable:
    table: str
    rows: int
    withheld_columns: list[str]
    plan: TablePlan


@dataclass
class DryRunReport:
    schema: SchemaMap
    tables: list[DryRunTable]
    example_documents: dict[str, dict[str, Any]]  # table -> feed JSON of its first row

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)


def _announce(schema: SchemaMap, plans: list[TablePlan], options: IngestOptions, progress: Progress) -> None:
    base = [t for t in schema.tables if t.kind in ("table", "partitioned_table")]
    progress.schema_loaded(len(base), len(schema.relationships))
    progress.tables_chosen(len(plans), options.exclude)
    for plan in plans:
        if not plan.has_key:
            logger.warning("%s has no primary key: document ids are derived from row content", plan.name)


def dry_run(options: IngestOptions, progress: Progress | None = None) -> DryRunReport:
    """Plan the run and build one example document per table; write nothing anywhere."""
    progress = progress or Progress()
    with db.session(options.database_url) as conn:
        schema = load_schema(conn, options.database_url)
        plans = build_plans(schema, options.tables, options.exclude, options.allow_columns,
                            options.keep_soft_deleted, naive_timezone=options.naive_timezone,
                            table_settings=options.table_settings, context_depth=options.context_depth)
        _announce(schema, plans, options, progress)
        tables, examples = [], {}
        now = int(time.time() * 1000)
        for plan in plans:
            rows = count_rows(conn, plan)
            tables.append(DryRunTable(plan.name, rows, list(plan.withheld_columns), plan))
            for batch in read_batches(conn, plan, 1):
                row = batch.rows[0]
                examples[plan.name] = RowBuilder(plan).document(row, now, context_of(conn, [row], plan)[0]).feed_json()
                break
    return DryRunReport(schema, tables, examples)


@dataclass
class _InFlight:
    """Parts submitted to the sink and not settled yet, oldest first, with what they hold."""

    parts: deque[tuple[BuiltBatch, PendingFeed]] = field(default_factory=deque)
    docs: int = 0
    bytes: int = 0
    batch_ends: int = 0

    def __len__(self) -> int:
        return len(self.parts)

    def push(self, part: BuiltBatch, pending: PendingFeed) -> None:
        self.parts.append((part, pending))
        self._count(part, pending, 1)

    def pop(self) -> tuple[BuiltBatch, PendingFeed]:
        part, pending = self.parts.popleft()
        self._count(part, pending, -1)
        return part, pending

    def _count(self, part: BuiltBatch, pending: PendingFeed, sign: int) -> None:
        self.docs += sign * len(part.docs)
        self.bytes += sign * pending.size_bytes
        self.batch_ends += sign * part.ends_batch

    def oldest_done(self) -> bool:
        return self.parts[0][1].done()

    def over(self, max_docs: int) -> bool:
        """Past a bound (one part always stays queued behind the one being settled)."""
        return len(self.parts) > 1 and (self.docs > max_docs or self.bytes > MAX_BYTES_IN_FLIGHT
                                        or self.batch_ends > MAX_BATCHES_IN_FLIGHT)


@dataclass
class _BatchTally:
    """What the settled parts of one batch add up to, until its checkpoint takes them."""

    rows_read: int = 0
    indexed: int = 0
    failed: int = 0
    soft_deleted: int = 0
    failures: list[FeedFailure] = field(default_factory=list)  # rows' and file documents'

    def add(self, part: BuiltBatch, fed: FeedResult, files: FileBatchResult | None) -> None:
        self.rows_read += part.rows_read
        self.indexed += fed.ok
        self.failed += len(fed.failures)
        self.soft_deleted += part.soft_deleted
        self.failures += fed.failures
        if files is not None:  # a pdf_page Vespa did not take fails its row (fed again by sync)
            self.failed += len(files.document_failures)
            self.failures += files.document_failures

    def close_into(self, progress: TableProgress) -> list[FeedFailure]:
        """Add the counts to `progress` and start over; the failures to record."""
        progress.rows_read += self.rows_read
        progress.indexed += self.indexed
        progress.failed += self.failed
        progress.soft_deleted += self.soft_deleted
        failures = self.failures
        self.rows_read = self.indexed = self.failed = self.soft_deleted = 0
        self.failures = []
        return failures


class _Job:
    """One job being executed over an open run: tables in order, checkpoints after each batch."""

    def __init__(self, run: RunContext, options: IngestOptions, job: Job, progress: Progress,
                 cancel: threading.Event, pool: BuildPool) -> None:
        self.run, self.options, self.job, self.progress, self.cancel, self.pool = run, options, job, progress, cancel, pool
        self.baselines: dict[str, TableSyncState] = {}  # what the next sync cycle compares against
        # what Vespa did not take, per table: the next sync cycle retries it (keyed like sync's)
        self.pending: dict[str, list[PendingOperation]] = {}
        self.failed_ids: dict[str, dict[str, FeedFailure]] = {}  # table -> row id -> a failure of it
        self.schema_pending: list[PendingOperation] = []
        self.dropped: dict[str, list[PendingOperation]] = {}  # dropped table -> removes not acknowledged
        # integer-keyed tables with change columns, loaded from their first row by this process:
        # the keys whose put Vespa acknowledged, then the keys sync keeps (indexed_keys), so the
        # first sync cycle after the load lists nothing
        self.fed_keys: dict[str, array[int]] = {}
        self.kept_keys: dict[str, IndexedKeys] = {}

    def feed_table(self, plan: TablePlan) -> None:
        conn, store = self.run.conn, self.run.store
        progress = self.job.tables.setdefault(plan.name, TableProgress())
        if progress.status == "completed":
            return
        resumable = plan.has_key and not plan.key_is_secret  # a secret-looking key is never stored
        resume_key = progress.last_key if resumable else None
        if not resumable:  # no key to resume from (none, or one never stored): the table starts over
            progress.rows_read = progress.indexed = progress.failed = progress.soft_deleted = 0
        indexed: set[str] | None = None
        if progress.rows_read == 0:
            # What the next sync cycle compares against, taken before the first read; and what
            # the index holds for the table before this load (documents of rows gone go after it).
            self.baselines[plan.name] = sync_state(changes.baseline(conn, plan))
            indexed = self.run.sink.list_ids(RECORD_TYPE, NAMESPACE, plan.name)
            if self.baselines[plan.name].bounds is not None:  # changes.baseline cut key ranges
                self.fed_keys[plan.name] = array("q")
        progress.status, progress.started_at, progress.error = "running", progress.started_at or utc_now(), None
        store.save_job(self.job)
        remaining = count_rows(conn, plan, resume_key)
        self.progress.table_started(plan.name, progress.rows_read + remaining)
        self.progress.table_advanced(plan.name, progress.rows_read)
        try:
            self._stream(plan, progress, resumable, resume_key, remaining)
        finally:
            self.progress.table_finished(plan.name)
        if indexed is None:  # resumed: what the index holds now
            indexed = self.run.sink.list_ids(RECORD_TYPE, NAMESPACE, plan.name)
        removed = self.remove_gone(plan, indexed, progress)
        self.keep_keys(plan, removed)
        self.pending_puts(plan)
        progress.status, progress.finished_at = "completed", utc_now()
        store.save_job(self.job)

    def _stream(self, plan: TablePlan, progress: TableProgress, resumable: bool, resume_key: Any,
                remaining: int) -> None:
        """The table's rows from `resume_key` on, streamed to the sink; each batch's checkpoint
        saved once all of it is answered. Raises JobCancelled after a cancel (what was sent is
        answered and checkpointed first)."""
        conn, store = self.run.conn, self.run.store
        batch_size = self.options.batch_size
        source = self.pool.batches if self.pool.usable_for(plan, remaining, batch_size) else serial_batches
        in_flight = _InFlight()
        max_docs = MAX_DOCS_IN_FLIGHT_PER_WORKER * max(1, self.options.workers)
        tally = _BatchTally()  # the settled parts of the batch whose checkpoint is next

        def settle_oldest() -> None:
            part, pending = in_flight.pop()
            result = self.run.settle(pending, record=False)
            files = self.run.index_files(part.docs, result, record=False)  # --download-files: same sink
            tally.add(part, result, files)
            self.note_failures(plan, part, result, files)
            fed_keys = self.fed_keys.get(plan.name)
            if fed_keys is not None:
                refused = {f.id for f in result.failures}
                fed_keys.extend(keys_of_ids(d.id for d in part.docs if d.id not in refused))
            self.progress.table_advanced(plan.name, part.rows_read)
            if not part.ends_batch:
                return
            rows, failed = tally.rows_read, tally.failed
            # its rejected documents go to the failure log with its checkpoint, so a batch sent
            # again after a crash (--resume) does not log them twice
            self.run.record(tally.close_into(progress))
            progress.last_key = part.last_key if resumable else None
            store.save_job(self.job)  # the checkpoint: this batch and all before it are accounted for
            logger.debug("%s: batch settled (%d records, %d failed)", plan.name, rows, failed)

        # closing(): a cancel or an error ends the read (and its workers) here and now
        with contextlib.closing(source(conn, plan, batch_size, resume_key, parts=True)) as parts:
            batch_start = True  # the next part begins a batch
            for part in parts:
                if self.cancel.is_set() and batch_start:  # nothing of this batch sent: stop here
                    break
                # streamed: this part goes out while those before it are still in flight, and
                # checkpoints follow in key order, each once its whole batch is answered
                in_flight.push(part, self.run.submit(part.docs))
                while in_flight and (in_flight.oldest_done() or in_flight.over(max_docs)):
                    settle_oldest()  # answered parts at once (feed files: always), then the bounds
                batch_start = part.ends_batch
                if self.cancel.is_set() and batch_start:  # the batch being read is finished first
                    break
            while in_flight:  # what was sent is answered and checkpointed before we stop
                settle_oldest()
            if self.cancel.is_set():
                raise JobCancelled(f"cancelled during {plan.name}")

    def note_failures(self, plan: TablePlan, part: BuiltBatch, fed: FeedResult,
                      files: FileBatchResult | None) -> None:
        """The rows whose document (or one of their file documents) Vespa did not take."""
        failed = self.failed_ids.setdefault(plan.name, {})
        failed.update((f.id, f) for f in fed.failures)
        for f in files.document_failures if files is not None else []:
            parent = parent_of(f.id, part.docs)
            if parent is not None:
                failed.setdefault(parent.id, FeedFailure(parent.id, plan.name, f.status,
                                                         f"file document {f.id}: {f.message}"))

    def pending_puts(self, plan: TablePlan) -> None:
        """Rows whose put failed become pending puts of the table's sync state, keyed as a
        sync cycle keys them (never by a secret-looking key: None, and the table is read in
        full); a row gone meanwhile becomes a pending remove. The baseline was taken before
        the load, so without them the next cycle would find nothing to feed."""
        failed = self.failed_ids.pop(plan.name, {})
        if not failed:
            return
        begin_snapshot(self.run.conn)
        live = live_rows(self.run, plan, set(failed))
        self.run.conn.rollback()
        usable = bool(plan.key_columns) and not plan.key_is_secret
        ops = self.pending.setdefault(plan.name, [])
        for doc_id in sorted(failed):
            f = failed[doc_id]
            if doc_id not in live:
                ops.append(PendingOperation("remove", RECORD_TYPE, doc_id, plan.name, None, f.status, f.message))
                continue
            key = [key_to_json(live[doc_id][k]) for k in plan.key_columns] if usable else None
            ops.append(PendingOperation("put", RECORD_TYPE, doc_id, plan.name, key, f.status, f.message))

    def keep_keys(self, plan: TablePlan, removed: set[str]) -> None:
        """The keys sync keeps for the table (`IndexedKeys`, cut at the baseline's key ranges):
        those whose put Vespa acknowledged, less any whose row or file documents failed (they
        are pending puts: the cycle that lands them adds them) and any removed since."""
        fed = self.fed_keys.pop(plan.name, None)
        bounds = self.baselines[plan.name].bounds if plan.name in self.baselines else None
        if fed is None or bounds is None:
            return
        left_out = set(keys_of_ids(set(self.failed_ids.get(plan.name, {})) | removed))
        self.kept_keys[plan.name] = IndexedKeys(bounds, (k for k in fed if k not in left_out))

    def remove_gone(self, plan: TablePlan, indexed: set[str], progress: TableProgress) -> set[str]:
        """A full load is a full refresh: documents of the table whose rows are gone (deleted,
        or soft-deleted and not kept) are removed, so the index holds exactly the live rows.
        Returns the ids removed."""
        if not indexed:
            return set()
        gone = reconcile_ids(self.run, plan, indexed).gone
        self.run.conn.rollback()
        outcome = self.run.remove([removal(RECORD_TYPE, i, plan.name) for i in gone])
        if self.run.files is not None and outcome.ok:
            failed = {f.id for f in outcome.failures}
            self.run.remove(self.run.files.forget_rows([i for i in gone if i not in failed], plan.name))
        progress.removed += outcome.ok
        progress.failed += len(outcome.failures)
        self.pending.setdefault(plan.name, []).extend(
            PendingOperation("remove", RECORD_TYPE, f.id, plan.name, None, f.status, f.message)
            for f in outcome.failures)
        failed = {f.id for f in outcome.failures}
        return {i for i in gone if i not in failed}

    def remove_dropped(self, schema: SchemaMap) -> None:
        """A full load of every table is a full refresh of the index: the documents of tables
        the index holds and the database no longer has are removed (found in the index itself,
        so a new or lost state directory misses none)."""
        known = {t.qualified_name for t in schema.tables}
        for name in sorted(tables_in_index(self.run, known)):
            left = drop_table(self.run, name, [])
            self.job.dropped[name] = len(left)
            if left:
                self.dropped[name] = left
        self.run.store.save_job(self.job)

    def feed_schema(self, schema: SchemaMap, plans: list[TablePlan]) -> int:
        """The procore_schema_metadata documents; those Vespa did not take count as failures
        of the job and stay pending in the sync state (the next cycle feeds them again)."""
        result = self.run.feed(schema_documents(schema, plans))
        self.job.schema_failed = len(result.failures)
        self.schema_pending = [PendingOperation("put", SCHEMA_TYPE, f.id, f.table, None, f.status, f.message)
                               for f in result.failures]
        return result.ok

    def run_tables(self) -> int:
        """Every table of the plan; returns the schema documents fed."""
        job, run = self.job, self.run
        schema, plans = run.load_plans()
        _announce(schema, plans, self.options, self.progress)
        job.withheld_columns = {p.name: list(p.withheld_columns) for p in plans if p.withheld_columns}
        resumed = any(t.status != "pending" for t in job.tables.values())
        # before any row is read: what sync compares the names in context with (sync.py)
        if resumed:
            record_context_names(run, plans, run.store.load_context_names(),
                                 keep={t.qualified_name for t in schema.tables})
        else:
            record_context_names(run, plans)
        for plan in plans:
            job.tables.setdefault(plan.name, TableProgress())
        schema_docs = self.feed_schema(schema, plans) if self.options.feed_schema else 0
        for plan in plans:
            if self.cancel.is_set():
                raise JobCancelled("cancelled")
            try:
                self.feed_table(plan)
            except (psycopg2.Error, RangeReadError) as exc:
                if self.cancel.is_set():  # e.g. the workers were stopped with us: a cancel, not a failure
                    raise JobCancelled("cancelled") from None
                lost = run.connection_lost(exc, f"while reading {plan.name}")
                if lost is not None:
                    raise lost from None
                progress = job.tables[plan.name]
                progress.status, progress.error = "failed", db.first_line(exc)
                logger.error("Reading %s failed: %s", plan.name, progress.error)
                run.rollback()
                run.store.save_job(job)
        if not (self.options.tables or self.options.exclude) and not self.cancel.is_set():
            self.remove_dropped(schema)
        return schema_docs


def _run_job(options: IngestOptions, job: Job, progress: Progress, cancel: threading.Event) -> IngestResult:
    started = time.monotonic()
    schema_docs = 0
    runner: _Job | None = None
    with RunContext.open(options, job.job_id) as run:
        pool = BuildPool(options.database_url, options.processes)
        try:
            run.binding()  # read now: the checkpoints are written even after a failure
            run.store.save_job(job)
            progress.job_started(job.job_id)
            runner = _Job(run, options, job, progress, cancel, pool)
            schema_docs = runner.run_tables()
            failed_tables = [n for n, t in job.tables.items() if t.status != "completed"]
            clean = not failed_tables and job.failed == 0 and not job.schema_failed and not any(job.dropped.values())
            job.status = "completed" if clean else ("partial" if job.indexed else "failed")
        except JobCancelled:
            job.status = "cancelled"
        except ProcoreIngestError as exc:
            job.status, job.error = "failed", str(exc)
            raise
        finally:
            job.finished_at = utc_now()
            try:
                run.store.save_job(job)
                if runner is not None:
                    _record_checkpoints(run, job, runner)
            finally:
                pool.close()
    failure_log = run.store.failure_log(job.job_id)
    return IngestResult(
        job_id=job.job_id, status=job.status, tables=job.tables,
        schema_documents=schema_docs, duration_s=time.monotonic() - started,
        withheld_columns=job.withheld_columns,
        failure_log=failure_log if failure_log.exists() else None,
        files=run.file_counts if options.files is not None else None,
        schema_failed=job.schema_failed, dropped_tables=sorted(job.dropped),
        dropped_failed=sum(job.dropped.values()),
    )


def _record_checkpoints(run: RunContext, job: Job, runner: _Job) -> None:
    """Completed tables become the starting point of incremental sync, with what Vespa did not
    take pending in them (retried by the next cycle); so do the schema documents and the
    removes of dropped tables. A table resumed after a crash of the process that took its
    baseline is left without one: sync loads it in full. A state kept for another target or
    database is started over first. Written while the store is still locked."""
    store = run.store
    checkpoints: Checkpoints = run.load_checkpoints()  # its binding was read when the job started
    keep: list[tuple[str, IndexedKeys]] = []
    for name, progress in job.tables.items():
        if progress.status != "completed":
            continue
        entry = checkpoints.table(name)
        entry.full = FullLoad(job.job_id, progress.finished_at)
        baseline = runner.baselines.get(name)
        if baseline is not None:
            baseline.synced_at = progress.finished_at
            baseline.records = baseline.changes = progress.indexed
            baseline.pending = runner.pending.get(name, [])
            if progress.failed or baseline.pending:  # the next cycle compares ids, nothing assumed
                baseline.fingerprint = None
            entry.sync = baseline
        else:
            entry.sync = None
        # Kept keys belong to one baseline: the old ones go before the checkpoints move and the
        # new ones are written after, so a crash in between leaves no keys (the next cycle lists
        # the index once), never keys beside a checkpoint they do not describe.
        IndexedKeys.forget(store.root, name)
        kept = runner.kept_keys.get(name)
        if kept is not None and entry.sync is not None:  # the first cycle lists nothing
            keep.append((name, kept))
    if runner.schema_pending:
        checkpoints.schema.pending = runner.schema_pending
    for name in job.dropped:
        checkpoints.tables.pop(name, None)
        if name in runner.dropped:
            checkpoints.dropped[name] = runner.dropped[name]
        else:
            checkpoints.dropped.pop(name, None)
    store.save_checkpoints(checkpoints)
    for name, kept in keep:
        kept.save(store.root, name)


def run_full(options: IngestOptions, progress: Progress | None = None,
             cancel: threading.Event | None = None) -> IngestResult:
    """Ingest every row of the chosen tables. Returns the result; raises
    DatabaseConnectionError / VespaConnectionError / UnknownTableError / StateError (TargetBusyError,
    StateBusyError: another run holds the target or the state store)."""
    progress = progress or Progress()
    progress.started("full")
    job = Job.new("full", options.recorded())
    return _run_job(options, job, progress, cancel or threading.Event())


def resume(job_id: str, options: IngestOptions, progress: Progress | None = None,
           cancel: threading.Event | None = None) -> IngestResult:
    """Continue a failed, cancelled or killed job from its checkpoints, with the table
    selection and batch settings it was started with (URLs come from `options`)."""
    progress = progress or Progress()
    job = StateStore(options.state_dir).load_job(job_id)
    if job.status == "completed":
        raise StateError(f"job {job_id} already completed; nothing to resume")
    options.apply_recorded(job.options)
    progress.resuming(job_id, job.status, job.indexed)
    for name, table in job.tables.items():
        if table.status == "completed" and table.failed:  # what Vespa did not take: the table again
            job.tables[name] = TableProgress()
    job.schema_failed, job.dropped = 0, {}  # fed and looked for again
    job.status, job.error, job.finished_at = "running", None, None
    return _run_job(options, job, progress, cancel or threading.Event())
