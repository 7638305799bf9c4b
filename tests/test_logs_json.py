"""LOG_FORMAT=json as a log shipper reads it: every stderr line one JSON object, the cycle and
job results as fields, secrets scrubbed; the contract's text format stays the default."""

from __future__ import annotations

import json
import re
import urllib.parse
from datetime import datetime

import pytest

from tests.helpers import execute, query
from tests.pgharness import dbname, with_database
from tests.test_cli_help import run_module

PASSWORD = "json-log-s3cret"
SCHEMA = """
CREATE TABLE photos (id bigint PRIMARY KEY, description text, updated_at timestamp(3) NOT NULL);
INSERT INTO photos SELECT g, 'photo ' || g, '2026-01-01' FROM generate_series(1, 14) g;
CREATE TABLE drawings (id bigint PRIMARY KEY, title text, updated_at timestamp(3) NOT NULL);
INSERT INTO drawings SELECT g, 'A-' || g, '2026-01-01' FROM generate_series(1, 6) g;
"""


@pytest.fixture
def env(pg_url, tmp_path):
    execute(pg_url, SCHEMA)
    # the embedded server trusts local logins: the password is there to be kept out of the logs
    url = with_database(pg_url, dbname(pg_url), urllib.parse.urlsplit(pg_url).username, PASSWORD)
    return {"PROCORE_DATABASE_URL": url, "VESPA_LOCAL_URL": f"file://{tmp_path}/feed",
            "PROCORE_STATE_DIR": str(tmp_path / "state")}


def json_lines(stderr: str) -> list[dict]:
    lines = stderr.strip().splitlines()
    assert lines, "no log lines"
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    for record in records:
        assert {"time", "level", "message", "logger"} <= set(record)
        assert record["time"].endswith("Z") and datetime.fromisoformat(record["time"].replace("Z", "+00:00"))
    return records


def rows(url: str) -> int:
    return sum(query(url, f"SELECT count(*) FROM {t}")[0][0] for t in ("photos", "drawings"))


def test_sync_once_json_lines_with_cycle_fields(env, tmp_path, pg_url):
    out = run_module("sync", "--once", cwd=tmp_path, env={**env, "LOG_FORMAT": "json"})
    assert out.returncode == 0, out.stderr
    assert PASSWORD not in out.stderr + out.stdout
    records = json_lines(out.stderr)
    cycles = [r for r in records if r.get("event") == "sync_cycle"]
    assert len(cycles) == 1
    cycle = cycles[0]
    assert cycle["level"] == "INFO" and cycle["message"].startswith("Sync cycle done")
    assert cycle["tables"] == 2 and cycle["fed"] == rows(pg_url) and cycle["changes"] == rows(pg_url)
    assert cycle["removed"] == 0 and cycle["failed"] == 0 and cycle["pending"] == 0 and cycle["failed_tables"] == []
    assert isinstance(cycle["duration_s"], float) and cycle["duration_s"] >= 0 and cycle["exit_code"] == 0
    # a second cycle finds nothing: the fields say so too
    again = run_module("sync", "--once", "--log-format", "json", cwd=tmp_path, env=env)
    second = [r for r in json_lines(again.stderr) if r.get("event") == "sync_cycle"][0]
    assert second["changes"] == 0 and second["fed"] == 0


def test_ingest_job_result_is_a_json_line(env, tmp_path, pg_url):
    out = run_module("ingest", "--full", "--log-format", "json", cwd=tmp_path, env=env)
    assert out.returncode == 0, out.stderr
    jobs = [r for r in json_lines(out.stderr) if r.get("event") == "ingest_job"]
    assert len(jobs) == 1
    job = jobs[0]
    assert job["status"] == "completed" and job["indexed"] == rows(pg_url) and job["failed"] == 0
    assert job["tables"] == 2 and job["job_id"] in out.stdout  # the report names the same job


def test_errors_are_json_and_scrubbed_from_flag_env_and_file(env, tmp_path):
    down = {**env, "PROCORE_DATABASE_URL": f"postgresql://reader:{PASSWORD}@127.0.0.1:1/none"}
    (tmp_path / "procore-ingest.toml").write_text('log_format = "json"\n')
    for extra, run_env in ((["--log-format", "json"], down), ([], {**down, "LOG_FORMAT": "json"}), ([], down)):
        out = run_module("sync", "--once", *extra, cwd=tmp_path, env=run_env)
        assert out.returncode == 1, out.stderr
        assert PASSWORD not in out.stderr
        errors = [r for r in json_lines(out.stderr) if r["level"] == "ERROR"]
        assert len(errors) == 1


def test_text_format_stays_the_default(env, tmp_path):
    out = run_module("sync", "--once", cwd=tmp_path, env=env)
    assert out.returncode == 0, out.stderr
    lines = out.stderr.strip().splitlines()
    assert lines and all(re.match(r"(DEBUG|INFO|WARNING|ERROR): \t \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \t ", line)
                         for line in lines), out.stderr
    assert any("Sync cycle done" in line for line in lines)
