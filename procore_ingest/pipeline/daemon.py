"""The sync daemon: one cycle every interval, start to start, its pid file, and the target's
lock held for its whole life (pipeline/lock.py), so no `--once` or ingestion runs in between."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from pathlib import Path

from .. import config
from ..errors import AlreadyRunningError, ProcoreIngestError, StateError
from ..logs import logger
from ..state import StateStore
from .lock import process_kind
from .metrics import SyncMetrics, serve_metrics
from .run import locked_target
from .sync import SyncOptions, run_cycle


def pid_in(pid_file: str | os.PathLike[str]) -> int | None:
    try:
        return int(Path(pid_file).read_text().strip())
    except (OSError, ValueError):
        return None


def running_pid(pid_file: str | os.PathLike[str]) -> int | None:
    """The pid in `pid_file` if that process is alive and really a run of ours (its
    /proc/PID/cmdline names procore-ingest's scripts, and it is this user's)."""
    pid = pid_in(pid_file)
    return pid if pid is not None and process_kind(pid) == "ours" else None


class PidFile:
    """One daemon per pid file: created atomically, removed on exit. A file whose pid is dead
    is taken over (info log); one whose pid is alive but not a sync of ours (a pid reused
    after a reboot) is taken over with a warning."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def acquire(self) -> None:
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                owner = pid_in(self.path)
                kind = process_kind(owner) if owner is not None else "dead"
                if kind == "ours" and owner != os.getpid():
                    raise AlreadyRunningError(f"sync daemon already running (pid {owner}, pid file {self.path})") from None
                if kind == "foreign":
                    logger.warning("Taking over pid file %s: pid %s is alive but is not a procore-ingest sync",
                                   self.path, owner)
                else:
                    logger.info("Removing stale pid file %s (pid %s is not running)", self.path,
                                owner if owner is not None else "?")
                self.path.unlink(missing_ok=True)
                continue
            with os.fdopen(fd, "w") as fh:
                fh.write(f"{os.getpid()}\n")
            return
        raise AlreadyRunningError(f"cannot create pid file {self.path}")

    def release(self) -> None:
        if running_pid(self.path) == os.getpid():
            self.path.unlink(missing_ok=True)


def run_daemon(options: SyncOptions, interval_s: int, pid_file: str, cancel: threading.Event,
               on_cycle=None, metrics_address: tuple[str, int] | None = None,
               on_metrics=None) -> None:
    """Cycle every `interval_s` seconds (start to start) until `cancel` is set. An outage is
    logged in one line and retried with backoff; the daemon itself keeps running.

    With `metrics_address` (host, port) every cycle is recorded in a `SyncMetrics` served on
    /metrics and /health there (`on_metrics(server)` is told where, e.g. to log it);
    MetricsServerError when that address cannot be used."""
    pid = PidFile(pid_file)
    pid.acquire()
    store = StateStore(options.state_dir)
    failures = 0
    metrics = SyncMetrics(interval_s) if metrics_address else None
    with contextlib.ExitStack() as held:
        held.callback(pid.release)
        held.enter_context(locked_target(options))  # for the daemon's whole life
        if metrics is not None and metrics_address is not None:
            server = serve_metrics(metrics, *metrics_address)
            held.callback(server.close)
            if on_metrics:
                on_metrics(server)
        _set_daemon_meta(store, interval_s)
        while not cancel.is_set():
            started = time.monotonic()
            try:
                result = run_cycle(options, cancel, target_locked=True)
                failures = 0
                if metrics is not None and not cancel.is_set():
                    metrics.record_cycle(result)
                if on_cycle:
                    on_cycle(result)
                wait = interval_s - (time.monotonic() - started)
            except Exception as exc:  # an outage (or a bug) must not end the daemon
                if metrics is not None:
                    metrics.record_failure(exc, time.monotonic() - started)
                failures += 1
                wait = min(interval_s, 5 * 2 ** min(failures - 1, 6))
                kind = "" if isinstance(exc, ProcoreIngestError) else f"{type(exc).__name__}: "
                logger.error("Sync cycle failed (%s%s); retrying in %ds", kind,
                             config.scrub(str(exc)).splitlines()[0] if str(exc) else "", wait)
            cancel.wait(max(0.0, wait))


def _set_daemon_meta(store: StateStore, interval_s: int) -> None:
    try:
        store.lock()
    except StateError:
        return
    try:
        checkpoints = store.load_checkpoints()
        checkpoints.cycle.daemon_interval = interval_s
        store.save_checkpoints(checkpoints)
    finally:
        store.unlock()
