"""Full ingestion into Vespa (the in-process /document/v1 server, through pyvespa):
idempotent ids, throttling and outages, rejected documents, kill -9 and SIGTERM with resume."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from procore_ingest import discover
from procore_ingest.pipeline.ingest import IngestOptions, resume, run_full
from procore_ingest.state import StateStore
from tests.helpers import ROOT, assert_documents_match_rows, query, run_script

TABLES = ["actor", "film", "film_category", "language", "staff"]  # film_category: composite key


def stored(server, table: str) -> list[dict]:
    prefix = f"id:procore_record:procore_record::{table}:"
    return [{"fields": f} for i, f in server.documents("procore_record").items() if i.startswith(prefix)]


def rows(url: str, table: str) -> int:
    return query(url, f'SELECT count(*) FROM "{table}"')[0][0]


def test_full_ingest_through_pyvespa_matches_the_database(pagila_url, vespa, tmp_path):
    opts = IngestOptions(database_url=pagila_url, vespa_url=vespa.url, tables=TABLES,
                         state_dir=str(tmp_path), batch_size=500, workers=4)
    result = run_full(opts)
    assert result.exit_code == 0 and result.failed == 0
    schema = discover(pagila_url)
    for table in TABLES:
        assert_documents_match_rows(pagila_url, schema.table(table), stored(vespa, table),
                                    result.withheld_columns.get(table, []))
    metadata_docs = vespa.documents("procore_schema_metadata")
    assert {f"id:procore_schema_metadata:procore_schema_metadata::table:{t}" for t in TABLES} <= set(metadata_docs)
    assert vespa.count("procore_record") == sum(rows(pagila_url, t) for t in TABLES)
    # a second run replaces, never duplicates
    opts.tables = ["actor"]
    assert run_full(opts).exit_code == 0
    assert vespa.count("procore_record") == sum(rows(pagila_url, t) for t in TABLES)


def test_vespa_unreachable_at_start_is_exit_2_fast_without_credentials(pagila_url, tmp_path):
    started = time.monotonic()
    result = run_script("ingest_database.py", "--full", "--database-url", pagila_url,
                        "--vespa-url", "http://feeder:s3cret@127.0.0.1:1", "--state-dir", str(tmp_path))
    assert result.returncode == 2
    assert time.monotonic() - started < 15
    assert "127.0.0.1:1" in result.stderr and "s3cret" not in result.stderr + result.stdout
    assert not (tmp_path / "jobs").exists()  # nothing was read or recorded


def test_throttling_and_short_outage_are_retried(pagila_url, vespa, tmp_path):
    vespa.fail_next(10, status=429)
    vespa.set_outage(503, for_requests=40, methods=["POST"], path_prefix="/document/v1/procore_record/")
    result = run_full(IngestOptions(database_url=pagila_url, vespa_url=vespa.url, tables=["actor"],
                                    state_dir=str(tmp_path), retry_budget_s=60))
    assert result.exit_code == 0 and result.indexed == 200
    assert len(stored(vespa, "actor")) == 200
    assert 503 in vespa.statuses("POST") and 429 in vespa.statuses("POST")


def test_outage_beyond_the_budget_is_exit_3_with_failure_log(pagila_url, vespa, tmp_path):
    cli_env = {"PROCORE_DATABASE_URL": pagila_url}
    vespa.set_outage(503, methods=["POST"], path_prefix="/document/v1/procore_record/procore_record/docid/film")
    result = run_script("ingest_database.py", "--full", "--vespa-url", vespa.url, "--tables", "actor", "film",
                        "--state-dir", str(tmp_path), "--retry-budget", "2", env=cli_env)
    assert result.returncode == 3, result.stderr
    assert "Records indexed: 200" in result.stdout and "Records failed: 1,000" in result.stdout
    job_id = next((tmp_path / "jobs").glob("*.json")).stem
    failures = [json.loads(line) for line in (tmp_path / "failures" / f"{job_id}.jsonl").read_text().splitlines()]
    assert len(failures) == 1000
    assert failures[0]["table"] == "film" and failures[0]["status"] == 503 and failures[0]["id"].startswith("film:")
    assert len(stored(vespa, "actor")) == 200


def test_rejected_documents_are_logged_and_the_rest_stored(pagila_url, vespa, tmp_path):
    vespa.reject_ids(lambda doc_id: doc_id in {"actor:7", "actor:8"}, status=400,
                     message="Error in document 'x' - could not parse field")
    result = run_full(IngestOptions(database_url=pagila_url, vespa_url=vespa.url, tables=["actor"],
                                    state_dir=str(tmp_path)))
    assert result.exit_code == 3 and result.failed == 2 and result.indexed == 198
    lines = [json.loads(x) for x in result.failure_log.read_text().splitlines()]
    assert {x["id"] for x in lines} == {"actor:7", "actor:8"}
    assert all(x["status"] == 400 and "could not parse" in x["message"] for x in lines)
    assert len(stored(vespa, "actor")) == 198


def test_nothing_indexed_is_exit_4(pagila_url, vespa, tmp_path):
    vespa.reject_ids(lambda doc_id: doc_id.startswith("language:"), status=400, message="bad")
    result = run_script("ingest_database.py", "--full", "--database-url", pagila_url, "--vespa-url", vespa.url,
                        "--tables", "language", "--state-dir", str(tmp_path))
    assert result.returncode == 4


def _start_ingest(url, vespa_url, state, *extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PROCORE_", "VESPA_"))}
    return subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "ingest_database.py"), "--full", "--database-url", url,
         "--vespa-url", vespa_url, "--state-dir", str(state), "--tables", "inventory", "--batch-size", "200",
         "--workers", "2", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _wait_for_progress(state: Path, minimum: int, proc, timeout=60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in (state / "jobs").glob("*.json") if (state / "jobs").exists() else []:
            try:
                job = json.loads(path.read_text())
            except ValueError:
                continue
            if job["tables"].get("inventory", {}).get("rows_read", 0) >= minimum:
                return job
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    raise AssertionError("no progress")


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return out


def _alive(pid: int) -> bool:
    try:  # a zombie (state Z) has ended; it only waits for a parent to reap it
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("processes", [1, 2])
def test_kill_9_then_resume_indexes_every_row_once(pagila_url, vespa, tmp_path, processes):
    vespa.set_delay(0.005)
    proc = _start_ingest(pagila_url, vespa.url, tmp_path, "--processes", str(processes))
    job = _wait_for_progress(tmp_path, 1000, proc)
    workers = _children(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    if Path("/proc").is_dir():  # workers die with the process that started them
        assert processes == 1 or len(workers) >= processes
        deadline = time.monotonic() + 10
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(w) for w in workers)
    vespa.set_delay(0)
    killed = StateStore(tmp_path).load_job(job["job_id"])
    assert killed.status == "running" and 0 < killed.tables["inventory"].rows_read < 4581
    result = run_script("ingest_database.py", "--resume", job["job_id"], "--database-url", pagila_url,
                        "--vespa-url", vespa.url, "--state-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert f"Resuming job {job['job_id']}" in result.stdout
    assert len(stored(vespa, "inventory")) == 4581
    done = StateStore(tmp_path).load_job(job["job_id"])
    assert done.status == "completed" and done.tables["inventory"].rows_read == 4581
    # the resume started after the checkpoint: it read only what was left (plus nothing twice)
    posts = [r for r in vespa.requests if r.method == "POST" and "inventory:" in (r.doc_id or "")]
    assert len(posts) <= 4581 + 200 * 2


def test_sigterm_cancels_cleanly_and_resume_finishes(pagila_url, vespa, tmp_path):
    vespa.set_delay(0.005)
    proc = _start_ingest(pagila_url, vespa.url, tmp_path, "--processes", "2")
    job = _wait_for_progress(tmp_path, 1000, proc)
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 5, err
    assert time.monotonic() - started < 10
    assert "Ingestion cancelled" in out and f"--resume {job['job_id']}" in out
    vespa.set_delay(0)
    cancelled = StateStore(tmp_path).load_job(job["job_id"])
    assert cancelled.status == "cancelled"
    assert cancelled.tables["inventory"].rows_read == len(stored(vespa, "inventory"))  # checkpoint == acknowledged
    final = resume(job["job_id"], IngestOptions(database_url=pagila_url, vespa_url=vespa.url, state_dir=str(tmp_path)))
    assert final.exit_code == 0 and len(stored(vespa, "inventory")) == 4581


@pytest.mark.live_vespa
def test_live_vespa_round_trip(pagila_url, tmp_path):
    url = os.environ.get("VESPA_TEST_URL")
    if not url:
        pytest.skip("VESPA_TEST_URL is not set: no real Vespa to test against (needs the app in tests/vespa_app)")
    from vespa.application import Vespa

    result = run_full(IngestOptions(database_url=pagila_url, vespa_url=url, tables=["language"],
                                    state_dir=str(tmp_path)))
    assert result.exit_code == 0 and result.indexed == 6
    doc = Vespa(url=url).get_data(schema="procore_record", namespace="procore_record", data_id="language:1")
    assert doc.status_code == 200 and doc.json["fields"]["metadata"]["name"].strip() == "English"


def test_ids_pyvespa_would_rewrite_are_refused_not_mangled(pg_url, vespa, tmp_path):
    from tests.helpers import execute
    execute(pg_url, "CREATE TABLE paths (id text PRIMARY KEY, v text);"
                    "INSERT INTO paths VALUES ('a/b', '1'), ('x/../y', '2'), ('x/./y', '3');")
    result = run_full(IngestOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=str(tmp_path)))
    assert result.exit_code == 3 and result.indexed == 1 and result.failed == 2
    assert set(vespa.documents("procore_record")) == {"id:procore_record:procore_record::paths:a/b"}
    failures = result.failure_log.read_text()
    assert "x/../y" in failures and "path segment" in failures
