"""Full ingestion, resume and dry run: every row of every chosen table into Vespa.

The path, top to bottom (DESIGN §2):

    discover -> plans -> for each table: read batch (keyset, one snapshot)
             -> documents -> sink.feed -> failures logged -> checkpoint advanced -> job saved

Reading and building happen in worker processes for tables of more than one range
(procore_ingest.source.parallel), which hand the batches back in key order: the path is the same.

A table's checkpoint moves only after every document of a batch was acknowledged or written to
the failure log, so a crash (even kill -9) replays at most one batch per table; ids are pure
functions of table and key, so replays are harmless.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg2

from .. import config
from ..cli.output import RULE, Reporter, format_duration
from ..config import redact_url
from ..discovery import discover_with_connection
from ..discovery.model import SchemaMap
from ..discovery.profile import ProfileOptions
from ..documents.record import Document, row_document, schema_documents
from ..errors import DatabaseConnectionError, JobCancelled, ProcoreIngestError, StateError
from ..files import FileCounts, FileIndexer, FileOptions  # --download-files
from ..logs import logger
from ..plan import TablePlan, build_plans
from ..source import changes, db
from ..source.parallel import BuildPool, RangeReadError, serial_batches
from ..source.reader import count_rows, read_batches
from ..state import Job, StateStore, TableProgress, TableTotals, utc_now
from ..vespa.sink import FeedResult, Sink, open_sink

EXIT_OK, EXIT_PARTIAL, EXIT_COMPLETE_FAILURE, EXIT_CANCELLED = 0, 3, 4, 5


@dataclass
class IngestOptions:
    """What to ingest and how. URLs are used, never stored unredacted."""

    database_url: str
    vespa_url: str = config.DEFAULT_VESPA_URL
    tables: list[str] | None = None  # names or shell globs; None: every base table
    exclude: list[str] | None = None
    batch_size: int = 10_000
    workers: int = 4
    processes: int = 1  # that read and build documents (1: this one); the scripts use one per CPU
    allow_columns: list[str] = field(default_factory=list)  # secret-looking columns to feed anyway
    state_dir: str = config.DEFAULT_STATE_DIR
    retry_budget_s: float = 120.0
    feed_schema: bool = True  # procore_schema_metadata documents
    keep_soft_deleted: bool = False  # index rows whose deleted_at is set (default: leave them out)
    files: FileOptions | None = None  # --download-files: index the rows' files too (procore_ingest.files)

    def recorded(self) -> dict[str, Any]:
        """The options as a job file keeps them: no credentials."""
        return {
            "database": redact_url(self.database_url), "vespa": redact_url(self.vespa_url),
            "tables": self.tables, "exclude": self.exclude, "batch_size": self.batch_size,
            "workers": self.workers, "processes": self.processes, "allow_columns": self.allow_columns,
            "feed_schema": self.feed_schema, "keep_soft_deleted": self.keep_soft_deleted,
            **({"files": self.files.recorded()} if self.files else {}),
        }


@dataclass
class IngestResult(TableTotals):
    job_id: str
    status: str  # completed, partial, failed, cancelled
    tables: dict[str, TableProgress]
    schema_documents: int
    duration_s: float
    withheld_columns: dict[str, list[str]]
    failure_log: Path | None
    files: FileCounts | None = None  # with --download-files

    @property
    def exit_code(self) -> int:
        """The contract's exit code for this outcome."""
        if self.status == "cancelled":
            return EXIT_CANCELLED
        if self.failed == 0 and all(t.status == "completed" for t in self.tables.values()):
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


def _load_schema(conn, url: str) -> SchemaMap:
    conn.autocommit = True
    schema = discover_with_connection(conn, host=db.describe(url).host,
                                      options=ProfileOptions(include_stats=False, count_references=False))
    conn.autocommit = False
    return schema


