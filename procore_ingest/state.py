"""The JSON state store: jobs, per-table checkpoints and failure logs.

Layout under the state directory (default ./.procore_ingest, mode 0700):

    jobs/<job_id>.json        what was asked, per-table progress and counts
    failures/<job_id>.jsonl   one line per document Vespa rejected: id, table, status, message
    checkpoints.json          `Checkpoints`: per table, the last full load and the sync state
                              (`TableSyncState`), the cycle's bookkeeping; format `STATE_VERSION`
    lock                      flock()ed by the process that writes
    id.key                    the deployment's id key (`load_id_key`), made on first use, 0600

Every write is atomic (temp file, fsync, rename) with mode 0600. Nothing here holds a secret:
URLs are stored redacted, and the row digests are keyed with a secret derived from the id key
(source.changes.keyed_digest), so no withheld value can be brute-forced from them.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, get_args

import orjson

from .atomic import atomic_write_text
from .clock import utc_now
from .config import setting
from .errors import JobNotFoundError, StateBusyError, StateError, StateWriteError

ID_KEY_ENV = "PROCORE_ID_KEY"


def load_id_key(state_dir: str | os.PathLike[str]) -> bytes:
    """The key of the HMAC that stands for secret-looking primary keys in document ids, and
    from which the row digests' salt is derived (source.changes.digest_salt):
    $PROCORE_ID_KEY when set, else `<state dir>/id.key`, 32 random bytes (hex) written with mode
    0600 by the first run that reads a table. The same key must be used by every run that feeds
    one index: ids made with another key are other documents."""
    from_env = setting(None, ID_KEY_ENV) or ""  # the environment, or `.env`
    if from_env:
        return from_env.encode()
    path = Path(state_dir) / "id.key"
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise StateError(f"cannot read the id key {path}: {exc.strerror}") from None
    with state_os_errors("write the id key", path):
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another run made it first
            return path.read_bytes().strip()
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        return path.read_bytes().strip()


JobStatus = Literal["running", "completed", "partial", "failed", "cancelled"]  # an ingestion job
TableJobStatus = Literal["pending", "running", "completed", "failed"]  # a table within an ingestion job
SyncMode = Literal["cursor", "digest", "full"]  # change columns, key-range digests, every row read
TableSyncStatus = Literal["ok", "failed"]  # a table's last sync cycle

JOB_STATUSES: tuple[JobStatus, ...] = get_args(JobStatus)


@dataclass
class TableProgress:
    status: TableJobStatus = "pending"
    rows_read: int = 0
    indexed: int = 0
    failed: int = 0
    soft_deleted: int = 0  # rows not indexed because their deleted_at is set
    removed: int = 0  # documents of rows gone from the table, removed at the end of a full load
    last_key: list[Any] | None = None  # key of the last row whose batch is fully acknowledged
    error: str | None = None
    started_at: str | None = None
    finished_at: str | None = None


class TableTotals:
    """Totals over `self.tables` (name -> TableProgress), for jobs and their results."""

    tables: dict[str, TableProgress]

    @property
    def indexed(self) -> int:
        return sum(t.indexed for t in self.tables.values())

    @property
    def failed(self) -> int:
        return sum(t.failed for t in self.tables.values())


@dataclass
class Job(TableTotals):
    job_id: str
    kind: str  # "full" or "incremental"
    options: dict[str, Any]  # what was asked, URLs redacted: enough to resume
    status: JobStatus = "running"
    started_at: str = field(default_factory=utc_now)
    finished_at: str | None = None
    pid: int = field(default_factory=os.getpid)
    tables: dict[str, TableProgress] = field(default_factory=dict)
    withheld_columns: dict[str, list[str]] = field(default_factory=dict)
    error: str | None = None
    schema_failed: int = 0  # procore_schema_metadata documents Vespa did not take
    dropped: dict[str, int] = field(default_factory=dict)  # table gone from the database -> removes that failed

    @classmethod
    def new(cls, kind: str, options: dict[str, Any]) -> Job:
        return cls(job_id=str(uuid.uuid4()), kind=kind, options=options)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Job:
        tables = {k: TableProgress(**v) for k, v in data.pop("tables", {}).items()}
        return cls(**data, tables=tables)


# --- checkpoints: what sync compares against, per table --------------------------------------

# 1: the untyped layout before versions (tables at the top, "__sync__", "__schema__");
# 2: unkeyed row digests (md5 of the whole row, withheld columns included: see F12) and no
#    `binding` (a version-2 state is taken to belong to the target and database of its first run)
STATE_VERSION = 3


def _known(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    """The keys of `data` that are fields of the dataclass `cls` (older files may lack some)."""
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}


@dataclass
class PendingOperation:
    """A write Vespa has not acknowledged after a cycle's retries. Every later cycle retries it
    first, until it lands; while any is pending the table's state does not move past it."""

    kind: str  # "put" or "remove"
    doctype: str  # procore_record, procore_schema_metadata, pdf_page
    id: str  # the document's user-specified id
    table: str
    key: list[Any] | None = None  # a row's put: its key, so the row is read and rendered again
    status: int = 0  # Vespa's last answer (0: none)
    message: str = ""
    attempts: int = 1
    since: str = field(default_factory=lambda: utc_now())


