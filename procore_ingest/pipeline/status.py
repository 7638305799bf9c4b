"""The sync status, read from the state store alone: no database or Vespa is contacted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from ..state import StateStore
from .daemon import running_pid
from .sync import SYNC_KEY


@dataclass
class TableStatus:
    name: str
    synced_at: str | None
    records: int | None
    changes: int | None
    status: str  # ok, failed, never synced
    error: str | None = None


@dataclass
class SyncStatus:
    last_sync: str | None
    next_sync: str | None
    daemon_pid: int | None
    interval_s: int | None
    tables: list[TableStatus]
    sync_errors: int

    @property
    def total_records(self) -> int:
        return sum(t.records or 0 for t in self.tables)

    @property
    def changes(self) -> int:
        return sum(t.changes or 0 for t in self.tables)

    @property
    def failed_tables(self) -> list[str]:
        return [t.name for t in self.tables if t.status == "failed"]


def read_status(state_dir: str, pid_file: str | None = None) -> SyncStatus:
    """The sync status from the state store alone: no database or Vespa is contacted."""
    checkpoints = StateStore(state_dir).load_checkpoints()
    meta = checkpoints.get(SYNC_KEY, {})
    tables = []
    for name in sorted(n for n in checkpoints if not n.startswith("__")):
        sync = checkpoints[name].get("sync")
        if not sync or "synced_at" not in sync:
            full = checkpoints[name].get("full", {})
            tables.append(TableStatus(name, full.get("completed_at"), None, None,
                                      "failed" if sync and sync.get("status") == "failed" else "never synced",
                                      sync.get("error") if sync else None))
            continue
        tables.append(TableStatus(name, sync.get("synced_at"), sync.get("records"), sync.get("changes"),
                                  sync.get("status", "ok"), sync.get("error")))
    pid = running_pid(pid_file) if pid_file else None
    interval = meta.get("daemon_interval") if pid else None
    next_sync = None
    if pid and interval and meta.get("last_cycle_started"):
        start = _parse(meta["last_cycle_started"])
        next_sync = datetime.fromtimestamp(start.timestamp() + interval, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return SyncStatus(meta.get("last_cycle_finished"), next_sync, pid, interval, tables,
                      sum(1 for t in tables if t.status == "failed"))


def _parse(stamp: str) -> datetime:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


def _ago(stamp: str | None, now: datetime) -> str:
    if not stamp:
        return "never"
    when = _parse(stamp)
    seconds = int((now - when).total_seconds())
    local = when.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    if seconds >= 0:
        return f"{local} ({seconds // 60} minutes ago)" if seconds >= 60 else f"{local} ({seconds} seconds ago)"
    return f"{local} (in {(-seconds) // 60} minutes)"


def status_report(status: SyncStatus, now: datetime | None = None) -> str:
    """The contract's Sync Status Report."""
    now = now or datetime.now(timezone.utc)
    rule = "═" * 54
    width = max((len(t.name) for t in status.tables), default=10)
    lines = ["Sync Status Report", rule, f"Last sync: {_ago(status.last_sync, now)}"]
    lines.append(f"Next sync: {_ago(status.next_sync, now)}" if status.next_sync
                 else "Next sync: not scheduled (no daemon running)")
    lines.append(f"Daemon: running (pid {status.daemon_pid}, every {status.interval_s}s)"
                 if status.daemon_pid else "Daemon: not running")
    lines += ["", "Table Status:"]
    if not status.tables:
        lines.append("  (never synced: run sync_database.py --once or ingest_database.py --full)")
    for t in status.tables:
        when = _parse(t.synced_at).astimezone().strftime("%H:%M:%S") if t.synced_at else "-"
        if t.status == "never synced":
            detail = f"never synced (full load {when})" if t.synced_at else "never synced"
        elif t.status == "failed":
            detail = f"FAILED: {t.error}"
        else:
            detail = f"synced at {when} ({t.records or 0} records, {t.changes or 0} changes)"
        lines.append(f"  {t.name:<{width}} : {detail}")
    lines += ["", "Overall:", f"  Tables monitored: {len(status.tables)}",
              f"  Total records: {status.total_records:,}", f"  Changes detected: {status.changes:,}",
              f"  Sync errors: {status.sync_errors}"]
    if status.failed_tables:
        lines.append(f"  Failed tables: {', '.join(status.failed_tables)}")
    lines.append(rule)
    return "\n".join(lines)
