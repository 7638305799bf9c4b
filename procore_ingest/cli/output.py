"""All text the commands show: timestamped report lines, one progress bar per table, the
closing summary blocks, the dry-run listing, the sync cycle's lines and the status report, in
the contract's shape, and the verify report. The library returns data and reports progress as events; this formats.

Report lines go to stdout; log lines (stderr) keep the log format.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, TextIO

from ..config import redact_url, scrub
from ..files import FileCounts
from ..logs import logger
from ..pipeline.ingest import DryRunReport, IngestResult
from ..pipeline.progress import Progress
from ..pipeline.status import SyncStatus, parse_stamp
from ..pipeline.sync import CycleResult, TableSync
from ..pipeline.verify import TableVerify, VerifyReport
from ..settings import Effective

RULE = "═" * 56
STARTED = {"full": "Starting full ingestion...", "incremental": "Starting incremental ingestion...",
           "dry run": "Dry run: nothing will be written"}


# Without a terminal (cron, systemd, a pipe), a progress log line per table this often (seconds)
PROGRESS_EVERY_S = 10.0
PROGRESS_ENV = "PROCORE_PROGRESS_INTERVAL"


def progress_every() -> float:
    """Seconds between progress log lines: $PROCORE_PROGRESS_INTERVAL, else 10."""
    try:
        value = float(os.environ.get(PROGRESS_ENV, "") or PROGRESS_EVERY_S)
    except ValueError:
        return PROGRESS_EVERY_S
    return value if value >= 0 else PROGRESS_EVERY_S


def short_duration(seconds: float) -> str:
    """`3s`, `4m44s`, `1h02m`: an ETA or a table's time, short."""
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def progress_line(name: str, done: int, total: int | None, elapsed_s: float, finished: bool = False) -> str:
    """`photos: 5,000/7,631 rows (65%), 812 rows/s, ETA 3s` (at the end: `done in 9s`)."""
    rate = done / elapsed_s if elapsed_s > 0 else 0.0
    line = f"{name}: {done:,}/{total:,} rows ({done * 100 // total if total else 100}%)" if total is not None \
        else f"{name}: {done:,} rows"
    line += f", {rate:,.0f} rows/s"
    if finished:
        return line + f", done in {short_duration(elapsed_s)}"
    if total is not None and rate > 0:
        line += f", ETA {short_duration(max(0, total - done) / rate)}"
    return line