@dataclass
class TableSyncState:
    """What the last cycle left for one table: the next cycle compares the database with it."""

    columns: str | None = None  # fingerprint of how rows are read (key, columns, types, withheld)
    documents: str | None = None  # fingerprint of derived fields (relationships, file references)
    labels: str | None = None  # fingerprint of the table's comment and enum labels (catalog only)
    mode: SyncMode = "cursor"  # what the next cycle does: cursor or digest (a full load is never left)
    activity: list[int] | None = None  # PostgreSQL's write counters and file node
    fingerprint: list[Any] | None = None  # [count, sum of key hashes] of the live rows; None: list ids next cycle
    watermarks: dict[str, str] = field(default_factory=dict)  # change column -> max value seen (capped)
    recent: dict[str, str] = field(default_factory=dict)  # rows in the overlap window -> content hash
    buckets: int | None = None  # digest mode: number of key-range buckets
    # integer-keyed tables with change columns: bounds of the key ranges (range r holds
    # bounds[r-1] <= key < bounds[r]); `digests` are then per range, and the keys the index holds
    # are kept beside the state (indexed_keys.IndexedKeys). None: hash buckets, ids listed.
    bounds: list[int] | None = None
    digests: dict[str, str] = field(default_factory=dict)  # bucket -> "count:sum" (cursor mode: last checked)
    check_phase: int = 0  # cursor mode: the slice of buckets the next content check compares
    # tables with key ranges: the slices the content check is cut into (a slice holds at most
    # about the row budget, `changes.check_slices`); 0: 12 (CHECK_SLICES, and every state before it)
    check_slices: int = 0
    checked_phases: list[int] = field(default_factory=list)  # slices whose digests are recorded
    checks_since_write: int = 0  # slices compared since the table was last written
    pending: list[PendingOperation] = field(default_factory=list)
    # operations past the per-table bound (config.max_pending), counted, not kept: the next
    # cycle reloads the table in full (a full load makes every document right again)
    pending_overflow: int = 0
    # False: `recent` and `digests` are a format-2 state's unkeyed md5s, compared once the old
    # way (changes.rekey_recent, bucket_digests(unkeyed=True)) and replaced by keyed ones
    digests_keyed: bool = True
    synced_at: str | None = None
    records: int = 0  # live rows after the cycle
    changes: int = 0
    inserted: int = 0
    updated: int = 0
    removed: int = 0
    failed: int = 0
    status: TableSyncStatus = "ok"
    error: str | None = None
    failed_at: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any], table: str = "") -> TableSyncState:
        data = dict(data)
        pending = [PendingOperation(**_known(PendingOperation, p)) for p in data.pop("pending", [])]
        # version 1 kept the keys of rows Vespa rejected as "retry_keys": they are pending puts
        for key in data.pop("retry_keys", None) or []:
            pending.append(PendingOperation("put", "procore_record", "", table, key=key))
        return cls(**_known(cls, data), pending=pending)

    @property
    def pending_total(self) -> int:
        """Operations not yet acknowledged: those kept, and those past the bound."""
        return len(self.pending) + self.pending_overflow

    def forget_unkeyed(self) -> None:
        """A format-2 state: what cannot be compared the old way once is dropped (the key
        fingerprint: ids are listed next cycle; the content check's digests of tables with
        change columns: recorded again over the next CHECK_SLICES cycles, nothing re-fed)."""
        self.digests_keyed, self.fingerprint = False, None
        if self.mode == "cursor":
            self.digests, self.checked_phases = {}, []


