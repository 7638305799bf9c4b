"""Daemon observability as an operator sees it: /metrics and /health of a real daemon (a
subprocess against the embedded PostgreSQL and the strict Vespa test server), `--status
--format json`, and the systemd unit in deploy/."""

import importlib.metadata
import json
import re
import shutil
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from procore_ingest.errors import DatabaseConnectionError
from procore_ingest.pipeline.metrics import ERROR_KINDS, SyncMetrics
from procore_ingest.pipeline.sync import CycleResult, TableSync
from tests.helpers import ROOT, execute, query, run_script
from tests.pgharness import dbname, with_database
from tests.test_sync_daemon import start_daemon, wait_for

SCHEMA = """
CREATE TABLE photos (id bigint PRIMARY KEY, description text, updated_at timestamp(3) NOT NULL,
                     last_synced_at timestamp(3) NOT NULL DEFAULT now());
INSERT INTO photos SELECT g, 'photo ' || g, '2026-01-01', '2026-01-02' FROM generate_series(1, 20) g;
CREATE TABLE drawings (id bigint PRIMARY KEY, title text, updated_at timestamp(3) NOT NULL);
INSERT INTO drawings SELECT g, 'A-' || g, '2026-01-01' FROM generate_series(1, 7) g;
"""


PASSWORD = "observe-s3cret"


@pytest.fixture
def env(pg_url, vespa, tmp_path):
    execute(pg_url, SCHEMA)
    user = urllib.parse.urlsplit(pg_url).username
    # the embedded server trusts local logins: the password is there to be kept out of outputs
    url = with_database(pg_url, dbname(pg_url), user, PASSWORD)
    return {"PROCORE_DATABASE_URL": url, "VESPA_LOCAL_URL": vespa.url,
            "PROCORE_STATE_DIR": str(tmp_path / "state")}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def health_becomes(base: str, code: int, proc, timeout: float = 60, saying: str = "") -> str:
    seen: list[tuple[int, str]] = []

    def check() -> bool:
        try:
            seen.append(get(base + "/health"))
        except OSError:  # not listening yet
            return False
        return seen[-1][0] == code and saying in seen[-1][1]

    wait_for(check, proc, timeout=timeout)
    return seen[-1][1]


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels): value} of a /metrics page."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(page: dict, name: str, **labels) -> float:
    return page[(name, tuple(sorted(labels.items())))]


def test_daemon_metrics_health_and_json_status(env, vespa, tmp_path):
    url = env["PROCORE_DATABASE_URL"]
    port = free_port()
    pid_file = tmp_path / "sync.pid"
    proc = start_daemon(env, pid_file, "--interval", "2", "--metrics-port", str(port), "--retry-budget", "1")
    base = f"http://127.0.0.1:{port}"
    try:
        assert "ok: last cycle succeeded" in health_becomes(base, 200, proc)
        status, text = get(base + "/metrics")
        assert status == 200
        page = samples(text)
        assert value(page, "procore_sync_cycles_total") >= 1
        assert value(page, "procore_sync_cycles_failed_total") == 0
        assert value(page, "procore_sync_last_cycle_success") == 1
        assert 0 <= value(page, "procore_sync_seconds_since_last_success") < 60
        assert value(page, "process_start_time_seconds") > 0  # for the "never succeeded" alert
        for table in ("photos", "drawings"):
            rows = query(url, f"SELECT count(*) FROM {table}")[0][0]
            indexed = sum(1 for i in vespa.documents("procore_record") if f"::{table}:" in i)
            assert value(page, "procore_sync_table_rows", table=table) == rows
            assert value(page, "procore_sync_table_documents", table=table) == rows == indexed
            assert value(page, "procore_sync_changes_fed_total", table=table) == rows  # the first load
        assert {dict(labels)["kind"] for (name, labels) in page if name == "procore_sync_errors_total"} \
            == set(ERROR_KINDS)
        assert value(page, "procore_sync_build_info", version=importlib.metadata.version("procore-ingest")) == 1
        assert value(page, "procore_sync_cycle_duration_seconds_count") >= 1
        assert not [name for name, _ in page if name.endswith("_created")]
        assert PASSWORD not in text
        assert "postgresql://" not in text and "photo 1" not in text  # no URL, no row value

        # Vespa stops acknowledging puts: the change stays pending -> 503, failed cycles move
        failed_before = value(page, "procore_sync_cycles_failed_total")
        vespa.set_outage(503, methods=["POST"])
        execute(url, "UPDATE photos SET description = 'while vespa is down', last_synced_at = now() WHERE id = 4")
        reason = health_becomes(base, 503, proc, saying="pending")
        pending = int(re.fullmatch(r"last cycle failed: (\d+) operation\(s\) pending", reason.strip()).group(1))
        page = samples(get(base + "/metrics")[1])
        assert pending == sum(v for (name, _), v in page.items() if name == "procore_sync_pending_operations")
        assert value(page, "procore_sync_cycles_failed_total") > failed_before
        assert value(page, "procore_sync_last_cycle_success") == 0
        assert value(page, "procore_sync_pending_operations", table="photos") >= 1  # the row (and rechecked ones)
        assert value(page, "procore_sync_errors_total", kind="vespa_operation") >= 1
        assert ("procore_sync_table_documents", (("table", "photos"),)) not in page  # unknown while pending
        assert value(page, "procore_sync_table_documents", table="drawings") == 7

        # Vespa down altogether: the cycle ends early, its kind is counted
        vespa.set_outage(503)
        assert health_becomes(base, 503, proc, saying="vespa_connection").strip() \
            == "last cycle failed: vespa_connection error"
        page = samples(get(base + "/metrics")[1])
        assert value(page, "procore_sync_errors_total", kind="vespa_connection") >= 1

        vespa.clear_outage()
        health_becomes(base, 200, proc)
        page = samples(get(base + "/metrics")[1])
        assert not [k for k in page if k[0] == "procore_sync_pending_operations" and page[k]]
        doc = vespa.documents("procore_record")["id:procore_record:procore_record::photos:4"]
        assert doc["metadata"]["description"] == "while vespa is down"

        # --status --format json: one object, its totals are the database's
        out = run_script("sync_database.py", "--status", "--format", "json", "--pid-file", str(pid_file), env=env)
        assert out.returncode == 0, out.stderr
        report = json.loads(out.stdout)
        total_rows = query(url, "SELECT (SELECT count(*) FROM photos) + (SELECT count(*) FROM drawings)")[0][0]
        assert report["totals"]["records"] == total_rows and report["totals"]["tables_monitored"] == 2
        assert report["totals"]["pending"] == 0 and report["totals"]["sync_errors"] == 0
        assert report["daemon_pid"] == proc.pid and report["interval_s"] == 2
        assert report["last_sync"] and report["next_sync"]
        assert {t["name"]: t["records"] for t in report["tables"]} == {"photos": 20, "drawings": 7}
        assert PASSWORD not in out.stdout and "***" in report["database"]

        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        assert proc.returncode == 143
    finally:
        if proc.poll() is None:
            proc.kill()