def _plans(schema: SchemaMap, options: IngestOptions, reporter: Reporter) -> list[TablePlan]:
    plans = build_plans(schema, options.tables, options.exclude, options.allow_columns,
                        options.keep_soft_deleted)
    base = [t for t in schema.tables if t.kind in ("table", "partitioned_table")]
    reporter.line(f"Schema loaded: {len(base)} tables, {len(schema.relationships)} relationships")
    excluded = f" (excluding: {', '.join(options.exclude)})" if options.exclude else ""
    reporter.line(f"Tables to process: {len(plans)}{excluded}")
    for plan in plans:
        if not plan.has_key:
            logger.warning("%s has no primary key: document ids are derived from row content",
                           plan.name)
    return plans


def dry_run(options: IngestOptions, reporter: Reporter | None = None) -> DryRunReport:
    """Plan the run and build one example document per table; write nothing anywhere."""
    reporter = reporter or Reporter()
    with db.session(options.database_url) as conn:
        schema = _load_schema(conn, options.database_url)
        plans = _plans(schema, options, reporter)
        tables, examples = [], {}
        now = int(time.time() * 1000)
        for plan in plans:
            rows = count_rows(conn, plan)
            tables.append(DryRunTable(plan.name, rows, plan.withheld_columns, plan))
            for batch in read_batches(conn, plan, 1):
                examples[plan.name] = row_document(batch.rows[0], plan, now).feed_json()
                break
    return DryRunReport(schema, tables, examples)


class _Run:
    """One job being executed: owns the state store, the sink and the cancel flag."""

    def __init__(self, options: IngestOptions, job: Job, store: StateStore, sink: Sink,
                 reporter: Reporter, cancel: threading.Event, pool: BuildPool) -> None:
        self.options, self.job, self.store, self.sink, self.pool = options, job, store, sink, pool
        self.reporter, self.cancel = reporter, cancel
        self.pending_sync: dict[str, dict[str, Any]] = {}
        self.files: FileIndexer | None = None  # --download-files (set by _run_job)
        self.file_counts = FileCounts()

    def feed_table(self, conn, plan: TablePlan) -> None:
        progress = self.job.tables.setdefault(plan.name, TableProgress())
        if progress.status == "completed":
            return
        resume_key = progress.last_key if plan.has_key else None
        if not plan.has_key:  # no key to resume from: the table starts over (ids are content hashes)
            progress.rows_read = progress.indexed = progress.failed = 0
        if progress.rows_read == 0:
            # What the next sync cycle compares against, taken before the first read.
            self.pending_sync[plan.name] = changes.baseline(conn, plan)
        progress.status, progress.started_at, progress.error = "running", progress.started_at or utc_now(), None
        self.store.save_job(self.job)
        remaining = count_rows(conn, plan, resume_key)
        self.reporter.table_started(plan.name, progress.rows_read + remaining)
        self.reporter.table_advanced(plan.name, progress.rows_read)
        batch_size = self.options.batch_size
        source = self.pool.batches if self.pool.usable_for(plan, remaining, batch_size) else serial_batches
        try:
            # closing(): a cancel or an error ends the read (and its workers) here and now
            with contextlib.closing(source(conn, plan, batch_size, resume_key)) as batches:
                for number, batch in enumerate(batches, 1):
                    result = feed_documents(self.sink, self.store, self.job.job_id, batch.docs)
                    if self.files is not None:  # --download-files: the rows' files, through the same sink
                        self._index_files(batch.docs, result)
                    progress.indexed += result.ok
                    progress.failed += len(result.failures)
                    progress.soft_deleted += batch.soft_deleted
                    progress.rows_read += batch.rows_read
                    progress.last_key = batch.last_key
                    self.store.save_job(self.job)  # the checkpoint: this batch is fully accounted for
                    self.reporter.table_advanced(plan.name, batch.rows_read)
                    logger.debug("%s: batch %d (%d records, %d failed)", plan.name, number,
                                 batch.rows_read, len(result.failures))
                    if self.cancel.is_set():
                        raise JobCancelled(f"cancelled during {plan.name}")
        finally:
            self.reporter.table_finished(plan.name)
        progress.status, progress.finished_at = "completed", utc_now()
        self.store.save_job(self.job)


    def _index_files(self, docs: list[Document], fed: FeedResult) -> None:
        """Fetch and index the files of the rows Vespa took; file documents Vespa rejects go to
        the job's failure log, file fetch failures to <state_dir>/files/failures.jsonl."""
        assert self.files is not None
        rejected = {f.id for f in fed.failures}
        batch = self.files.index([d for d in docs if d.id not in rejected], self.sink)
        self.store.record_failures(self.job.job_id, [f.to_dict() for f in batch.document_failures])
        self.file_counts.add(batch)