@dataclass
class FullLoad:
    job_id: str
    completed_at: str | None


@dataclass
class TableCheckpoint:
    full: FullLoad | None = None  # the last completed full load
    sync: TableSyncState | None = None  # None: the next cycle loads the table in full

    @classmethod
    def from_dict(cls, data: dict[str, Any], table: str) -> TableCheckpoint:
        full = FullLoad(**_known(FullLoad, data["full"])) if data.get("full") else None
        sync = TableSyncState.from_dict(data["sync"], table) if data.get("sync") else None
        return cls(full, sync)


@dataclass
class CycleMeta:
    """The last sync cycle, for --status (no database or Vespa contacted)."""

    last_cycle_started: str | None = None
    last_cycle_finished: str | None = None
    last_cycle_changes: int = 0
    last_cycle_errors: int = 0
    last_cycle_failed_records: int = 0
    last_cycle_pending: int = 0
    daemon_interval: int | None = None
    database: str | None = None  # redacted
    vespa: str | None = None  # redacted
    stats_reset: str | None = None  # pg_stat_database.stats_reset seen by the last cycle
    in_recovery: bool | None = None  # the last cycle read a hot standby


@dataclass
class SchemaDocuments:
    """The procore_schema_metadata documents last acknowledged by Vespa."""

    fingerprint: str | None = None
    fed_at: str | None = None
    pending: list[PendingOperation] = field(default_factory=list)
    row_counts: dict[str, int] = field(default_factory=dict)  # table -> the row_count last acknowledged


@dataclass(frozen=True)
class StateBinding:
    """The index and the database a sync state describes. Its checkpoints say what *that*
    index holds of *that* database; against anything else they are meaningless."""

    target: str | None = None  # vespa.targets.target_identity: no credentials
    database: str | None = None  # source.identity.database_identity: no credentials

    def differs(self, other: StateBinding) -> str | None:
        """What of `other` this binding (when set) does not match, or None."""
        moved = [what for what, mine, theirs in (("Vespa target", self.target, other.target),
                                                  ("database", self.database, other.database))
                 if mine is not None and mine != theirs]
        return " and ".join(moved) or None


