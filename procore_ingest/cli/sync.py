"""Keep Vespa equal to the database: inserts, updates and deletes, as a daemon or one cycle.

Exit codes: 0 success (--once or --status; --verify: the index equals the database), 1 connection
error, 2 already running (--daemon; --once and --verify: another run holds the target), 3 some
documents failed (--once) or the index differs from the database (--verify, after --repair
too), 130 interrupted (SIGINT), 143 terminated (SIGTERM).
"""

from __future__ import annotations

import argparse
import signal
import threading

from .. import config
from ..errors import SYNC_EXIT_CODES, ConfigError, JobCancelled
from ..logs import logger
from ..pipeline.build import default_processes
from ..pipeline.daemon import run_daemon
from ..pipeline.status import read_status
from ..pipeline.sync import SyncOptions, run_cycle
from ..pipeline.verify import VerifyOptions, run_verify
from . import add_file_arguments, add_lock_argument, file_options, positive_int, run, tune_process
from .output import log_cycle, status_json, status_report, verify_json, verify_report


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--daemon", action="store_true", help="run as a continuous daemon")
    mode.add_argument("--once", action="store_true", help="run a single sync cycle and exit (for cron)")
    mode.add_argument("--status", action="store_true", help="show the sync status (reads state only)")
    mode.add_argument("--verify", action="store_true",
                      help="compare the database with the index row by row: missing, extra and stale "
                           "documents per table (exit 0: equal, 3: not)")
    p.add_argument("--repair", action="store_true",
                   help="with --verify: feed what is missing or stale, remove what is extra, verify again")
    p.add_argument("--database-url", help="PostgreSQL URL (default: $PROCORE_DATABASE_URL)")
    p.add_argument("--vespa-url", help="Vespa endpoint or file://DIR (default: $VESPA_LOCAL_URL "
                   "or http://localhost:8080)")
    p.add_argument("--interval", type=positive_int, default=300, help="seconds between cycle starts (daemon)")
    p.add_argument("--tables", nargs="+", metavar="TABLE", help="tables to sync (names or globs)")
    p.add_argument("--exclude", nargs="+", metavar="TABLE", help="tables to leave out")
    p.add_argument("--batch-size", type=positive_int, default=1000, help="records per batch")
    p.add_argument("--workers", type=positive_int, default=4, help="parallel Vespa feed workers")
    p.add_argument("--pid-file", default="/tmp/procore-sync.pid", help="pid file of the daemon")
    p.add_argument("--overlap", type=int, default=300, metavar="SECONDS",
                   help="re-read window behind the change watermark, for late commits (default 300)")
    p.add_argument("--keep-soft-deleted", action="store_true",
                   help="keep rows whose deleted_at is set in the index (default: remove them)")
    p.add_argument("--retry-budget", type=float, default=120.0, metavar="SECONDS",
                   help="how long to keep retrying throttled or unavailable Vespa within a cycle (default 120); "
                        "what is still not acknowledged is retried by the next cycle")
    add_file_arguments(p)  # keep the rows' files indexed too (procore_ingest.files)
    add_lock_argument(p)
    p.add_argument("--state-dir", help="checkpoints (default: $PROCORE_STATE_DIR or ./.procore_ingest)")
    p.add_argument("--metrics-port", type=port_number, metavar="PORT",
                   help="with --daemon: serve /metrics (Prometheus) and /health on this port "
                        "(default: $PROCORE_METRICS_PORT, else no endpoint)")
    p.add_argument("--metrics-host", default="127.0.0.1", metavar="HOST",
                   help="address the metrics endpoint listens on (default 127.0.0.1)")
    p.add_argument("--format", choices=["text", "json"], default="text",
                   help="with --status or --verify: the text report (default) or one JSON object")
    p.add_argument("--verbose", action="store_true", help="debug logging")
    args = p.parse_args(argv)
    if args.repair and not args.verify:
        p.error("--repair only applies with --verify")
    return args


def port_number(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("must be between 0 and 65535")
    return value


def metrics_port(flag_value: int | None) -> int | None:
    """--metrics-port, else $PROCORE_METRICS_PORT, else None (no endpoint)."""
    if flag_value is not None:
        return flag_value
    text = config.setting(None, "PROCORE_METRICS_PORT")
    if text is None:
        return None
    try:
        return port_number(text.strip())
    except (ValueError, argparse.ArgumentTypeError):
        raise ConfigError(f"PROCORE_METRICS_PORT must be a port number (0-65535), not {text.strip()[:20]!r}") from None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tune_process()
    cancel = threading.Event()
    received: list[int] = []

    def on_signal(signum, _frame) -> None:
        received.append(signum)
        cancel.set()

    def job() -> int:
        state_dir = config.setting(args.state_dir, "PROCORE_STATE_DIR", config.DEFAULT_STATE_DIR)
        if args.status:
            status = read_status(state_dir, args.pid_file)
            print(status_json(status) if args.format == "json" else status_report(status))
            return 0
        options = SyncOptions(
            database_url=config.database_url(args.database_url), vespa_url=config.vespa_url(args.vespa_url),
            tables=args.tables, exclude=args.exclude, batch_size=args.batch_size, workers=args.workers,
            state_dir=state_dir, overlap_s=args.overlap, retry_budget_s=args.retry_budget, keep_soft_deleted=args.keep_soft_deleted,
            files=file_options(args), lock_file=args.lock_file, max_pending=config.max_pending(),
            naive_timezone=config.naive_timezone(),
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
        port = metrics_port(args.metrics_port)
        logger.info("Sync daemon starting (every %ds, pid file %s)", args.interval, args.pid_file)
        run_daemon(options, args.interval, args.pid_file, cancel, on_cycle=log_cycle,
                   metrics_address=(args.metrics_host, port) if port is not None else None,
                   on_metrics=lambda server: logger.info("Metrics on %s/metrics, health on %s/health",
                                                         server.url, server.url))
        code = 128 + received[0] if received else 0
        logger.info("Sync daemon stopped%s", f" ({signal.Signals(received[0]).name})" if received else "")
        return code

    return run(job, SYNC_EXIT_CODES, verbose=args.verbose)


if __name__ == "__main__":
    raise SystemExit(main())
