"""What the sync daemon tells a monitor: Prometheus series on /metrics and a verdict on /health.

The daemon records each cycle's `CycleResult` (or the exception that ended it) here; the
series live in a private `CollectorRegistry`, so importing this module has no side effects.
Labels are table names and error kinds from `ERROR_KINDS` only: never a row value, a URL or
an error message.

    metrics = SyncMetrics(interval_s=300)
    server = serve_metrics(metrics, "127.0.0.1", 9300)   # GET /metrics, GET /health
    metrics.record_cycle(result)
    server.close()
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    ProcessCollector,
    make_wsgi_app,
)
from prometheus_client.metrics_core import Metric

from ..errors import (
    AlreadyRunningError,
    DatabaseConnectionError,
    DatabasePermissionError,
    MetricsServerError,
    StateError,
    VespaConnectionError,
)
from ..logs import logger
from .sync import CycleResult

PREFIX = "procore_sync"

# Buckets of `procore_sync_cycle_duration_seconds`: a cycle with no changes takes well under a
# second, a first load or a re-feed of a big table minutes, and one past an hour is a problem.
CYCLE_BUCKETS = (0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)


def package_version() -> str:
    """The installed package's version (its metadata), "unknown" when run from a clone that was
    never installed."""
    try:
        return version("procore-ingest")
    except PackageNotFoundError:
        return "unknown"

# The error kinds `procore_sync_errors_total{kind}` counts; nothing else is ever a label value.
ERROR_KINDS = (
    "database_connection",  # the database could not be reached or the session was lost
    "database_permission",  # the role may not read something
    "database_table",  # one table's read failed (the cycle went on with the others)
    "vespa_connection",  # Vespa could not be reached
    "vespa_table",  # Vespa failed one table's sync (the cycle went on with the others)
    "vespa_operation",  # a document operation Vespa did not acknowledge (rejected, or retries ran out)
    "state",  # the state directory is locked or unreadable
    "other",  # anything else (a bug): the daemon logs it
)


def error_kind(exc: BaseException) -> str:
    """The `ERROR_KINDS` entry for an exception that ended a cycle."""
    if isinstance(exc, DatabasePermissionError):
        return "database_permission"
    if isinstance(exc, DatabaseConnectionError):
        return "database_connection"
    if isinstance(exc, VespaConnectionError):
        return "vespa_connection"
    if isinstance(exc, (StateError, AlreadyRunningError)):
        return "state"
    return "other"


@dataclass(frozen=True)
class Health:
    """The /health verdict: `healthy` gives 200, else 503; `reason` is one line."""

    healthy: bool
    reason: str

    @property
    def status_code(self) -> int:
        return 200 if self.healthy else 503


@dataclass(frozen=True)
class LastCycle:
    """The last finished cycle, on the monotonic clock."""

    started: float
    duration_s: float
    ok: bool
    problem: str  # why it failed (one line, table names and kinds only); "" when ok


class _Registry(CollectorRegistry):
    """A registry without the `_created` samples prometheus_client adds to every counter and
    histogram (one more series per label value, which no dashboard or alert here reads). Filtered
    here rather than with `prometheus_client.disable_created_metrics()`, which would change every
    registry of the process, the caller's too."""

    def collect(self) -> Iterator[Metric]:
        for family in super().collect():
            family.samples = [s for s in family.samples if not s.name.endswith("_created")]
            yield family