@dataclass
class Checkpoints:
    """checkpoints.json: everything sync keeps between cycles. Read and written only here."""

    tables: dict[str, TableCheckpoint] = field(default_factory=dict)
    cycle: CycleMeta = field(default_factory=CycleMeta)
    schema: SchemaDocuments = field(default_factory=SchemaDocuments)
    dropped: dict[str, list[PendingOperation]] = field(default_factory=dict)  # dropped tables' unfinished removes
    binding: StateBinding = field(default_factory=StateBinding)
    version: int = STATE_VERSION

    def table(self, name: str) -> TableCheckpoint:
        return self.tables.setdefault(name, TableCheckpoint())

    def bind(self, binding: StateBinding) -> str | None:
        """Tie the state to the index and database of this run. When it was made for another
        one, everything it says about the index is dropped (every table is loaded in full, the
        schema documents fed again) and what differed is returned, for the caller to log."""
        moved = self.binding.differs(binding)
        if moved is not None:
            self.tables, self.schema, self.dropped = {}, SchemaDocuments(), {}
        self.binding = binding
        return moved

    @property
    def pending(self) -> int:
        """Operations not yet acknowledged, over every table, the schema and dropped tables."""
        return (sum(t.sync.pending_total for t in self.tables.values() if t.sync)
                + len(self.schema.pending) + sum(len(p) for p in self.dropped.values()))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Checkpoints:
        version = data.get("version", 1)
        if not isinstance(version, int) or version > STATE_VERSION:
            raise StateError(f"checkpoints.json has format version {version!r}, newer than this "
                             f"procore-ingest reads ({STATE_VERSION}): upgrade procore-ingest")
        if version == 1:  # tables at the top level, beside "__sync__" and "__schema__"
            tables = {k: v for k, v in data.items() if not k.startswith("__")}
            cycle, schema, dropped = data.get("__sync__", {}), data.get("__schema__", {}), {}
        else:
            tables, cycle = data.get("tables", {}), data.get("cycle", {})
            schema, dropped = data.get("schema", {}), data.get("dropped", {})
        checkpoints = cls(
            tables={name: TableCheckpoint.from_dict(entry, name) for name, entry in tables.items()},
            cycle=CycleMeta(**_known(CycleMeta, cycle)),
            schema=SchemaDocuments(
                **_known(SchemaDocuments, {k: v for k, v in schema.items() if k != "pending"}),
                pending=[PendingOperation(**_known(PendingOperation, p)) for p in schema.get("pending", [])]),
            dropped={name: [PendingOperation(**_known(PendingOperation, p)) for p in ops]
                     for name, ops in dropped.items()},
            binding=StateBinding(**_known(StateBinding, data.get("binding") or {})),
        )
        if version < 3:
            for entry in checkpoints.tables.values():
                if entry.sync is not None:
                    entry.sync.forget_unkeyed()
        return checkpoints


SCHEMA_SNAPSHOT = "schema.json"


@contextlib.contextmanager
def state_os_errors(doing: str, path: Path) -> Iterator[None]:
    """An OSError (full disk, read-only file system, permission) as a StateError naming the
    path: one line and the script's exit code, not "unexpected error: OSError"."""
    try:
        yield
    except OSError as exc:
        raise StateWriteError(f"cannot {doing} {path}: {exc.strerror or exc}") from None


