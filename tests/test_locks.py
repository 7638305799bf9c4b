"""One run per Vespa target, from any working directory: the lock file and the daemon's pid file."""

import os
import subprocess
import sys
import time

import psycopg2
import pytest

from procore_ingest.pipeline.lock import default_lock_path, read_holder
from tests.helpers import ROOT, execute, run_script

SCHEMA = """
CREATE TABLE photos (id bigint PRIMARY KEY, description text, updated_at timestamp(3) NOT NULL,
                     last_synced_at timestamp(3) NOT NULL DEFAULT now());
INSERT INTO photos SELECT g, 'photo ' || g, '2026-01-01', '2026-01-02' FROM generate_series(1, 20) g;
"""


@pytest.fixture
def env(pg_url, vespa):
    execute(pg_url, SCHEMA)
    return {"PROCORE_DATABASE_URL": pg_url, "VESPA_LOCAL_URL": vespa.url}


def folder(tmp_path, name):
    path = tmp_path / name
    path.mkdir()
    return path


def start(script, env, cwd, *args):
    full = {k: v for k, v in os.environ.items() if not k.startswith(("PROCORE_", "VESPA_"))}
    full.update(env)
    return subprocess.Popen([sys.executable, str(ROOT / "scripts" / script), *args], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=full)


def wait_for(predicate, proc, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc.poll() is not None:
            raise AssertionError(f"exited {proc.returncode}: {proc.communicate()}")
        time.sleep(0.1)
    raise AssertionError("timed out")


def holds_lock(vespa_url, proc):
    holder = read_holder(default_lock_path(vespa_url))
    return holder is not None and holder.pid == proc.pid


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_second_once_from_another_folder_exits_2_naming_the_first(env, tmp_path):
    # the first cycle waits on a table lock taken here, so it is mid-run when the second starts
    blocker = psycopg2.connect(env["PROCORE_DATABASE_URL"])
    blocker.cursor().execute("LOCK TABLE photos IN ACCESS EXCLUSIVE MODE")
    first = start("sync_database.py", env, folder(tmp_path, "a"), "--once")
    try:
        wait_for(lambda: holds_lock(env["VESPA_LOCAL_URL"], first), first)
        second = run_script("sync_database.py", "--once", env=env, cwd=folder(tmp_path, "b"))
        assert second.returncode == 2, second.stderr
        assert f"pid {first.pid}" in second.stderr and "sync_database.py --once" in second.stderr
        assert "Traceback" not in second.stderr
        daemon = run_script("sync_database.py", "--daemon", "--pid-file", str(tmp_path / "d.pid"),
                            env=env, cwd=tmp_path / "b")
        assert daemon.returncode == 2 and f"pid {first.pid}" in daemon.stderr, daemon.stderr
        assert not (tmp_path / "d.pid").exists()  # a refused daemon leaves no pid file behind
        blocker.rollback()
        _, err = first.communicate(timeout=120)
        assert first.returncode == 0, err
    finally:
        blocker.close()
        stop(first)
    # the lock went with its holder: the next run goes ahead
    again = run_script("sync_database.py", "--once", env=env, cwd=tmp_path / "b")
    assert again.returncode == 0, again.stderr


def test_daemon_holds_the_target_between_cycles(env, tmp_path):
    daemon = start("sync_database.py", {**env, "PROCORE_STATE_DIR": str(tmp_path / "daemon-state")},
                   folder(tmp_path, "a"), "--daemon", "--interval", "3600", "--pid-file", str(tmp_path / "sync.pid"))
    try:
        wait_for(lambda: holds_lock(env["VESPA_LOCAL_URL"], daemon)
                 and (tmp_path / "daemon-state" / "checkpoints.json").exists()
                 and "photos" in (tmp_path / "daemon-state" / "checkpoints.json").read_text(), daemon)
        once = run_script("sync_database.py", "--once", env=env, cwd=folder(tmp_path, "b"))
        assert once.returncode == 2, once.stderr
        assert f"pid {daemon.pid}" in once.stderr and "--daemon" in once.stderr
        ingest = run_script("ingest_database.py", "--full", env=env, cwd=tmp_path / "b")
        assert ingest.returncode != 0 and f"pid {daemon.pid}" in ingest.stderr, ingest.stderr
        assert not (tmp_path / "b" / ".procore_ingest" / "checkpoints.json").exists()
    finally:
        stop(daemon)


def test_pid_file_of_an_unrelated_live_process_is_taken_over(env, tmp_path):
    unrelated = subprocess.Popen(["sleep", "60"])
    pid_file = tmp_path / "sync.pid"
    pid_file.write_text(f"{unrelated.pid}\n")
    daemon = start("sync_database.py", {**env, "PROCORE_STATE_DIR": str(tmp_path / "state")}, tmp_path,
                   "--daemon", "--interval", "3600", "--pid-file", str(pid_file))
    try:
        wait_for(lambda: pid_file.exists() and pid_file.read_text().strip() == str(daemon.pid), daemon)
        stop(daemon)
        _, err = daemon.communicate()
        assert "WARNING" in err and f"pid {unrelated.pid} is alive but is not a procore-ingest sync" in err
        assert unrelated.poll() is None  # only the pid file was taken, not the process
    finally:
        stop(daemon)
        unrelated.kill()
        unrelated.wait()


def test_lock_is_the_same_for_every_spelling_of_the_target(tmp_path, monkeypatch):
    assert default_lock_path("http://Vespa.example:8080/") == default_lock_path("http://user:pw@vespa.example:8080")
    assert default_lock_path("https://vespa.example") == default_lock_path("https://vespa.example:443/")
    assert default_lock_path("http://vespa.example:8080") != default_lock_path("http://vespa.example:8081")
    monkeypatch.chdir(tmp_path)
    assert default_lock_path("file://out") == default_lock_path(f"file://{tmp_path}/out")


def test_lock_file_names_the_holder_without_its_secrets(tmp_path):
    from procore_ingest.errors import AlreadyRunningError
    from procore_ingest.pipeline.lock import TargetLock, redacted_command

    line = redacted_command(["sync_database.py", "--once", "--database-url", "postgresql://u:pw1@db/x",
                             "--vespa-token", "tok2", "--api-key=key3"])
    assert "sync_database.py --once" in line and "pw1" not in line and "tok2" not in line and "key3" not in line
    with TargetLock("http://user:pw4@vespa.example:8080", tmp_path / "t.lock") as lock:
        holder = read_holder(lock.path)
        assert holder.pid == os.getpid() and "pw4" not in lock.path.read_text()
        with pytest.raises(AlreadyRunningError, match=f"pid {os.getpid()}"):
            TargetLock("http://vespa.example:8080", tmp_path / "t.lock").acquire()
    with TargetLock("http://vespa.example:8080", tmp_path / "t.lock"):  # released: free again
        pass
