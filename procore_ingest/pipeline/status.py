"""The sync status, read from the state store alone: no database or Vespa is contacted."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

from ..state import StateStore, TableSyncStatus
from .daemon import running_pid


@dataclass
class TableStatus:
    name: str
    synced_at: str | None
    records: int | None
    changes: int | None
    status: TableSyncStatus | Literal["never synced"]
    error: str | None = None
    pending: int = 0  # operations Vespa has not acknowledged yet


@dataclass
class SyncStatus:
    last_sync: str | None
    next_sync: str | None
    daemon_pid: int | None
    interval_s: int | None
    tables: list[TableStatus]
    sync_errors: int
    pending: dict[str, int] = field(default_factory=dict)  # table -> operations not yet acknowledged
    database: str | None = None  # redacted
    vespa: str | None = None  # redacted

    @property
    def pending_total(self) -> int:
        return sum(self.pending.values())

    @property
    def total_records(self) -> int:
        return sum(t.records or 0 for t in self.tables)

    @property
    def changes(self) -> int:
        return sum(t.changes or 0 for t in self.tables)

    @property
    def failed_tables(self) -> list[str]:
        return [t.name for t in self.tables if t.status == "failed"]

    def to_dict(self) -> dict[str, Any]:
        """The status as one JSON-ready object: the fields, plus the report's totals."""
        data = asdict(self)
        data["totals"] = {"tables_monitored": len(self.tables), "records": self.total_records,
                          "changes": self.changes, "sync_errors": self.sync_errors,
                          "pending": self.pending_total}
        data["failed_tables"] = self.failed_tables
        return data


def read_status(state_dir: str, pid_file: str | None = None) -> SyncStatus:
    """The sync status from the state store alone: no database or Vespa is contacted."""
    checkpoints = StateStore(state_dir).load_checkpoints()
    meta = checkpoints.cycle
    tables = []
    for name in sorted(checkpoints.tables):
        entry = checkpoints.tables[name]
        sync = entry.sync
        if sync is None or sync.synced_at is None:
            failed = sync is not None and sync.status == "failed"
            tables.append(TableStatus(name, entry.full.completed_at if entry.full else None, None, None,
                                      "failed" if failed else "never synced", sync.error if sync else None,
                                      len(sync.pending) if sync else 0))
            continue
        tables.append(TableStatus(name, sync.synced_at, sync.records, sync.changes, sync.status, sync.error,
                                  len(sync.pending)))
    pending = {t.name: t.pending for t in tables if t.pending}
    pending.update({name: len(ops) for name, ops in checkpoints.dropped.items() if ops})
    if checkpoints.schema.pending:
        pending["(schema documents)"] = len(checkpoints.schema.pending)
    pid = running_pid(pid_file) if pid_file else None
    interval = meta.daemon_interval if pid else None
    next_sync = None
    if pid and interval and meta.last_cycle_started:
        start = parse_stamp(meta.last_cycle_started)
        next_sync = datetime.fromtimestamp(start.timestamp() + interval, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return SyncStatus(meta.last_cycle_finished, next_sync, pid, interval, tables,
                      sum(1 for t in tables if t.status == "failed"), pending, meta.database, meta.vespa)


def parse_stamp(stamp: str) -> datetime:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
