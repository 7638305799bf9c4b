"""The JSON state store: jobs, per-table checkpoints and failure logs.

Layout under the state directory (default ./.procore_ingest, mode 0700):

    jobs/<job_id>.json        what was asked, per-table progress and counts
    failures/<job_id>.jsonl   one line per document Vespa rejected: id, table, status, message
    checkpoints.json          per-table position of the last completed run (used by sync)
    lock                      flock()ed by the process that writes

Every write is atomic (temp file, fsync, rename) with mode 0600. Nothing here holds a secret:
URLs are stored redacted.
"""

from __future__ import annotations

import fcntl
import json
import os
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .errors import JobNotFoundError, StateError
from .fsutil import atomic_write_text

JOB_STATUSES = ("running", "completed", "partial", "failed", "cancelled")


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class TableProgress:
    status: str = "pending"  # pending, running, completed, failed
    rows_read: int = 0
    indexed: int = 0
    failed: int = 0
    soft_deleted: int = 0  # rows not indexed because their deleted_at is set
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
    status: str = "running"
    started_at: str = field(default_factory=utc_now)
    finished_at: str | None = None
    pid: int = field(default_factory=os.getpid)
    tables: dict[str, TableProgress] = field(default_factory=dict)
    withheld_columns: dict[str, list[str]] = field(default_factory=dict)
    error: str | None = None

    @classmethod
    def new(cls, kind: str, options: dict[str, Any]) -> Job:
        return cls(job_id=str(uuid.uuid4()), kind=kind, options=options)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Job:
        tables = {k: TableProgress(**v) for k, v in data.pop("tables", {}).items()}
        return cls(**data, tables=tables)


class StateStore:
    """Files under one state directory. `lock()` before writing from a long-running process."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self._lock_fd: int | None = None

    # -- layout
    def _ensure(self) -> None:
        for sub in (self.root, self.root / "jobs", self.root / "failures"):
            sub.mkdir(mode=0o700, parents=True, exist_ok=True)

    def job_path(self, job_id: str) -> Path:
        return self.root / "jobs" / f"{job_id}.json"

    def failure_log(self, job_id: str) -> Path:
        return self.root / "failures" / f"{job_id}.jsonl"

    # -- lock
    def lock(self) -> None:
        """Exclusive ownership of the store, or StateError naming who holds it."""
        self._ensure()
        fd = os.open(self.root / "lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise StateError(f"state directory {self.root} is in use by pid {holder}") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._lock_fd = fd

    def unlock(self) -> None:
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    # -- json files
    def _write(self, path: Path, data: Any) -> None:
        self._ensure()
        atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True, default=str) + "\n", mode=0o600)

    def _read(self, path: Path) -> Any:
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise StateError(f"unreadable state file {path}: {exc}") from None

    # -- jobs
    def save_job(self, job: Job) -> None:
        self._write(self.job_path(job.job_id), asdict(job))

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
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            for failure in failures:
                fh.write(json.dumps(failure, sort_keys=True, default=str) + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    # -- checkpoints (per table, across runs)
    def load_checkpoints(self) -> dict[str, Any]:
        return self._read(self.root / "checkpoints.json") or {}

    def save_checkpoints(self, checkpoints: dict[str, Any]) -> None:
        self._write(self.root / "checkpoints.json", checkpoints)