class StateStore:
    """Files under one state directory. `lock()` before writing from a long-running process."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self._lock_fd: int | None = None

    # -- layout
    def _ensure(self) -> None:
        for sub in (self.root, self.root / "jobs", self.root / "failures"):
            with state_os_errors("create the state directory", sub):
                sub.mkdir(mode=0o700, parents=True, exist_ok=True)

    def job_path(self, job_id: str) -> Path:
        return self.root / "jobs" / f"{job_id}.json"

    def failure_log(self, job_id: str) -> Path:
        return self.root / "failures" / f"{job_id}.jsonl"

    # -- lock
    def lock(self) -> None:
        """Exclusive ownership of the store, or StateBusyError naming who holds it."""
        self._ensure()
        with state_os_errors("open the state lock", self.root / "lock"):
            fd = os.open(self.root / "lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise StateBusyError(f"state directory {self.root} is in use by pid {holder}") from None
        try:
            with state_os_errors("write the state lock", self.root / "lock"):
                os.ftruncate(fd, 0)
                os.pwrite(fd, str(os.getpid()).encode(), 0)
        except StateError:
            os.close(fd)
            raise
        self._lock_fd = fd

    def unlock(self) -> None:
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    # -- json files
    def _write(self, path: Path, data: Any) -> None:
        """`data` (JSON values or dataclasses of them) as indented JSON, atomically. orjson: sync
        saves the state after every table, and json.dumps of asdict() took most of a no-change
        cycle once the content check's digests were kept (bench/RESULTS.md)."""
        self._ensure()
        text = orjson.dumps(data, default=str, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS
                            | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_APPEND_NEWLINE)
        with state_os_errors("write the state file", path):
            atomic_write_text(path, text.decode(), mode=0o600)

    def _read(self, path: Path) -> Any:
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise StateError(f"unreadable state file {path}: {exc}") from None

    # -- jobs
    def save_job(self, job: Job) -> None:
        self._write(self.job_path(job.job_id), job)

    def load_job(self, job_id: str) -> Job:
        if not job_id or "/" in job_id or job_id.startswith("."):
            raise JobNotFoundError(f"no job {job_id!r}")
        data = self._read(self.job_path(job_id))
        if data is None:
            raise JobNotFoundError(f"no job {job_id!r} in {self.root / 'jobs'}")
        return Job.from_dict(data)

    def record_failures(self, job_id: str, failures: list[dict[str, Any]]) -> None:
        """Append rejected documents to the job's failure log (JSON lines), flushed to disk."""
        if not failures:
            return
        self._ensure()
        path = self.failure_log(job_id)
        with state_os_errors("write the failure log", path):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as fh:
                for failure in failures:
                    fh.write(json.dumps(failure, sort_keys=True, default=str) + "\n")
                fh.flush()
                os.fsync(fh.fileno())

    # -- checkpoints (per table, across runs)
    def load_checkpoints(self) -> Checkpoints:
        """The sync state; a file of an older format is migrated as it is read."""
        data = self._read(self.root / "checkpoints.json")
        if data is None:
            return Checkpoints()
        if not isinstance(data, dict):
            raise StateError(f"unreadable state file {self.root / 'checkpoints.json'}: not a JSON object")
        try:
            return Checkpoints.from_dict(data)
        except (TypeError, KeyError, AttributeError, ValueError) as exc:
            raise StateError(f"unreadable state file {self.root / 'checkpoints.json'}: {exc}") from None

    def save_checkpoints(self, checkpoints: Checkpoints) -> None:
        self._write(self.root / "checkpoints.json", checkpoints)

    # -- names shown in other rows' context (per context target table, across runs)
    def has_context_names(self) -> bool:
        return (self.root / "context_names.json").exists()

    def load_context_names(self) -> dict[str, dict[str, dict[str, str]]]:
        """context_names.json: per table whose rows name others (`source.context`) and per key
        column, a digest of what each row shows them, by key. Empty when there is none yet."""
        data = self._read(self.root / "context_names.json")
        if data is None:
            return {}
        if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
            raise StateError(f"unreadable state file {self.root / 'context_names.json'}: not a JSON object of objects")
        return data

    def save_context_names(self, names: dict[str, dict[str, dict[str, str]]]) -> None:
        # compact: thousands of entries, written once per cycle at most
        self._ensure()
        text = orjson.dumps(names, option=orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE)
        atomic_write_text(self.root / "context_names.json", text.decode(), mode=0o600)


    # -- the schema map sync builds its plans from, kept until the catalog moves
    def load_schema_snapshot(self) -> tuple[str, dict[str, Any]] | None:
        """(catalog key, snapshot) of the last discovery, or None (none kept, or unreadable:
        discovery simply runs again)."""
        try:
            data = self._read(self.root / SCHEMA_SNAPSHOT)
        except StateError:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("catalog"), str) \
                or not isinstance(data.get("schema"), dict):
            return None
        return data["catalog"], data["schema"]

    def save_schema_snapshot(self, catalog: str, snapshot: dict[str, Any]) -> None:
        """Keep the schema map (`discovery.snapshot`: no sampled values) with the catalog key it
        was discovered under; atomically, mode 0600."""
        self._write(self.root / SCHEMA_SNAPSHOT, {"catalog": catalog, "schema": snapshot})
