"""Put every row of every chosen table into Vespa as a procore_record document.

Exit codes: 0 success, 1 database connection error, 2 Vespa connection error,
3 partial failure (some records failed), 4 complete failure, 5 job cancelled.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from .. import config
from ..errors import EXIT_CANCELLED, INGEST_EXIT_CODES
from ..pipeline.build import default_processes
from ..pipeline.ingest import IngestOptions, dry_run, resume, run_full
from ..pipeline.sync import SyncOptions, run_cycle
from . import add_file_arguments, add_lock_argument, file_options, positive_int, run, tune_process
from .output import (
    ConsoleReporter,
    dry_run_lines,
    example_json,
    incremental_summary,
    summary_lines,
    table_change_line,
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--full", action="store_true", help="run full ingestion")
    mode.add_argument("--incremental", action="store_true",
                      help="ingest what changed since the last checkpoint")
    mode.add_argument("--resume", metavar="JOB_ID", help="resume a failed or cancelled job")
    p.add_argument("--database-url", help="PostgreSQL URL (default: $PROCORE_DATABASE_URL)")
    p.add_argument("--vespa-url", help="Vespa endpoint, or file://DIR for feed files "
                   "(default: $VESPA_LOCAL_URL or http://localhost:8080)")
    p.add_argument("--tables", nargs="+", metavar="TABLE", help="tables to ingest (names or globs)")
    p.add_argument("--exclude", nargs="+", metavar="TABLE", help="tables to leave out (names or globs)")
    p.add_argument("--batch-size", type=positive_int, default=10_000, help="records per batch")
    p.add_argument("--workers", type=positive_int, default=4, help="parallel Vespa feed workers")
    p.add_argument("--processes", type=positive_int, default=default_processes(),
                   help="processes that read and build documents (default: one per CPU, at most 4; "
                        "1: all in this process)")
    add_file_arguments(p)  # --download-files and friends (procore_ingest.files)
    p.add_argument("--dry-run", action="store_true", help="show what would be ingested; write nothing")
    p.add_argument("--allow-column", action="append", default=[], metavar="TABLE.COLUMN",
                   help="feed a column that looks secret anyway (repeatable)")
    p.add_argument("--keep-soft-deleted", action="store_true",
                   help="index rows whose deleted_at is set (default: leave them out)")
    add_lock_argument(p)
    p.add_argument("--state-dir", help="checkpoints and jobs (default: $PROCORE_STATE_DIR or ./.procore_ingest)")
    p.add_argument("--retry-budget", type=float, default=120.0, metavar="SECONDS",
                   help="how long to keep retrying throttled or unavailable Vespa (default 120)")
    p.add_argument("--verbose", action="store_true", help="verbose output (per-batch lines)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bars (default: on when output is a terminal)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tune_process()
    reporter = ConsoleReporter(sys.stdout, bars=args.progress)
    cancel = threading.Event()

    def job() -> int:
        files = file_options(args)
        options = IngestOptions(
            database_url=config.database_url(args.database_url),
            vespa_url=config.vespa_url(args.vespa_url),
            tables=args.tables, exclude=args.exclude, batch_size=args.batch_size,
            workers=args.workers, processes=args.processes, allow_columns=args.allow_column,
            state_dir=config.setting(args.state_dir, "PROCORE_STATE_DIR", config.DEFAULT_STATE_DIR),
            retry_budget_s=args.retry_budget, keep_soft_deleted=args.keep_soft_deleted,
            files=files, lock_file=args.lock_file, naive_timezone=config.naive_timezone(),
        )
        if args.dry_run:
            return show_dry_run(options, reporter)
        if args.incremental:
            return incremental(options, reporter, cancel)
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: cancel.set())
        result = (resume(args.resume, options, reporter, cancel) if args.resume
                  else run_full(options, reporter, cancel))
        for line in summary_lines(result):
            reporter.line(line)
        return result.exit_code

    return run(job, INGEST_EXIT_CODES, verbose=args.verbose)


def incremental(options: IngestOptions, reporter: ConsoleReporter, cancel: threading.Event) -> int:
    """One sync cycle over the chosen tables: what changed since each table's checkpoint
    (a table never ingested before is loaded in full)."""
    reporter.started("incremental")
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: cancel.set())
    result = run_cycle(SyncOptions(**options.shared(), max_pending=config.max_pending()), cancel)
    for name, t in result.tables.items():
        if t.changes or t.status != "ok" or t.pending:
            reporter.line(f"  {name}: {table_change_line(t)}")
    for line in incremental_summary(result):
        reporter.line(line)
    if cancel.is_set():
        return EXIT_CANCELLED
    return result.exit_code


def show_dry_run(options: IngestOptions, reporter: ConsoleReporter) -> int:
    reporter.started("dry run")
    report = dry_run(options, reporter)
    for line in dry_run_lines(report):
        print(line)
    reporter.line(f"Would ingest {report.rows:,} records from {len(report.tables)} tables")
    for table, doc in list(report.example_documents.items())[:1]:
        print(f"\nExample document ({table}):\n{example_json(doc)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
