"""Keep Vespa equal to the database: inserts, updates and deletes, as a daemon or one cycle.

Exit codes: 0 success (--once or --status; --verify: the index equals the database), 1 connection
error, 2 already running (--daemon; --once and --verify: another run holds the target), 3 some
documents failed (--once) or the index differs from the database (--verify, after --repair
too), 130 interrupted (SIGINT), 143 terminated (SIGTERM).

A bad setting or configuration file exits 1; a mistyped flag exits 2 (argparse's usage error).
"""

from __future__ import annotations

import argparse
import signal
import threading

from .. import config
from ..errors import SYNC_EXIT_CODES, JobCancelled
from ..logs import logger
from ..pipeline.build import default_processes
from ..pipeline.daemon import run_daemon
from ..pipeline.status import read_status
from ..pipeline.sync import SyncOptions, run_cycle
from ..pipeline.verify import VerifyOptions, run_verify
from . import CommandLine, add_file_arguments, add_lock_argument, file_options, run, tune_process
from .output import log_cycle, status_json, status_report, verify_json, verify_report

EXAMPLES = """\
  procore-sync --once                                  # one cycle, for cron
  procore-sync --daemon --config /etc/procore-ingest/procore-ingest.toml --metrics-port 9300
  procore-sync --status --format json                  # what the state says, as JSON
  procore-sync --verify --repair --tables photos       # compare the index with the table, fix it"""


def command_line(prog: str | None = None) -> CommandLine:
    cli = CommandLine("sync", __doc__, EXAMPLES, prog)
    mode = cli.parser.add_argument_group("mode (one is required)").add_mutually_exclusive_group(required=True)
    mode.add_argument("--daemon", action="store_true", help="run as a continuous daemon")
    mode.add_argument("--once", action="store_true", help="run a single sync cycle and exit (for cron)")
    mode.add_argument("--status", action="store_true", help="show the sync status (reads state only)")
    mode.add_argument("--verify", action="store_true",
                      help="compare the database with the index row by row: missing, extra and stale "
                           "documents per table (exit 0: equal, 3: not)")
    mode.add_argument("--print-config", action="store_true",
                      help="print every setting in effect and where it came from, then exit")
    mode_opts = cli.group("verify")
    mode_opts.add_argument("--repair", action="store_true",
                           help="with --verify: feed what is missing or stale, remove what is extra, verify again")
    what = cli.group("what to sync")
    cli.setting(what, "--tables", "tables", "tables to sync (names or globs)", default_text="all", metavar="TABLE")
    cli.setting(what, "--exclude", "exclude", "tables to leave out", metavar="TABLE")
    cli.setting(what, "--keep-soft-deleted", "keep_soft_deleted",
                "keep rows whose deleted_at is set in the index (off: remove them)")
    target = cli.group("source and target")
    cli.setting(target, "--database-url", "database_url", "PostgreSQL URL", default_text="none, required",
                metavar="URL")
    cli.setting(target, "--vespa-url", "vespa_url", "Vespa endpoint or file://DIR", metavar="URL")
    cli.setting(target, "--state-dir", "state_dir", "checkpoints and sync state", metavar="DIR")
    add_lock_argument(cli, target)
    tuning = cli.group("tuning")
    cli.setting(tuning, "--batch-size", "batch_size", "records per batch", metavar="N")
    cli.setting(tuning, "--workers", "workers", "HTTP/2 connections to Vespa (each carries many "
                "concurrent operations)", metavar="N")
    cli.setting(tuning, "--overlap", "overlap", "seconds re-read behind the change watermark, for late commits",
                metavar="SECONDS")
    cli.setting(tuning, "--retry-budget", "retry_budget",
                "seconds to keep retrying throttled or unavailable Vespa within a cycle; what is still "
                "not acknowledged is retried by the next cycle", metavar="SECONDS")
    add_file_arguments(cli)  # keep the rows' files indexed too (procore_ingest.files)
    cli.unflagged("naive_timezone", "max_pending", "check_rows")  # env or file; check_rows: file only
    daemon = cli.group("daemon")
    cli.setting(daemon, "--interval", "interval", "seconds between cycle starts", metavar="SECONDS")
    cli.setting(daemon, "--pid-file", "pid_file", "pid file of the daemon", metavar="PATH")
    cli.setting(daemon, "--metrics-port", "metrics_port",
                "serve /metrics (Prometheus) and /health on this port", default_text="no endpoint",
                type=port_number, metavar="PORT")
    cli.setting(daemon, "--metrics-host", "metrics_host", "address the metrics endpoint listens on",
                metavar="HOST")
    output = cli.group("output")
    cli.setting(output, "--format", "format", "with --status or --verify: the text report or one JSON object")
    cli.add_output_options(output)
    return cli


def parse_args(argv: list[str] | None = None, prog: str | None = None) -> argparse.Namespace:
    cli = command_line(prog)
    args = cli.parse(argv, SYNC_EXIT_CODES)
    if args.repair and not args.verify:
        cli.parser.error("--repair only applies with --verify")
    return args


def port_number(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("must be between 0 and 65535")
    return value


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    args = parse_args(argv, prog)
    tune_process()
    cancel = threading.Event()
    received: list[int] = []

    def on_signal(signum, _frame) -> None:
        received.append(signum)
        cancel.set()

    def job() -> int:
        state_dir = args.state_dir
        if args.status:
            status = read_status(state_dir, args.pid_file)
            print(status_json(status) if args.format == "json" else status_report(status))
            return 0
        options = SyncOptions(
            database_url=config.database_url(args.database_url), vespa_url=config.vespa_url(args.vespa_url),
            tables=args.tables, exclude=args.exclude, batch_size=args.batch_size, workers=args.workers,
            state_dir=state_dir, overlap_s=args.overlap, retry_budget_s=args.retry_budget, keep_soft_deleted=args.keep_soft_deleted,
            files=file_options(args), lock_file=args.lock_file, max_pending=args.max_pending,
            check_rows=args.check_rows,
            naive_timezone=config.check_timezone(args.naive_timezone),
            table_settings=args.settings.file.tables,
            context_depth=args.settings.file.documents.context_depth,
        )
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, on_signal)
        if args.verify:
            try:
                report = run_verify(VerifyOptions(**options.shared(), repair=args.repair,
                                                  processes=default_processes()), cancel)
            except JobCancelled:
                return 128 + (received[0] if received else signal.SIGINT)
            print(verify_json(report) if args.format == "json" else verify_report(report), flush=True)
            return 128 + received[0] if received else report.exit_code
        if args.once:
            result = run_cycle(options, cancel)
            log_cycle(result)
            if received:
                return 128 + received[0]
            return result.exit_code
        port = args.metrics_port
        logger.info("Sync daemon starting (every %ds, pid file %s)", args.interval, args.pid_file)
        run_daemon(options, args.interval, args.pid_file, cancel, on_cycle=log_cycle,
                   metrics_address=(args.metrics_host, port) if port is not None else None,
                   on_metrics=lambda server: logger.info("Metrics on %s/metrics, health on %s/health",
                                                         server.url, server.url))
        code = 128 + received[0] if received else 0
        logger.info("Sync daemon stopped%s", f" ({signal.Signals(received[0]).name})" if received else "")
        return code

    return run(job, SYNC_EXIT_CODES, args)


if __name__ == "__main__":
    raise SystemExit(main())
