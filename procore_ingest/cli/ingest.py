"""Put every row of every chosen table into Vespa as a procore_record document.

Exit codes: 0 success, 1 database connection error, 2 Vespa connection error,
3 partial failure (some records failed), 4 complete failure, 5 job cancelled.

A bad setting or configuration file exits 1; a mistyped flag exits 2 (argparse's usage error).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from .. import config
from ..config import DEFAULT_CHECK_ROWS, DEFAULT_MAX_PENDING
from ..errors import EXIT_CANCELLED, INGEST_EXIT_CODES
from ..pipeline.build import default_processes
from ..pipeline.ingest import IngestOptions, dry_run, resume, run_full
from ..pipeline.sync import SyncOptions, run_cycle
from . import CommandLine, add_file_arguments, add_lock_argument, file_options, run, tune_process
from .output import (
    PROGRESS_ENV,
    PROGRESS_EVERY_S,
    ConsoleReporter,
    dry_run_lines,
    example_json,
    incremental_summary,
    log_job,
    summary_lines,
    table_change_line,
)

EXAMPLES = """\
  procore-ingest --full                                   # every table
  procore-ingest --full --tables photos drawings --dry-run
  procore-ingest --incremental --config procore-ingest.toml
  procore-ingest --resume 550e8400-e29b-41d4-a716-446655440000"""


def command_line(prog: str | None = None) -> CommandLine:
    cli = CommandLine("ingest", __doc__, EXAMPLES, prog)
    mode = cli.parser.add_argument_group("mode (one is required)").add_mutually_exclusive_group(required=True)
    mode.add_argument("--full", action="store_true", help="run full ingestion")
    mode.add_argument("--incremental", action="store_true",
                      help="ingest what changed since the last checkpoint")
    mode.add_argument("--resume", metavar="JOB_ID", help="resume a failed or cancelled job")
    mode.add_argument("--print-config", action="store_true",
                      help="print every setting in effect and where it came from, then exit")
    what = cli.group("what to ingest")
    cli.setting(what, "--tables", "tables", "tables to ingest (names or globs)", default_text="all",
                metavar="TABLE")
    cli.setting(what, "--exclude", "exclude", "tables to leave out (names or globs)", metavar="TABLE")
    cli.setting(what, "--allow-column", "allow_column", "feed a column that looks secret anyway (repeatable)",
                metavar="TABLE.COLUMN", nargs=None, action="append")
    cli.setting(what, "--keep-soft-deleted", "keep_soft_deleted",
                "index rows whose deleted_at is set (off: leave them out)")
    what.add_argument("--dry-run", action="store_true", help="show what would be ingested; write nothing")
    target = cli.group("source and target")
    cli.setting(target, "--database-url", "database_url", "PostgreSQL URL", default_text="none, required",
                metavar="URL")
    cli.setting(target, "--vespa-url", "vespa_url", "Vespa endpoint, or file://DIR for feed files",
                metavar="URL")
    cli.setting(target, "--state-dir", "state_dir", "checkpoints and jobs", metavar="DIR")
    add_lock_argument(cli, target)
    tuning = cli.group("tuning")
    cli.setting(tuning, "--batch-size", "batch_size", "records per batch (a checkpoint each)", metavar="N")
    cli.setting(tuning, "--workers", "workers", "HTTP/2 connections to Vespa (each carries many "
                "concurrent operations)", metavar="N")
    cli.setting(tuning, "--processes", "processes", "processes that read and build documents (1: all in "
                "this process)", default_text=f"one per CPU, at most 4: {default_processes()} here",
                metavar="N")
    cli.setting(tuning, "--retry-budget", "retry_budget",
                "seconds to keep retrying throttled or unavailable Vespa", metavar="SECONDS")
    add_file_arguments(cli)  # --download-files and friends (procore_ingest.files)
    cli.unflagged("naive_timezone", "max_pending", "check_rows")  # env or file; check_rows: file only
    output = cli.group("output")
    cli.setting(output, "--progress", "progress",
                "progress bars; without a terminal, a progress log line per table every "
                f"{PROGRESS_EVERY_S:g} s instead (${PROGRESS_ENV})", default_text="on when output is a terminal")
    cli.add_output_options(output)
    return cli


def parse_args(argv: list[str] | None = None, prog: str | None = None) -> argparse.Namespace:
    args = command_line(prog).parse(argv, INGEST_EXIT_CODES)
    if args.processes is None:
        args.processes = default_processes()
    return args


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    args = parse_args(argv, prog)
    tune_process()
    reporter = ConsoleReporter(sys.stdout, bars=args.progress)
    cancel = threading.Event()

    def job() -> int:
        files = file_options(args)
        options = IngestOptions(
            database_url=config.database_url(args.database_url),
            vespa_url=config.vespa_url(args.vespa_url),
            tables=args.tables, exclude=args.exclude, batch_size=args.batch_size,
            workers=args.workers, processes=args.processes, allow_columns=args.allow_column or [],
            state_dir=args.state_dir,
            retry_budget_s=args.retry_budget, keep_soft_deleted=args.keep_soft_deleted,
            files=files, lock_file=args.lock_file, naive_timezone=config.check_timezone(args.naive_timezone),
            table_settings=args.settings.file.tables,
            context_depth=args.settings.file.documents.context_depth,
        )
        if args.dry_run:
            return show_dry_run(options, reporter)
        if args.incremental:
            return incremental(options, reporter, cancel, args.max_pending, args.check_rows)
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: cancel.set())
        result = (resume(args.resume, options, reporter, cancel) if args.resume
                  else run_full(options, reporter, cancel))
        for line in summary_lines(result):
            reporter.line(line)
        log_job(result)
        return result.exit_code

    return run(job, INGEST_EXIT_CODES, args)


def incremental(options: IngestOptions, reporter: ConsoleReporter, cancel: threading.Event,
                max_pending: int = DEFAULT_MAX_PENDING, check_rows: int = DEFAULT_CHECK_ROWS) -> int:
    """One sync cycle over the chosen tables: what changed since each table's checkpoint
    (a table never ingested before is loaded in full)."""
    reporter.started("incremental")
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: cancel.set())
    result = run_cycle(SyncOptions(**options.shared(), max_pending=max_pending, check_rows=check_rows), cancel)
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