def test_json_status_before_any_sync(tmp_path):
    out = run_script("sync_database.py", "--status", "--format", "json", "--state-dir", str(tmp_path / "none"))
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["last_sync"] is None and report["daemon_pid"] is None and report["tables"] == []
    assert report["totals"] == {"tables_monitored": 0, "records": 0, "changes": 0, "sync_errors": 0, "pending": 0}


def test_health_is_503_before_the_first_cycle_ends(env, vespa, tmp_path):
    vespa.set_delay(3, methods=["POST"])  # the first load takes a while: we look before it ends
    port = free_port()
    proc = start_daemon(env, tmp_path / "sync.pid", "--interval", "2", "--metrics-port", str(port))
    try:
        assert health_becomes(f"http://127.0.0.1:{port}", 503, proc).strip() == "no cycle finished yet"
        status, _ = get(f"http://127.0.0.1:{port}/nothing")
        assert status == 404
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()


def test_metrics_port_from_the_environment(env, tmp_path):
    port = free_port()
    proc = start_daemon({**env, "PROCORE_METRICS_PORT": str(port)}, tmp_path / "sync.pid", "--interval", "2")
    try:
        health_becomes(f"http://127.0.0.1:{port}", 200, proc)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert proc.returncode == 143


@pytest.mark.parametrize("how", ["port in use", "bad host", "bad env port"])
def test_unusable_metrics_address_is_one_line_exit_1(env, tmp_path, how):
    pid_file = tmp_path / "sync.pid"
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    try:
        extra = {"port in use": ["--metrics-port", str(busy.getsockname()[1])],
                 "bad host": ["--metrics-port", "0", "--metrics-host", "no-such-host.invalid"],
                 "bad env port": []}[how]
        run_env = {**env, "PROCORE_METRICS_PORT": "ninety"} if how == "bad env port" else env
        proc = start_daemon(run_env, pid_file, *extra)
        out, err = proc.communicate(timeout=60)
    finally:
        busy.close()
    assert proc.returncode == 1, err
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("ERROR")]
    assert len(errors) == 1 and ("metrics" in errors[0].lower())
    assert not pid_file.exists()