def feed_documents(sink: Sink, store: StateStore, job_id: str, docs: list[Document]) -> FeedResult:
    """Feed `docs`; rejected ones go to the job's failure log (and the first few to the log)."""
    result = sink.feed(docs) if docs else FeedResult()
    store.record_failures(job_id, [f.to_dict() for f in result.failures])
    for failure in result.failures[:3]:
        logger.error("Failed to index record %s - HTTP %s %s", failure.id, failure.status, failure.message)
    return result


def _run_job(options: IngestOptions, job: Job, store: StateStore, reporter: Reporter,
             cancel: threading.Event) -> IngestResult:
    started = time.monotonic()
    schema_docs = 0
    pending_sync: dict[str, dict[str, Any]] = {}
    sink = open_sink(options.vespa_url, workers=options.workers, retry_budget_s=options.retry_budget_s)
    sink.check()  # exit 2 within seconds, before anything is read
    files = open_file_indexer(options.files, options.state_dir)  # --download-files
    pool = BuildPool(options.database_url, options.processes)
    run: _Run | None = None
    store.lock()
    try:
        store.save_job(job)
        reporter.line(f"Job ID: {job.job_id}")
        with db.session(options.database_url) as conn:
            schema = _load_schema(conn, options.database_url)
            plans = _plans(schema, options, reporter)
            job.withheld_columns = {p.name: p.withheld_columns for p in plans if p.withheld_columns}
            for plan in plans:
                job.tables.setdefault(plan.name, TableProgress())
            if options.feed_schema:
                schema_docs = feed_documents(sink, store, job.job_id, schema_documents(schema, plans)).ok
            run = _Run(options, job, store, sink, reporter, cancel, pool)
            run.files = files
            pending_sync = run.pending_sync
            for plan in plans:
                if cancel.is_set():
                    raise JobCancelled("cancelled")
                try:
                    run.feed_table(conn, plan)
                except (psycopg2.Error, RangeReadError) as exc:
                    if cancel.is_set():  # e.g. the workers were stopped with us: a cancel, not a failure
                        raise JobCancelled("cancelled") from None
                    if isinstance(exc, psycopg2.Error) and db.connection_lost(conn, exc):
                        raise DatabaseConnectionError(
                            f"lost the database connection while reading {plan.name}: "
                            f"{db.first_line(exc)}") from None
                    progress = job.tables[plan.name]
                    progress.status = "failed"
                    progress.error = db.first_line(exc)
                    logger.error("Reading %s failed: %s", plan.name, progress.error)
                    conn.rollback()
                    store.save_job(job)
        failed_tables = [n for n, t in job.tables.items() if t.status != "completed"]
        job.status = "completed" if not failed_tables and job.failed == 0 else (
            "partial" if job.indexed else "failed")
    except JobCancelled:
        job.status = "cancelled"
    except ProcoreIngestError as exc:
        job.status, job.error = "failed", str(exc)
        raise
    finally:
        job.finished_at = utc_now()
        try:
            store.save_job(job)
        finally:
            store.unlock()
            pool.close()
            sink.close()
            if files is not None:
                files.close()
    _record_checkpoints(store, job, pending_sync)
    failure_log = store.failure_log(job.job_id)
    return IngestResult(
        job_id=job.job_id, status=job.status, tables=job.tables,
        schema_documents=schema_docs, duration_s=time.monotonic() - started,
        withheld_columns=job.withheld_columns,
        failure_log=failure_log if failure_log.exists() else None,
        files=run.file_counts if files is not None and run is not None else None,
    )


def open_file_indexer(files: FileOptions | None, state_dir: str) -> FileIndexer | None:
    """The file indexer for --download-files, its warnings logged once (no credentials...)."""
    if files is None:
        return None
    indexer = FileIndexer(files, state_dir)
    for warning in indexer.check():
        logger.warning("%s", warning)
    return indexer


