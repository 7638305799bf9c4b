"""Read and build a table's documents in worker processes, batches coming back in key order.

Building a document is pure-Python work (~35 us a row on this project's benchmark table), so
one process keeps one core busy whatever the machine has. Here the main process only walks
the table's keys (the key columns only) and cuts each batch into ranges of at most RANGE_ROWS
rows; worker processes read each range's rows with their own sessions and build its
documents, which travel back as their feed lines. Every session sees the same snapshot: the
main transaction exports it and each worker imports it, as pg_dump --jobs does. Batches are
put together again in key order, so the caller advances its checkpoints exactly as when it
reads the table itself (`serial_batches`).

Workers are started with `spawn` (a fresh interpreter: the main process may run feeder threads,
which `fork` must not copy mid-lock) and ignore Ctrl-C (the main process decides what a cancel
means). On Linux they die with the main process, even after `kill -9` (prctl); elsewhere a
worker orphaned by `kill -9` may linger until it is stopped by hand.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import multiprocessing
import os
import pickle
import re
import signal
import time
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

import psycopg2
import psycopg2.errors

from .. import database as db
from ..documents.record import (
    FeedDocument,
    PackedDocuments,
    RowBuilder,
    content_digest,
    pack_documents,
    unpack_documents,
)
from ..documents.values import type_name
from ..errors import DatabaseConnectionError, RangeReadError
from ..logs import logger
from ..plan import TablePlan
from ..source.reader import (
    KeyRange,
    key_batches,
    range_rows,
    read_batches,
    read_range,
    shared_snapshot,
)
from ..tuning import tune_process


@dataclass
class BuiltBatch:
    """One batch of a table: its documents (soft-deleted rows left out) and where it ends."""

    docs: list[FeedDocument]  # Documents when built here, EncodedDocuments from a worker
    rows_read: int
    last_key: list[Any] | None
    digests: list[int] | None = None  # with digests=True: content_digest of each document (verify)
    # False: a part of a batch (`parts=True`): the batch (its checkpoint) ends with a later part,
    # and `last_key` is where this part ends
    ends_batch: bool = True

    @property
    def soft_deleted(self) -> int:
        return self.rows_read - len(self.docs)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:  # from a worker: documents as columns
        return (_unpacked_batch, (pack_documents(self.docs), self.rows_read, self.last_key, self.digests))


def _unpacked_batch(packed: PackedDocuments, rows_read: int, last_key: list[Any] | None,
                    digests: list[int] | None = None) -> BuiltBatch:
    return BuiltBatch(list(unpack_documents(packed)), rows_read, last_key, digests)


def _digests(docs: list[FeedDocument], wanted: bool) -> list[int] | None:
    """The documents' content digests (where they are built: in a worker, before they are
    packed, so the main process never decodes them again), or None when not wanted."""
    return [content_digest(d.fields) for d in docs] if wanted else None


def default_processes() -> int:
    """One worker per core, at most 4 (beyond that the main process's feeding is the limit)."""
    return max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


def serial_batches(conn, plan: TablePlan, batch_size: int, after_key: list[Any] | None = None,
                   digests: bool = False, parts: bool = False) -> Iterator[BuiltBatch]:
    """The table's batches read and built in this process (each whole, `parts` or not: its
    rows are read at once)."""
    builder = RowBuilder(plan)
    for batch in read_batches(conn, plan, batch_size, after_key):
        docs: list[FeedDocument] = list(builder.documents(batch.rows, int(time.time() * 1000)))
        yield BuiltBatch(docs, len(batch.rows), batch.last_key, _digests(docs, digests))


# --- in the worker processes ------------------------------------------------------------------

worker_state: dict[str, Any] = {}  # (public for tests) this worker's database URL, session, current plan and its builder


def _start_worker(database_url: str) -> None:
    # Ctrl-C and `kill -TERM -<group>` (or systemd stopping the service) reach every process:
    # the main process decides what a cancel means and stops the workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _die_with_parent()
    tune_process()  # as the scripts do
    worker_state["url"] = database_url


def _die_with_parent() -> None:
    """Linux: SIGKILL this process when its parent dies (PR_SET_PDEATHSIG)."""
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _session():
    conn = worker_state.get("conn")
    if conn is None or conn.closed:
        conn = worker_state["conn"] = db.connect(worker_state["url"])
    return conn


def _builder(pickled: bytes) -> RowBuilder:
    """The document builder of the plan sent with every range: unpickled and made once."""
    if worker_state.get("pickled_plan") != pickled:
        plan = pickle.loads(pickled)  # noqa: S301 (our own parent's bytes)
        worker_state["plan"], worker_state["builder"], worker_state["pickled_plan"] = plan, RowBuilder(plan), pickled
    return worker_state["builder"]


def build_range(pickled_plan: bytes, key_range: KeyRange, snapshot: str, digests: bool = False) -> BuiltBatch:
    builder = _builder(pickled_plan)
    plan = builder.plan
    conn = _session()
    now = int(time.time() * 1000)
    docs: list[FeedDocument] = []
    rows = 0
    try:
        for chunk in read_range(conn, plan, key_range, snapshot):
            rows += len(chunk)
            docs += builder.documents(chunk, now)
    except psycopg2.errors.LockNotAvailable as exc:
        raise RangeReadError(db.first_line(exc), "lock") from None
    except psycopg2.Error as exc:  # not sent as is: driver errors do not survive pickling well
        raise RangeReadError(db.first_line(exc), "connection_lost" if db.connection_lost(conn, exc) else "error") from None
    # sent packed: BuiltBatch.__reduce__
    return _checked(BuiltBatch(docs, rows, key_range.last_key, _digests(docs, digests)), key_range)


def _checked(batch: BuiltBatch, key_range: KeyRange) -> BuiltBatch:
    """A range holds exactly the rows the key scan counted in it (one snapshot, unique keys):
    anything else means its bounds did not survive the trip through SQL text. Never silently
    short: the table fails instead."""
    if batch.rows_read != key_range.rows:
        raise RangeReadError(f"read {batch.rows_read} rows of a key range of {key_range.rows} "
                             f"(its key {key_range.last_key!r} does not read back exactly)")
    return batch


# --- in the main process ----------------------------------------------------------------------

RANGE_ROWS = 1000  # rows a worker reads and builds per task: small, so memory stays small
WINDOW_PER_PROCESS = 4  # ranges submitted ahead of the caller per worker process
# Key types whose values psycopg2 reads and key_to_json writes back exactly: ranges are cut
# on them. Others (bytea, arrays, floats, json...) are read in one process, as before.
_RANGE_KEY_TYPES = re.compile(
    r"(smallint|integer|bigint|int[248]|numeric|decimal|text|character varying|varchar|character|char|bpchar"
    r"|citext|uuid|date|timestamp( with(out)? time zone)?|timestamptz)$")


@dataclass
class _Task:
    key_range: KeyRange
    ends_batch: bool  # the last range of a batch
    future: concurrent.futures.Future[BuiltBatch] | None  # None: to be read in this process


class BuildPool:
    """Worker processes that read and build batches; started on first use, one set per job."""

    def __init__(self, database_url: str, processes: int) -> None:
        self.database_url, self.processes = database_url, processes
        self._executor: concurrent.futures.ProcessPoolExecutor | None = None
        self.local_only = False  # workers cannot connect (a connection limit)
        self._local_table: str | None = None  # workers wait on this table's locks: read it here
        self._warned: set[str] = set()

    def usable_for(self, plan: TablePlan, rows: int, batch_size: int) -> bool:
        """Worth it for a table of more than one range whose key is of a type that reads back
        exactly from SQL text (keyless tables have no order to cut into ranges; a secret-looking
        key is read in one process, so its values never travel in range bounds or their errors)."""
        return (self.processes > 1 and not self.local_only and plan.has_key and not plan.key_is_secret
                and all(_RANGE_KEY_TYPES.match(type_name(plan.table.column(k).effective_type))
                        for k in plan.key_columns)
                and rows > min(batch_size, RANGE_ROWS))

    def _warn_once(self, what: str, message: str, *args: object) -> None:
        if what not in self._warned:
            self._warned.add(what)
            logger.warning(message, *args)

    def _pool(self) -> concurrent.futures.ProcessPoolExecutor:
        if self._executor is None:
            self._executor = concurrent.futures.ProcessPoolExecutor(
                self.processes, mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker, initargs=(self.database_url,))
            logger.debug("reading and building documents in %d worker processes", self.processes)
        return self._executor

    def batches(self, conn, plan: TablePlan, batch_size: int, after_key: list[Any] | None = None,
                digests: bool = False, parts: bool = False) -> Iterator[BuiltBatch]:
        """The table's batches, built by the workers, in key order. Each batch is read as
        ranges of RANGE_ROWS rows, a few ranges ahead of the caller: memory stays bounded.
        `digests`: each batch comes with its documents' content digests, computed by the
        workers (verify). `parts`: each range comes on its own as it is built (`ends_batch`
        marks a batch's last), so a caller can send documents on without holding a batch."""
        stack = contextlib.ExitStack()
        try:
            snapshot = stack.enter_context(shared_snapshot(conn))
        except psycopg2.Error as exc:  # a hot standby (read replica) exports no snapshots
            self._warn_once("snapshot", "Cannot share a snapshot with worker processes (%s); "
                            "reading in this process", db.first_line(exc))
            yield from serial_batches(conn, plan, batch_size, after_key, digests)
            return
        with stack:  # the snapshot's transaction ends last: the ranges being read need it
            pool, pickled_plan, builder = self._pool(), pickle.dumps(plan), RowBuilder(plan)
            window: collections.deque[_Task] = collections.deque()
            partial = BuiltBatch([], 0, None, [] if digests else None)  # the batch being put together
            try:
                for ranges in key_batches(conn, plan, batch_size, after_key, RANGE_ROWS):
                    for number, key_range in enumerate(ranges, 1):
                        here = self.local_only or self._local_table == plan.name
                        future = None if here else pool.submit(build_range, pickled_plan, key_range, snapshot, digests)
                        window.append(_Task(key_range, number == len(ranges), future))
                        # at most WINDOW_PER_PROCESS ranges out per worker: a finished range
                        # waits here, built, until it is taken
                        yield from self._finished(conn, builder, window, partial,
                                                  WINDOW_PER_PROCESS * self.processes, digests, parts)
                yield from self._finished(conn, builder, window, partial, 0, digests, parts)
            finally:
                for task in window:
                    if task.future is not None:
                        task.future.cancel()
                concurrent.futures.wait([t.future for t in window if t.future is not None])

    def _finished(self, conn, builder: RowBuilder, window: collections.deque[_Task], partial: BuiltBatch,
                  keep: int, digests: bool = False, parts: bool = False) -> Iterator[BuiltBatch]:
        """Take results from the front of `window` while more than `keep` tasks are out (or the
        front one is done), adding them to `partial`; yield each batch as it completes (with
        `parts`: each result, as it comes)."""
        while len(window) > keep or (window and window[0].future is not None and window[0].future.done()):
            task = window.popleft()
            part = self._result(conn, builder, task, digests)
            if parts:
                part.ends_batch = task.ends_batch
                yield part
                continue
            partial.docs += part.docs
            partial.rows_read += part.rows_read
            if partial.digests is not None:
                partial.digests += part.digests or []
            if task.ends_batch:
                yield BuiltBatch(partial.docs, partial.rows_read, task.key_range.last_key, partial.digests)
                partial.docs, partial.rows_read = [], 0
                partial.digests = [] if digests else None

    def _result(self, conn, builder: RowBuilder, task: _Task, digests: bool = False) -> BuiltBatch:
        plan = builder.plan
        if task.future is not None:
            try:
                return task.future.result()
            except BrokenProcessPool:
                self._executor = None  # the next table starts new workers
                raise RangeReadError("a worker process died (out of memory, or killed)") from None
            except RangeReadError as exc:
                if exc.reason == "connection_lost":
                    raise DatabaseConnectionError(f"a worker lost its database connection: {exc}") from None
                if exc.reason != "lock":
                    raise
                # Someone (a migration) waits for this table behind our snapshot's lock, and
                # the workers would queue behind them for good. This session holds the lock.
                self._warn_once(f"lock:{plan.name}", "%s: a lock request is waiting on the table (%s); "
                                "reading the rest of it in this process", plan.name, exc)
                self._local_table = plan.name
            except DatabaseConnectionError as exc:  # a worker could not open its session
                self._warn_once("connect", "Worker processes cannot connect (%s); reading in this process", exc)
                self.local_only = True
        # the range read by this session, inside the snapshot transaction it keeps open
        rows = [row for chunk in range_rows(conn, plan, task.key_range) for row in chunk]
        docs: list[FeedDocument] = list(builder.documents(rows, int(time.time() * 1000)))
        return _checked(BuiltBatch(docs, len(rows), task.key_range.last_key, _digests(docs, digests)), task.key_range)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