class SyncMetrics:
    """The daemon's series and health; thread safe (cycles record, the HTTP thread reads)."""

    def __init__(self, interval_s: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval_s = interval_s
        self.clock = clock
        self.registry: CollectorRegistry = _Registry(auto_describe=True)
        self._lock = threading.Lock()
        self._last: LastCycle | None = None
        self._last_success: float | None = None
        r = self.registry
        ProcessCollector(registry=r)  # process_start_time_seconds, memory, cpu (Linux): for the alert rules
        self.cycles = Counter(f"{PREFIX}_cycles", "Sync cycles finished (successful or not)", registry=r)
        self.cycles_failed = Counter(f"{PREFIX}_cycles_failed", "Sync cycles that failed or left operations "
                                     "pending", registry=r)
        self.duration = Gauge(f"{PREFIX}_last_cycle_duration_seconds", "Duration of the last cycle", registry=r)
        self.durations = Histogram(f"{PREFIX}_cycle_duration_seconds", "Duration of each cycle (successful or not)",
                                   buckets=CYCLE_BUCKETS, registry=r)
        Info(f"{PREFIX}_build", "The running procore-ingest's version", registry=r).info(
            {"version": package_version()})
        self.last_ok = Gauge(f"{PREFIX}_last_cycle_success", "1 if the last cycle succeeded, else 0", registry=r)
        self.last_success_time = Gauge(f"{PREFIX}_last_success_timestamp_seconds",
                                       "Unix time the last successful cycle finished", registry=r)
        self.since_success = Gauge(f"{PREFIX}_seconds_since_last_success",
                                   "Seconds since the last successful cycle finished (-1: none yet)", registry=r)
        self.since_success.set_function(self.seconds_since_success)
        self.interval = Gauge(f"{PREFIX}_interval_seconds", "Seconds between cycle starts", registry=r)
        self.interval.set(interval_s)
        self.fed = Counter(f"{PREFIX}_changes_fed", "Documents put (inserted or updated rows)", ["table"], registry=r)
        self.removed = Counter(f"{PREFIX}_changes_removed", "Documents removed (deleted or soft-deleted rows)", ["table"], registry=r)
        self.pending = Gauge(f"{PREFIX}_pending_operations", "Operations Vespa has not acknowledged yet, "
                             "retried by the next cycle", ["table"], registry=r)
        self.rows = Gauge(f"{PREFIX}_table_rows", "Live rows in the database at the last cycle", ["table"],
                          registry=r)
        self.documents = Gauge(f"{PREFIX}_table_documents", "Documents in the index for the table, when the "
                               "last cycle left nothing failed or pending for it", ["table"], registry=r)
        self.errors = Counter(f"{PREFIX}_errors", "Database and Vespa errors by kind", ["kind"], registry=r)
        for kind in ERROR_KINDS:
            self.errors.labels(kind)  # every kind is exported, at 0 until it happens

    # -- recording ---------------------------------------------------------------------------

    def record_cycle(self, result: CycleResult) -> None:
        """Record a cycle that ran to its end (per-table failures and pending operations included)."""
        for name, table in result.tables.items():
            self.fed.labels(name).inc(table.fed)
            self.removed.labels(name).inc(table.removed)
            if table.status != "ok":
                self.errors.labels("vespa_table" if table.error_source == "vespa" else "database_table").inc()
                _remove(self.documents, name)  # unknown until the table syncs again
                continue
            self.rows.labels(name).set(table.records)
            if table.failed or result.pending.get(name):
                _remove(self.documents, name)
            else:
                self.documents.labels(name).set(table.records)
        for name in result.dropped_tables:
            for gauge in (self.rows, self.documents):
                _remove(gauge, name)
        if result.failed:
            self.errors.labels("vespa_operation").inc(result.failed)
        self._set_pending(result.pending)
        problems = []
        if result.failed_tables:
            problems.append(f"{len(result.failed_tables)} table(s) failed: {', '.join(sorted(result.failed_tables))}")
        if result.pending_total:
            problems.append(f"{result.pending_total} operation(s) pending")
        elif result.failed:
            problems.append(f"{result.failed} operation(s) not acknowledged")
        self._finish(result.duration_s, "; ".join(problems))

    def record_failure(self, exc: BaseException, duration_s: float) -> None:
        """Record a cycle that an exception ended (the database or Vespa was unreachable, ...)."""
        kind = error_kind(exc)
        self.errors.labels(kind).inc()
        self._finish(duration_s, f"{kind} error")

    def _set_pending(self, pending: dict[str, int]) -> None:
        for labels in _label_values(self.pending):
            if labels[0] not in pending:
                _remove(self.pending, labels[0])
        for name, count in pending.items():
            self.pending.labels(name).set(count)

    def _finish(self, duration_s: float, problem: str) -> None:
        now = self.clock()
        ok = not problem
        with self._lock:
            self._last = LastCycle(now - duration_s, duration_s, ok, problem)
            if ok:
                self._last_success = now
        self.cycles.inc()
        if not ok:
            self.cycles_failed.inc()
        else:
            self.last_success_time.set(time.time())
        self.duration.set(duration_s)
        self.durations.observe(duration_s)
        self.last_ok.set(1 if ok else 0)

    # -- reading -----------------------------------------------------------------------------

    def seconds_since_success(self) -> float:
        with self._lock:
            last = self._last_success
        return -1.0 if last is None else self.clock() - last

    def health(self) -> Health:
        """Healthy while the last cycle succeeded and started less than 2 x interval + its own
        duration ago (so one late or slow cycle is tolerated, a stuck or dead loop is not)."""
        with self._lock:
            last = self._last
        if last is None:
            return Health(False, "no cycle finished yet")
        if not last.ok:
            return Health(False, f"last cycle failed: {last.problem}")
        age = self.clock() - last.started
        limit = 2 * self.interval_s + last.duration_s
        if age > limit:
            return Health(False, f"last cycle started {age:.0f}s ago, more than {limit:.0f}s "
                                 f"(2 x interval {self.interval_s}s + its duration)")
        return Health(True, f"ok: last cycle succeeded, started {age:.0f}s ago")


def _label_values(metric: Any) -> list[tuple[str, ...]]:
    """The label values a labelled metric currently exports (prometheus_client has no public
    accessor; collect() is the public way)."""
    values = []
    for family in metric.collect():
        for sample in family.samples:
            if "table" in sample.labels:
                values.append((sample.labels["table"],))
    return values


def _remove(metric: Any, *labels: str) -> None:
    try:
        metric.remove(*labels)
    except KeyError:
        pass


# -- the HTTP endpoint ---------------------------------------------------------------------------


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        logger.debug("metrics: " + format, *args)


def monitor_app(metrics: SyncMetrics) -> Callable[..., Iterable[bytes]]:
    """The WSGI app: /metrics (Prometheus text format), /health (200 or 503, one line), else 404."""
    prometheus = make_wsgi_app(metrics.registry)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        if path == "/metrics":
            return prometheus(environ, start_response)
        if path == "/health":
            verdict = metrics.health()
            body = (verdict.reason + "\n").encode()
            start_response(f"{verdict.status_code} {'OK' if verdict.healthy else 'Service Unavailable'}",
                           [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))])
            return [body]
        body = b"not found: try /metrics or /health\n"
        start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8"),
                                         ("Content-Length", str(len(body)))])
        return [body]

    return app


@dataclass
class MonitorServer:
    """A running /metrics + /health endpoint; `close()` stops it."""

    host: str
    port: int
    server: WSGIServer
    thread: threading.Thread

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def serve_metrics(metrics: SyncMetrics, host: str, port: int) -> MonitorServer:
    """Serve `metrics` on host:port in a background thread (port 0: any free port).
    MetricsServerError (one line) when the address cannot be used."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except (socket.gaierror, UnicodeError) as exc:
        raise MetricsServerError(f"cannot serve metrics on {host}:{port}: unknown host ({exc})") from None

    class Server(_ThreadingWSGIServer):
        address_family = family

    try:
        server = make_server(host, port, monitor_app(metrics), server_class=Server, handler_class=_QuietHandler)
    except OSError as exc:
        raise MetricsServerError(f"cannot serve metrics on {host}:{port}: {exc.strerror or exc}") from None
    thread = threading.Thread(target=server.serve_forever, name="procore-metrics", daemon=True)
    thread.start()
    return MonitorServer(host, server.server_address[1], server, thread)
