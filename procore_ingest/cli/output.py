"""All text the commands show: timestamped report lines, one progress bar per table, the
closing summary blocks, the dry-run listing, the sync cycle's lines and the status report, in
the contract's shape, and the verify report. The library returns data and reports progress as events; this formats.

Report lines go to stdout; log lines (stderr) keep the log format.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from typing import Any, TextIO

from ..files import FileCounts
from ..logs import logger
from ..pipeline.ingest import DryRunReport, IngestResult
from ..pipeline.progress import Progress
from ..pipeline.status import SyncStatus, parse_stamp
from ..pipeline.sync import CycleResult, TableSync
from ..pipeline.verify import TableVerify, VerifyReport

RULE = "═" * 56
STARTED = {"full": "Starting full ingestion...", "incremental": "Starting incremental ingestion...",
           "dry run": "Dry run: nothing will be written"}


class ConsoleReporter(Progress):
    """Progress events as the contract's report lines and tqdm bars."""

    def __init__(self, stream: TextIO | None = None, bars: bool | None = None, width: int = 18) -> None:
        self.stream = stream or sys.stdout
        self.bars = self.stream.isatty() if bars is None else bars
        self.width = width
        self._bar = None
        self._printed_header = False

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
        if not self.bars:
            return
        from tqdm import tqdm

        if not self._printed_header:
            tqdm.write("\nProcessing tables:", file=self.stream)
            self._printed_header = True
        self._bar = tqdm(
            total=total, desc=f"  {name:<{self.width}}", file=self.stream, leave=True,
            bar_format="{desc}[{bar:40}] {n_fmt}/{total_fmt} ({percentage:3.0f}%)",
            ascii=False, dynamic_ncols=False,
        )

    def table_advanced(self, name: str, rows: int) -> None:
        if self._bar is not None:
            self._bar.update(rows)

    def table_finished(self, name: str) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


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
    if result.files is not None:
        lines += file_summary_lines(result.files)
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
                result.duration_s, len(result.tables), result.changes, result.failed, len(result.failed_tables))


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
            detail += f", {t.pending} pending"
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