def test_health_turns_503_when_cycles_stop_coming():
    now = [1000.0]
    metrics = SyncMetrics(interval_s=60, clock=lambda: now[0])
    assert metrics.health().reason == "no cycle finished yet" and metrics.health().status_code == 503
    metrics.record_cycle(CycleResult("s", "f", 10.0, {"photos": TableSync("photos", records=5, inserted=5)}))
    assert metrics.health().status_code == 200
    now[0] = 1119  # the cycle started at 990: healthy until 990 + 2 x 60 + 10 = 1120
    assert metrics.health().status_code == 200
    now[0] = 1121
    verdict = metrics.health()
    assert verdict.status_code == 503 and "more than 130s" in verdict.reason
    assert metrics.seconds_since_success() == 121


def test_pending_operations_and_failed_tables_are_reported_per_table():
    metrics = SyncMetrics(interval_s=60)
    broken = TableSync("drawings", status="failed", error="permission denied for drawings", error_source="database")
    metrics.record_cycle(CycleResult("s", "f", 1.0, {"photos": TableSync("photos", records=5, updated=2, failed=2),
                                                     "drawings": broken}, pending={"photos": 2}))
    page = samples(_render(metrics))
    assert value(page, "procore_sync_pending_operations", table="photos") == 2
    assert value(page, "procore_sync_errors_total", kind="database_table") == 1
    assert value(page, "procore_sync_errors_total", kind="vespa_operation") == 2
    assert ("procore_sync_table_documents", (("table", "photos"),)) not in page  # not known while pending
    assert ("procore_sync_table_documents", (("table", "drawings"),)) not in page  # nor after a failure
    assert "permission denied" not in _render(metrics)
    reason = metrics.health().reason
    assert metrics.health().status_code == 503 and "drawings" in reason and "2 operation(s) pending" in reason
    metrics.record_cycle(CycleResult("s", "f", 1.0, {"photos": TableSync("photos", records=5, updated=2),
                                                     "drawings": TableSync("drawings", records=3)}))
    page = samples(_render(metrics))
    assert ("procore_sync_pending_operations", (("table", "photos"),)) not in page
    assert value(page, "procore_sync_table_documents", table="photos") == 5
    assert value(page, "procore_sync_changes_fed_total", table="photos") == 4
    assert metrics.health().status_code == 200


def test_cycle_durations_are_a_histogram_with_the_build_version_and_no_created_series():
    metrics = SyncMetrics(interval_s=60)
    metrics.record_cycle(CycleResult("s", "f", 2.0, {"photos": TableSync("photos", records=5, inserted=5)}))
    metrics.record_failure(DatabaseConnectionError("cannot connect"), 0.4)
    text = _render(metrics)
    page = samples(text)
    assert value(page, "procore_sync_cycle_duration_seconds_count") == 2  # failed cycles count too
    assert value(page, "procore_sync_cycle_duration_seconds_sum") == pytest.approx(2.4)
    assert value(page, "procore_sync_cycle_duration_seconds_bucket", le="0.5") == 1
    assert value(page, "procore_sync_cycle_duration_seconds_bucket", le="2.5") == 2
    assert value(page, "procore_sync_last_cycle_duration_seconds") == pytest.approx(0.4)  # kept beside it
    # the version pip reports for the installed package
    assert value(page, "procore_sync_build_info", version=importlib.metadata.version("procore-ingest")) == 1
    # counters and the histogram export no `_created` series (one per label value otherwise)
    assert "_created" not in text
    assert value(page, "procore_sync_changes_fed_total", table="photos") == 5


def _render(metrics: SyncMetrics) -> str:
    from prometheus_client import generate_latest
    return generate_latest(metrics.registry).decode()


def test_importing_the_metrics_module_registers_nothing_globally():
    code = ("import prometheus_client, procore_ingest.pipeline.metrics as m; m.SyncMetrics(5); "
            "print(prometheus_client.generate_latest().decode())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env={"PYTHONPATH": str(ROOT)}, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "procore_sync" not in out.stdout


def test_systemd_unit_verifies(tmp_path):
    unit = (ROOT / "deploy" / "procore-sync.service").read_text()
    for needed in ("Restart=on-failure", "RuntimeDirectory=procore-sync", "EnvironmentFile=/etc/procore-sync/env",
                   "User=procore-sync", "StateDirectory=procore-sync", "--state-dir /var/lib/procore-sync",
                   "--pid-file /run/procore-sync/", "--metrics-port"):
        assert needed in unit
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed here: the unit's syntax is not verified")
    # verify checks that ExecStart's program exists: point it at this checkout's script
    local = unit.replace("/srv/procore/.venv/bin/procore-sync", f"{sys.executable} {ROOT}/scripts/sync_database.py")
    assert local != unit
    path = tmp_path / "procore-sync.service"
    path.write_text(local)
    out = subprocess.run([tool, "verify", str(path)], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    problems = [line for line in (out.stdout + out.stderr).splitlines() if "procore-sync" in line]
    assert out.returncode == 0 and not problems, out.stdout + out.stderr
