"""The sync daemon and cron mode as a user runs them: subprocesses, pid files, signals."""

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.helpers import ROOT, execute, run_script

SCHEMA = """
CREATE TABLE photos (id bigint PRIMARY KEY, description text, updated_at timestamp(3) NOT NULL,
                     last_synced_at timestamp(3) NOT NULL DEFAULT now());
INSERT INTO photos SELECT g, 'photo ' || g, '2026-01-01', '2026-01-02' FROM generate_series(1, 20) g;
"""


@pytest.fixture
def env(pg_url, tmp_path):
    execute(pg_url, SCHEMA)
    return {"PROCORE_DATABASE_URL": pg_url, "VESPA_LOCAL_URL": f"file://{tmp_path}/feed",
            "PROCORE_STATE_DIR": str(tmp_path / "state")}


def start_daemon(env, pid_file, *extra):
    full = {k: v for k, v in os.environ.items() if not k.startswith(("PROCORE_", "VESPA_"))}
    full.update(env)
    return subprocess.Popen([sys.executable, str(ROOT / "scripts" / "sync_database.py"), "--daemon",
                             "--interval", "1", "--pid-file", str(pid_file), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=full)


def wait_for(predicate, proc, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc.poll() is not None:
            raise AssertionError(f"daemon exited {proc.returncode}: {proc.communicate()}")
        time.sleep(0.1)
    raise AssertionError("timed out")


def cycles_done(env):
    status = run_script("sync_database.py", "--status", env=env)
    return "synced at" in status.stdout


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_daemon_runs_refuses_a_second_instance_and_stops_on_signal(env, tmp_path, signum, code):
    pid_file = tmp_path / "sync.pid"
    proc = start_daemon(env, pid_file)
    try:
        wait_for(lambda: pid_file.exists() and cycles_done(env), proc)
        assert int(pid_file.read_text()) == proc.pid
        status = run_script("sync_database.py", "--status", "--pid-file", str(pid_file), env=env)
        assert f"running (pid {proc.pid}" in status.stdout and "Next sync:" in status.stdout
        second = run_script("sync_database.py", "--daemon", "--pid-file", str(pid_file), env=env)
        assert second.returncode == 2 and str(proc.pid) in second.stderr
        execute(env["PROCORE_DATABASE_URL"], "UPDATE photos SET description = 'new', last_synced_at = now() WHERE id = 3")
        wait_for(lambda: '"new"' in (tmp_path / "feed" / "photos.jsonl").read_text()
                 if (tmp_path / "feed" / "photos.jsonl").exists() else False, proc)
        started = time.monotonic()
        proc.send_signal(signum)
        proc.wait(timeout=15)
        assert proc.returncode == code
        assert time.monotonic() - started < 5
        assert not pid_file.exists()
    finally:
        if proc.poll() is None:
            proc.kill()


def test_stale_pid_file_is_taken_over(env, tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    pid_file = tmp_path / "sync.pid"
    pid_file.write_text(f"{dead.pid}\n")
    proc = start_daemon(env, pid_file)
    try:
        wait_for(lambda: pid_file.exists() and pid_file.read_text().strip() == str(proc.pid), proc)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=15)
        assert proc.returncode == 143
        assert "stale pid file" in err
    finally:
        if proc.poll() is None:
            proc.kill()


def test_daemon_survives_losing_the_database(env, tmp_path):
    pid_file = tmp_path / "sync.pid"
    proc = start_daemon(env, pid_file)
    try:
        wait_for(lambda: cycles_done(env), proc)
        url = env["PROCORE_DATABASE_URL"]
        # what a database restart looks like to a client: every session of ours is killed
        deadline = time.monotonic() + 20
        killed = 0
        while time.monotonic() < deadline and not killed:
            from tests.helpers import query
            killed = query(url, "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                "WHERE application_name = 'procore-ingest' AND pid <> pg_backend_pid()) k")[0][0]
            time.sleep(0.02)
        execute(url, "UPDATE photos SET description = 'after outage', last_synced_at = now() WHERE id = 5")
        feed = tmp_path / "feed" / "photos.jsonl"
        wait_for(lambda: "after outage" in feed.read_text() if feed.exists() else False, proc, timeout=60)
        assert proc.poll() is None
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)


def test_once_for_cron_exit_codes(env, tmp_path):
    ok = run_script("sync_database.py", "--once", env=env)
    assert ok.returncode == 0, ok.stderr
    assert "Sync cycle done" in ok.stderr
    down = run_script("sync_database.py", "--once", env={**env, "PROCORE_DATABASE_URL": "postgresql://u:pw@127.0.0.1:1/x"})
    assert down.returncode == 1 and "pw@" not in down.stderr and "Traceback" not in down.stderr
    vespa_down = run_script("sync_database.py", "--once", "--vespa-url", "http://127.0.0.1:1", env=env)
    assert vespa_down.returncode == 1


def test_incremental_ingest_without_a_full_run_loads_the_table(env, tmp_path):
    result = run_script("ingest_database.py", "--incremental", "--tables", "photos", env=env)
    assert result.returncode == 0, result.stderr
    assert "photos: 20 inserted" in result.stdout and "Records indexed: 20" in result.stdout
    again = run_script("ingest_database.py", "--incremental", "--tables", "photos", env=env)
    assert "Records indexed: 0" in again.stdout