class ConsoleReporter(Progress):
    """Progress events as the contract's report lines and tqdm bars (with rate and ETA).

    Without a terminal and with `bars` left to None, no bars: a progress log line per table
    every `log_every` seconds and at the table's end, so cron mail and journald show where a
    long run is. `bars=False` (--no-progress) shows neither."""

    def __init__(self, stream: TextIO | None = None, bars: bool | None = None, width: int = 18,
                 log_every: float | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream or sys.stdout
        self.bars = self.stream.isatty() if bars is None else bars
        self.log_lines = bars is None and not self.bars
        self.log_every = progress_every() if log_every is None else log_every
        self.clock = clock
        self.width = width
        self._bar: Any = None
        self._printed_header = False
        self._table: tuple[str, int | None, float] | None = None  # name, total, start
        self._done = 0
        self._last_line = 0.0

    def line(self, message: str) -> None:
        from tqdm import tqdm

        stamp = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
        tqdm.write(f"[{stamp}] {message}", file=self.stream)

    def started(self, kind: str) -> None:
        self.line(STARTED[kind])

    def resuming(self, job_id: str, status: str, indexed: int) -> None:
        self.line(f"Resuming job {job_id} ({status}, {indexed:,} records indexed so far)...")

    def job_started(self, job_id: str) -> None:
        self.line(f"Job ID: {job_id}")

    def schema_loaded(self, tables: int, relationships: int) -> None:
        self.line(f"Schema loaded: {tables} tables, {relationships} relationships")

    def tables_chosen(self, count: int, excluded: list[str] | None) -> None:
        self.line(f"Tables to process: {count}" + (f" (excluding: {', '.join(excluded)})" if excluded else ""))

    def table_started(self, name: str, total: int | None) -> None:
        now = self.clock()
        self._table, self._done, self._last_line = (name, total, now), 0, now
        if not self.bars:
            return
        from tqdm import tqdm

        if not self._printed_header:
            tqdm.write("\nProcessing tables:", file=self.stream)
            self._printed_header = True
        class Bar(tqdm):  # type: ignore[type-arg,misc]
            """The contract's bar, then the rate as `3,100 rows/s` (tqdm would write 3100.00rows/s)."""

            @property
            def format_dict(self) -> dict[str, Any]:
                d = super().format_dict
                rate = d.get("rate") or (d["n"] / d["elapsed"] if d.get("elapsed") else None)
                d["rows_per_s"] = f"{rate:,.0f}" if rate else "?"
                return d

        self._bar = Bar(
            total=total, desc=f"  {name:<{self.width}}", file=self.stream, leave=True,
            bar_format="{desc}[{bar:40}] {n_fmt}/{total_fmt} ({percentage:3.0f}%) {rows_per_s} rows/s, ETA {remaining}",
            ascii=False, dynamic_ncols=False,
        )

    def table_advanced(self, name: str, rows: int) -> None:
        self._done += rows
        if self._bar is not None:
            self._bar.update(rows)
        elif self.log_lines and self._table is not None:
            now = self.clock()
            if now - self._last_line >= self.log_every:
                self._last_line = now
                self._log_progress(finished=False)

    def table_finished(self, name: str) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self.log_lines and self._table is not None:
            self._log_progress(finished=True)
        self._table = None

    def _log_progress(self, finished: bool) -> None:
        assert self._table is not None
        name, total, start = self._table
        elapsed = self.clock() - start
        logger.info("%s", progress_line(name, self._done, total, elapsed, finished),
                    extra={"table": name, "rows": self._done, "total": total,
                           "rows_per_s": round(self._done / elapsed, 1) if elapsed > 0 else None,
                           "finished": finished})


def format_duration(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h {minutes}m {secs}s" if hours else f"{minutes}m {secs}s"


def file_summary_lines(counts: FileCounts) -> list[str]:
    """--download-files: what happened to the rows' files."""
    lines = [f"  Files downloaded: {counts.downloaded:,}",
             f"  Files unchanged: {counts.unchanged:,}",
             f"  Files failed: {counts.failed:,}",
             f"  File documents indexed: {counts.documents:,}"]
    if counts.skipped_too_large:
        lines.append(f"  Files too large (metadata only): {counts.skipped_too_large:,}")
    if counts.skipped:
        lines.append(f"  File references skipped: {counts.skipped:,}")
    if counts.document_failures:
        lines.append(f"  File documents failed: {counts.document_failures:,}")
    if counts.removed:
        lines.append(f"  Stale file documents removed: {counts.removed:,}")
    return lines


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
    if result.schema_failed:
        lines.append(f"  Schema documents failed: {result.schema_failed}")
    if result.files is not None:
        lines += file_summary_lines(result.files)
    if result.dropped_tables:
        lines.append(f"  Dropped tables' documents removed: {', '.join(result.dropped_tables)}")
    if result.dropped_failed:
        lines.append(f"  Dropped tables' documents not removed yet: {result.dropped_failed:,}")
    removed = sum(t.removed for t in result.tables.values())
    if removed:
        lines.append(f"  Documents of deleted rows removed: {removed:,}")
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


def dry_run_lines(report: DryRunReport) -> list[str]:
    """The table listing of a dry run, and its example document."""
    width = max((len(t.table) for t in report.tables), default=10)
    lines = []
    for t in report.tables:
        withheld = f"  (withheld: {', '.join(t.withheld_columns)})" if t.withheld_columns else ""
        lines.append(f"  {t.table:<{width}}  {t.rows:>9,} rows{withheld}")
    return lines


def table_change_line(t: TableSync) -> str:
    """One table's changes in a cycle: `3 inserted, 1 updated, 0 deleted`."""
    if t.status != "ok":
        return f"FAILED: {t.error}"
    what = f"{t.inserted} inserted, {t.updated} updated, {t.removed} deleted"
    if t.failed:
        what += f", {t.failed} failed"
    if t.pending:
        what += f", {t.pending} pending"
    if t.rechecked:
        what += f", {t.rechecked} put again by the content check"
    if t.mode == "full":
        what += f" (full load: {t.reason})"
    return what


def incremental_summary(result: CycleResult) -> list[str]:
    """The closing block of `ingest_database.py --incremental`, in the contract's shape."""
    failed = result.failed_tables
    return ([RULE, "Incremental ingestion completed" if result.exit_code == 0
             else "Incremental ingestion completed with failures",
             f"  Tables processed: {len(result.tables) - len(failed)}",
             f"  Records indexed: {sum(t.fed for t in result.tables.values()):,}",
             f"  Records deleted: {sum(t.removed for t in result.tables.values()):,}",
             f"  Records failed: {result.failed:,}",
             f"  Duration: {format_duration(result.duration_s)}"]
            + ([f"  Operations pending (retried next run): {result.pending_total:,}"] if result.pending_total else [])
            + (file_summary_lines(result.files) if result.files is not None else [])
            + ([f"  Tables failed: {', '.join(failed)}"] if failed else []) + [RULE])


def log_cycle(result: CycleResult) -> None:
    """A sync cycle in the log: a line per table that changed, then the totals."""
    for name, t in result.tables.items():
        if t.changes or t.status != "ok" or t.mode == "full" or t.pending:
            logger.info("%s: %s", name, table_change_line(t))
    for name in result.dropped_tables:
        logger.warning("%s: table dropped, documents removed", name)
    if result.files is not None:
        for line in file_summary_lines(result.files):
            logger.info("%s", line.strip())
    if result.pending_total:
        logger.warning("Operations Vespa has not acknowledged, retried next cycle: %s",
                       ", ".join(f"{n} {c}" for n, c in sorted(result.pending.items())))
    logger.info("Sync cycle done in %.1fs: %d tables, %d changes, %d failed records, %d failed tables",
                result.duration_s, len(result.tables), result.changes, result.failed, len(result.failed_tables),
                extra=cycle_fields(result))


def cycle_fields(result: CycleResult) -> dict[str, Any]:
    """A cycle's totals as log fields (LOG_FORMAT=json), for alerts without a regex."""
    tables = result.tables.values()
    return {"event": "sync_cycle", "tables": len(result.tables), "changes": result.changes,
            "inserted": sum(t.inserted for t in tables), "updated": sum(t.updated for t in tables),
            "fed": sum(t.fed for t in tables), "removed": sum(t.removed for t in tables),
            "failed": result.failed, "failed_tables": list(result.failed_tables),
            "pending": result.pending_total, "duration_s": round(result.duration_s, 3),
            "exit_code": result.exit_code}


def log_job(result: IngestResult) -> None:
    """An ingestion job's result as one log line (its fields too with LOG_FORMAT=json)."""
    tables = sum(t.status == "completed" for t in result.tables.values())
    logger.info("Job %s %s: %d tables, %d records indexed, %d failed in %s", result.job_id, result.status,
                tables, result.indexed, result.failed, format_duration(result.duration_s),
                extra={"event": "ingest_job", "job_id": result.job_id, "status": result.status,
                       "tables": tables, "indexed": result.indexed, "failed": result.failed,
                       "failed_tables": [n for n, t in result.tables.items() if t.status == "failed"],
                       "duration_s": round(result.duration_s, 3), "exit_code": result.exit_code})


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


def print_config_lines(effective: Effective, prog: str) -> list[str]:
    """--print-config: every setting in effect, as TOML with its source in a comment; URLs
    redacted, and secrets (never in the file) not shown at all."""
    file = effective.file
    lines = [f"# {prog}: settings in effect (flag > environment > file > default)",
             f"# configuration file: {file.path if file.path else 'none'}"]
    for name, value in effective.values.items():
        source = effective.sources[name]
        if value is None:
            lines.append(f"# {name} is not set  ({source})")
            continue
        if isinstance(value, str) and name.endswith("_url"):
            value = redact_url(value)
        lines.append(f"{name} = {scrub(_toml_value(value))}  # {source}")
    lines += ["", "[documents]", f"context_depth = {file.documents.context_depth}"]
    for table, ts in sorted(file.tables.items()):
        lines += ["", f"[tables.{table}]"]
        lines += [f"{k} = {_toml_value(v)}" for k, v in vars(ts).items() if v is not None]
    return lines


def _ago(stamp: str | None, now: datetime) -> str:
    if not stamp:
        return "never"
    when = parse_stamp(stamp)
    seconds = int((now - when).total_seconds())
    local = when.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    if seconds >= 0:
        return f"{local} ({seconds // 60} minutes ago)" if seconds >= 60 else f"{local} ({seconds} seconds ago)"
    return f"{local} (in {(-seconds) // 60} minutes)"


def status_json(status: SyncStatus) -> str:
    """`--status --format json`: the report's facts as one JSON object (times are UTC ISO 8601)."""
    return json.dumps(status.to_dict(), indent=2, sort_keys=False)


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
        when = parse_stamp(t.synced_at).astimezone().strftime("%H:%M:%S") if t.synced_at else "-"
        if t.status == "never synced":
            detail = f"never synced (full load {when})" if t.synced_at else "never synced"
        elif t.status == "failed":
            detail = f"FAILED: {t.error}"
        else:
            detail = f"synced at {when} ({t.records or 0} records, {t.changes or 0} changes)"
        if t.pending:
            detail += f", {t.pending} pending" + (" (too many to keep: reloaded in full next cycle)" if t.reload else "")
        lines.append(f"  {t.name:<{width}} : {detail}")
    lines += ["", "Overall:", f"  Tables monitored: {len(status.tables)}",
              f"  Total records: {status.total_records:,}", f"  Changes detected: {status.changes:,}",
              f"  Sync errors: {status.sync_errors}"]
    if status.pending_total:
        lines.append(f"  Operations pending: {status.pending_total:,} "
                     f"({', '.join(f'{n} {c}' for n, c in sorted(status.pending.items()))})")
    if status.failed_tables:
        lines.append(f"  Failed tables: {', '.join(status.failed_tables)}")
    lines.append(rule)
    return "\n".join(lines)


# --- sync_database.py --verify --------------------------------------------------------------


def _verify_detail(t: TableVerify) -> str:
    if t.error is not None:
        return f"FAILED: {t.error}"
    rows = "table dropped" if t.dropped else f"{t.rows:,} {'expected' if t.name == '(schema documents)' else 'rows'}"
    found = [f"{n:,} {kind}" for kind, n in (("missing", t.missing), ("stale", t.stale), ("extra", t.extra),
                                              ("kept keys off", t.kept_keys_off)) if n]
    detail = f"{rows}, {t.documents:,} documents: " + (", ".join(found) if found else "equal")
    return detail + (f" ({t.pending} pending)" if t.pending else "")


def _verify_tables(report: VerifyReport) -> list[str]:
    parts = [*report.tables.values(), report.schema]
    width = max(len(t.name) for t in parts)
    lines = []
    for t in parts:
        lines.append(f"  {t.name:<{width}} : {_verify_detail(t)}")
        for kind in ("missing", "stale", "extra"):
            ids, count = getattr(t, f"{kind}_ids"), getattr(t, kind)
            if ids:
                more = f" (and {count - len(ids):,} more)" if count > len(ids) else ""
                lines.append(f"  {'':<{width}}     {kind}: {', '.join(ids)}{more}")
    totals = report.totals()
    lines += ["", f"  Tables verified: {len(report.tables)}; rows {totals['rows']:,}, "
                  f"documents {totals['documents']:,}",
              f"  Missing {totals['missing']:,}, stale {totals['stale']:,}, extra {totals['extra']:,}, "
              f"pending {totals['pending']:,}"]
    return lines


def verify_report(report: VerifyReport) -> str:
    """`sync_database.py --verify [--repair]`: per table, the database against the index."""
    rule = "═" * 54
    lines = ["Verify Report", rule, f"Database: {report.database}", f"Index:    {report.vespa}",
             f"Checked:  {parse_stamp(report.started_at).astimezone():%Y-%m-%d %H:%M:%S} "
             f"({report.duration_s:.1f} s)", ""]
    if report.before is not None and report.repair is not None:
        lines += ["Before repair:", *_verify_tables(report.before), ""]
        fed = sum(c.fed for c in report.repair.values())
        removed = sum(c.removed for c in report.repair.values())
        failed = sum(c.failed for c in report.repair.values())
        lines += [f"Repair: {fed:,} documents fed, {removed:,} removed, {failed:,} failed"
                  + (" (pending: the next sync cycle retries them)" if failed else ""), "", "After repair:"]
    lines += _verify_tables(report)
    lines += ["", "Result: the index equals the database" if report.equal
              else "Result: the index differs from the database (exit 3)", rule]
    return "\n".join(lines)


def verify_json(report: VerifyReport) -> str:
    """`--verify --format json`: the report as one JSON object."""
    return json.dumps(report.to_dict(), indent=2, sort_keys=False)
