"""One run of the data path, set up and torn down in one place for ingestion, sync and verify.

    RunContext.open(options, job_id)
        sink opened and checked (exit 2 within seconds, before anything is read)
        target locked (pipeline/lock.py: one run per Vespa target, from any working directory)
        file indexer opened (--download-files; a bad --embedder fails before any state is written)
        state store locked
        read-only database session, schema loaded, plans built
    run.feed(docs) / run.remove(ops)      failures recorded in the job's failure log
    run.submit(docs) ... run.settle(p)    the same, streamed: batches in flight while the next is read
    close: session, state lock, file indexer, target lock, sink, in that order, also on errors and cancellation
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import psycopg2

from .. import config
from .. import database as db
from ..config import redact_url
from ..discovery import discover_with_connection
from ..discovery.catalog import catalog_fingerprint
from ..discovery.model import SchemaMap
from ..discovery.naming import DEFAULT_CONTEXT_DEPTH
from ..discovery.profile import ProfileOptions
from ..discovery.snapshot import schema_from_snapshot, schema_to_snapshot
from ..documents.record import FeedDocument
from ..errors import DatabaseConnectionError
from ..files import FileBatchResult, FileCounts, FileIndexer, FileOptions
from ..logs import logger
from ..plan import TablePlan, build_plans
from ..settings import TableSettings
from ..source.context import context_targets, name_digests
from ..source.identity import database_identity
from ..source.sql import begin_snapshot
from ..state import Checkpoints, StateBinding, StateStore, load_id_key
from ..vespa.sink import FeedFailure, FeedResult, PendingFeed, RemoveOp, Sink
from ..vespa.targets import open_sink, target_identity
from .lock import TargetLock


@dataclass
class RunOptions:
    """What ingestion and sync share: where from, where to, which tables, how to feed."""

    database_url: str
    vespa_url: str = config.DEFAULT_VESPA_URL
    tables: list[str] | None = None  # names or shell globs; None: every base table
    exclude: list[str] | None = None
    batch_size: int = 1000
    workers: int = 4  # parallel connections to Vespa
    state_dir: str = config.DEFAULT_STATE_DIR
    allow_columns: list[str] = field(default_factory=list)  # secret-looking columns to feed anyway
    keep_soft_deleted: bool = False  # index rows whose deleted_at is set (default: leave them out)
    retry_budget_s: float = 120.0
    files: FileOptions | None = None  # --download-files: index the rows' files too
    lock_file: str | None = None  # --lock-file; None: derived from the target (pipeline/lock.py)
    naive_timezone: str = "UTC"  # $PROCORE_NAIVE_TIMEZONE: the zone naive timestamps are written in
    # [tables.<name>] of the configuration file: what rows are called and which names their
    # search text shows (discovery/naming.py); [documents] context_depth: how many links
    table_settings: dict[str, TableSettings] = field(default_factory=dict)
    context_depth: int = DEFAULT_CONTEXT_DEPTH

    def shared(self) -> dict[str, Any]:
        """The fields of `RunOptions`, to build the options of another kind of run."""
        return {f.name: getattr(self, f.name) for f in fields(RunOptions)}


def load_schema(conn: Any, url: str) -> SchemaMap:
    """Discovery as ingestion needs it: no statistics, file references estimated from samples."""
    conn.autocommit = True
    schema = discover_with_connection(conn, host=db.describe(url).host,
                                      options=ProfileOptions(include_stats=False, count_references=False))
    conn.autocommit = False
    return schema


def open_file_indexer(files: FileOptions | None, state_dir: str) -> FileIndexer | None:
    """The file indexer for --download-files, its warnings logged once (no credentials...)."""
    if files is None:
        return None
    indexer = FileIndexer(files, state_dir)
    for warning in indexer.check():
        logger.warning("%s", warning)
    return indexer


def locked_target(options: RunOptions) -> TargetLock:
    """The target's lock, to hold in a `with` block; TargetBusyError (naming the holder) when
    another run has it."""
    return TargetLock(options.vespa_url, options.lock_file)


class RunContext:
    """The open resources of one run and the two ways it writes to Vespa."""

    def __init__(self, options: RunOptions, job_id: str, store: StateStore, sink: Sink,
                 files: FileIndexer | None) -> None:
        self.options, self.job_id, self.store, self.sink, self.files = options, job_id, store, sink, files
        self.conn: Any = None
        self.file_counts = FileCounts()
        self.started = time.monotonic()
        self._binding: StateBinding | None = None

    @classmethod
    @contextlib.contextmanager
    def open(cls, options: RunOptions, job_id: str, *, connect: bool = True,
             target_locked: bool = False) -> Iterator[RunContext]:
        """Everything a run needs, closed again in reverse order however the block ends.
        TargetBusyError / StateBusyError when another run holds the target or the state store
        (each command maps them to its exit code: errors.py). `target_locked`: the caller (the
        daemon) holds the target's lock already."""
        sink = open_sink(options.vespa_url, workers=options.workers, retry_budget_s=options.retry_budget_s)
        with contextlib.ExitStack() as stack:
            stack.callback(sink.close)
            sink.check()  # exit 2 within seconds, before anything is read
            if not target_locked:
                stack.enter_context(locked_target(options))
            files = open_file_indexer(options.files, options.state_dir)  # bad --embedder: before any state
            if files is not None:
                stack.callback(files.close)
            store = StateStore(options.state_dir)
            store.lock()
            stack.callback(store.unlock)
            run = cls(options, job_id, store, sink, files)
            if connect:
                run.conn = stack.enter_context(db.session(options.database_url))
            yield run

    def load_plans(self, reuse: bool = False) -> tuple[SchemaMap, list[TablePlan]]:
        """The schema as it is now, and a plan for each table in scope. `reuse` (sync): the
        schema map kept in the state directory when the catalog has not moved since it was
        discovered (one catalog query instead of a discovery that samples every table)."""
        schema = self._reused_schema() if reuse else load_schema(self.conn, self.options.database_url)
        plans = build_plans(schema, self.options.tables, self.options.exclude,
                            self.options.allow_columns, self.options.keep_soft_deleted,
                            id_key=functools.partial(load_id_key, self.options.state_dir),
                            naive_timezone=self.options.naive_timezone,
                            table_settings=self.options.table_settings,
                            context_depth=self.options.context_depth)
        return schema, plans

    # -- the sync state
    def binding(self) -> StateBinding:
        """This run's Vespa target and database, as the sync state records them (read once, the
        first time it is asked: a run that may fail later asks early)."""
        if self._binding is None:
            self._binding = StateBinding(target_identity(self.options.vespa_url), database_identity(self.conn))
        return self._binding

    def load_checkpoints(self) -> Checkpoints:
        """The sync state, bound to this run's target and database: a state kept for another
        target or database is started over, which one log line says."""
        checkpoints = self.store.load_checkpoints()
        moved = checkpoints.bind(self.binding())
        if moved is not None:
            logger.warning("The sync state in %s was kept for another %s: starting it over "
                           "(every table is loaded in full)", self.store.root, moved)
        return checkpoints

    def _reused_schema(self) -> SchemaMap:
        """The kept schema map when the catalog is as it was at its discovery; else the schema
        discovered again and kept under the key taken *before* discovery read the catalog (a
        change made meanwhile moves the key again next cycle)."""
        key = f"{catalog_fingerprint(self.conn)} {redact_url(self.options.database_url)}"
        self.conn.rollback()
        kept = self.store.load_schema_snapshot()
        if kept is not None and kept[0] == key:
            schema = schema_from_snapshot(kept[1])
            if schema is not None:
                return schema
        logger.info("The database's catalog moved since the schema was last discovered "
                    "(or no schema is kept yet): discovering it again")
        schema = load_schema(self.conn, self.options.database_url)
        self.store.save_schema_snapshot(key, schema_to_snapshot(schema))
        return schema

    # -- writing
    def record(self, failures: list[FeedFailure]) -> None:
        """Rejected documents into the job's failure log; the first few into the log too."""
        self.store.record_failures(self.job_id, [f.to_dict() for f in failures])
        for failure in failures[:3]:
            logger.error("Failed to index record %s - HTTP %s %s", failure.id, failure.status, failure.message)

    def feed(self, docs: Sequence[FeedDocument]) -> FeedResult:
        """Put `docs`; what Vespa rejects is recorded."""
        result = self.sink.feed(docs) if docs else FeedResult()
        self.record(result.failures)
        return result

    def submit(self, docs: Sequence[FeedDocument]) -> PendingFeed:
        """Put `docs` without waiting for their outcomes (`settle` waits and records them):
        the next batch streams in while this one is still in flight."""
        return self.sink.submit(docs) if docs else PendingFeed.settled(FeedResult())

    def settle(self, pending: PendingFeed, record: bool = True) -> FeedResult:
        """Wait until every operation of a submitted batch has its outcome; record what Vespa
        rejected (`record=False`: the caller records it, e.g. with the checkpoint it belongs to)."""
        result = pending.result()
        if record:
            self.record(result.failures)
        return result

    def remove(self, ops: list[RemoveOp]) -> FeedResult:
        """Remove documents; what Vespa does not acknowledge is recorded."""
        result = self.sink.remove(ops) if ops else FeedResult()
        self.record(result.failures)
        return result

    def index_files(self, docs: Sequence[FeedDocument], fed: FeedResult, record: bool = True) -> FileBatchResult | None:
        """--download-files: fetch and index the files of the rows Vespa took, through the same
        sink; file documents Vespa rejects are recorded like the rows' (`record` as in `settle`)."""
        if self.files is None:
            return None
        rejected = {f.id for f in fed.failures}
        batch = self.files.index([d for d in docs if d.id not in rejected], self.sink)
        if record:
            self.record(batch.document_failures)
        self.file_counts.add(batch)
        return batch

    # -- reading
    def connection_lost(self, exc: BaseException, where: str) -> DatabaseConnectionError | None:
        """The error to raise when `exc` means the session is gone (the run cannot go on), or
        None when it concerns one table only (the caller records it and rolls back)."""
        if isinstance(exc, psycopg2.Error) and db.connection_lost(self.conn, exc):
            return DatabaseConnectionError(f"lost the database connection {where}: {db.first_line(exc)}")
        return None

    def rollback(self) -> None:
        if self.conn is not None and self.conn.closed == 0:
            self.conn.rollback()

    @property
    def description(self) -> dict[str, str]:
        """Where this run reads and writes, redacted."""
        return {"database": redact_url(self.options.database_url), "vespa": redact_url(self.options.vespa_url)}


def record_context_names(run: RunContext, plans: list[TablePlan], known: dict[str, dict[str, dict[str, str]]] | None = None,
                         keep: Collection[str] = (), save: bool = True) -> dict[str, dict[str, dict[str, str]]]:
    """The digests of what every context target's rows show others, as they are now (one
    snapshot), saved as the state the next sync cycle compares with. Targets named in `keep`
    take their digests from `known` when it has them, unread: a resumed ingest keeps the
    digests it started with (documents fed before may show older names; an older digest makes
    the next cycle feed them again, a newer one would hide that), and a sync cycle does not
    read a target table none of whose rows it saw change."""
    known = known or {}
    names: dict[str, dict[str, dict[str, str]]] = {}
    begin_snapshot(run.conn)
    for target in context_targets(plans):
        earlier = known.get(target.name, {}).get(target.key_column) if target.name in keep else None
        names.setdefault(target.name, {})[target.key_column] = (
            earlier if earlier is not None else name_digests(run.conn, target))
    run.conn.rollback()
    if save:
        run.store.save_context_names(names)
    return names