def _record_checkpoints(store: StateStore, job: Job, pending_sync: dict[str, dict[str, Any]]) -> None:
    """Completed tables become the starting point of incremental sync. A table resumed after a
    crash of the process that took its baseline is left without one: sync loads it in full."""
    checkpoints = store.load_checkpoints()
    for name, progress in job.tables.items():
        if progress.status != "completed":
            continue
        entry = checkpoints.setdefault(name, {})
        entry["full"] = {"job_id": job.job_id, "completed_at": progress.finished_at}
        if name in pending_sync:
            entry["sync"] = {**pending_sync[name], "synced_at": progress.finished_at, "records": progress.indexed,
                             "changes": progress.indexed, "status": "ok", "error": None, "retry_keys": []}
            if progress.failed:  # rejected rows are missing from the index: next cycle compares ids
                entry["sync"]["fingerprint"] = None
        else:
            entry.pop("sync", None)
    store.save_checkpoints(checkpoints)


def run_full(options: IngestOptions, reporter: Reporter | None = None,
             cancel: threading.Event | None = None) -> IngestResult:
    """Ingest every row of the chosen tables. Returns the result; raises
    DatabaseConnectionError / VespaConnectionError / UnknownTableError / StateError."""
    reporter = reporter or Reporter()
    reporter.line("Starting full ingestion...")
    job = Job.new("full", options.recorded())
    return _run_job(options, job, StateStore(options.state_dir), reporter, cancel or threading.Event())


def resume(job_id: str, options: IngestOptions, reporter: Reporter | None = None,
           cancel: threading.Event | None = None) -> IngestResult:
    """Continue a failed, cancelled or killed job from its checkpoints, with the table
    selection and batch settings it was started with (URLs come from `options`)."""
    reporter = reporter or Reporter()
    store = StateStore(options.state_dir)
    job = store.load_job(job_id)
    if job.status == "completed":
        raise StateError(f"job {job_id} already completed; nothing to resume")
    asked = job.options
    options.tables, options.exclude = asked.get("tables"), asked.get("exclude")
    options.batch_size, options.workers = asked.get("batch_size", options.batch_size), asked.get("workers", options.workers)
    options.processes = asked.get("processes", options.processes)
    options.allow_columns = asked.get("allow_columns") or []
    options.keep_soft_deleted = bool(asked.get("keep_soft_deleted"))
    reporter.line(f"Resuming job {job_id} ({job.status}, {job.indexed:,} records indexed so far)...")
    job.status, job.error, job.finished_at = "running", None, None
    return _run_job(options, job, store, reporter, cancel or threading.Event())


def summary_lines(result: IngestResult) -> list[str]:
    """The closing block of the contract's output."""
    title = {"completed": "Ingestion completed", "partial": "Ingestion completed with failures",
             "failed": "Ingestion failed", "cancelled": "Ingestion cancelled"}[result.status]
    lines = [RULE, title,
             f"  Tables processed: {sum(t.status == 'completed' for t in result.tables.values())}",
             f"  Records indexed: {result.indexed:,}",
             f"  Records failed: {result.failed:,}",
             f"  Duration: {format_duration(result.duration_s)}"]
    if result.schema_documents:
        lines.append(f"  Schema documents: {result.schema_documents}")
    if result.files is not None:
        lines += result.files.summary_lines()
    soft = sum(t.soft_deleted for t in result.tables.values())
    if soft:
        lines.append(f"  Soft-deleted rows left out: {soft:,}")
    if result.withheld_columns:
        withheld = ", ".join(f"{t}.{c}" for t, cols in result.withheld_columns.items() for c in cols)
        lines.append(f"  Columns withheld (secrets): {withheld}")
    failed_tables = [n for n, t in result.tables.items() if t.status == "failed"]
    if failed_tables:
        lines.append(f"  Tables failed: {', '.join(failed_tables)}")
    if result.failure_log:
        lines.append(f"  Failure log: {result.failure_log}")
    if result.status in ("cancelled", "failed", "partial"):
        lines.append(f"  Resume with: --resume {result.job_id}")
    lines.append(RULE)
    return lines


def example_json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=True)
