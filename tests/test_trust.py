"""Secrets never leak and a run never wedges: database passwords with any character, a torn
feed file, one lock per target whatever its spelling, OS errors on the state directory."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest

from tests.helpers import execute, run_script

SCHEMA = """
CREATE TABLE items (id bigint PRIMARY KEY, name text, updated_at timestamp(3) NOT NULL);
INSERT INTO items SELECT g, 'item ' || g, '2026-01-01' FROM generate_series(1, 12) g;
"""

MARKER = "Kx7secret"  # the part of each test password that must never be seen
PASSWORD = f"Zq#9?{MARKER}%PW@a/b c"  # every character that ends a URL authority, and a blank


def with_password(url: str, password_in_url: str) -> str:
    """`url` with `password_in_url` (already as it should appear) as the login's password."""
    parts = urlsplit(url)
    user = parts.netloc.rsplit("@", 1)[0].split(":", 1)[0] if "@" in parts.netloc else "postgres"
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, f"{user}:{password_in_url}@{host}", parts.path, parts.query, ""))


def everything_written(*folders: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for f in folders for p in f.rglob("*") if p.is_file())


@pytest.fixture
def db(pg_url):
    execute(pg_url, SCHEMA)
    return pg_url


def test_password_with_url_delimiters_reaches_no_output_state_or_job(db, tmp_path):
    # '#' and '?' are kept raw (libpq accepts them in the user information), the rest encoded
    url = with_password(db, quote(PASSWORD, safe="#?"))
    env = {"PROCORE_DATABASE_URL": url, "PROCORE_STATE_DIR": str(tmp_path / "state"),
           "VESPA_LOCAL_URL": f"file://{tmp_path / 'feed'}"}
    runs = [run_script("ingest_database.py", "--full", env=env),
            run_script("sync_database.py", "--once", env=env),
            run_script("sync_database.py", "--status", "--format", "json", env=env),
            run_script("sync_database.py", "--verify", env=env),
            run_script("sync_database.py", "--verify", "--format", "json", env=env)]
    assert [r.returncode for r in runs] == [0, 0, 0, 0, 0], [r.stderr[-600:] for r in runs]
    status = json.loads(runs[2].stdout)
    assert status["database"].startswith("postgresql://") and "***" in status["database"]
    seen = "\n".join(r.stdout + r.stderr for r in runs) + everything_written(tmp_path)
    assert "Zq#9" not in seen and MARKER not in seen and quote(MARKER) not in seen


@pytest.mark.parametrize("make_url", [
    lambda url: with_password(url, f"Pa%ss-{MARKER}"),  # '%' without two hex digits
    lambda url: with_password(url, f"Zq?9se/{MARKER}"),  # '/' ends libpq's user information
    lambda url: f"host=/nonexistent dbname=x user=u password=hunter2 {MARKER}",  # unquoted blank
], ids=["percent", "slash", "keyword-blank"])
def test_unparseable_database_url_is_one_line_naming_no_part_of_the_password(db, tmp_path, make_url):
    env = {"PROCORE_DATABASE_URL": make_url(db), "PROCORE_STATE_DIR": str(tmp_path / "state"),
           "VESPA_LOCAL_URL": f"file://{tmp_path / 'feed'}"}
    for script, args in [("ingest_database.py", ["--full"]), ("sync_database.py", ["--once"]),
                         ("sync_database.py", ["--verify"])]:
        result = run_script(script, *args, env=env)
        assert result.returncode == 1, (script, result.stderr)  # the contract's connection error
        errors = [line for line in result.stderr.splitlines() if "ERROR" in line]
        assert len(errors) == 1 and "database URL is not valid" in errors[0], result.stderr
        assert MARKER not in result.stdout + result.stderr + everything_written(tmp_path)


def feed_env(db, tmp_path):
    return {"PROCORE_DATABASE_URL": db, "PROCORE_STATE_DIR": str(tmp_path / "state"),
            "VESPA_LOCAL_URL": f"file://{tmp_path / 'feed'}"}


def test_torn_last_line_of_a_feed_file_is_cut_and_the_index_heals(db, tmp_path):
    env = feed_env(db, tmp_path)
    assert run_script("ingest_database.py", "--full", env=env).returncode == 0
    feed = tmp_path / "feed" / "items.jsonl"
    data = feed.read_bytes()
    feed.write_bytes(data[:-40])  # a short write: the last put ends mid-JSON, no newline
    execute(db, "UPDATE items SET name = 'renamed', updated_at = '2026-02-01' WHERE id = 3")

    once = run_script("sync_database.py", "--once", env=env)
    assert once.returncode == 0, once.stderr
    assert "torn last line" in once.stderr and str(feed) in once.stderr
    # the full load kept the keys Vespa acknowledged, the torn put's among them, and no cycle
    # lists the index: --verify finds the document missing (exit 3) and --repair feeds it
    assert run_script("sync_database.py", "--verify", env=env).returncode == 3
    assert run_script("sync_database.py", "--verify", "--repair", env=env).returncode == 0
    feed.write_bytes(feed.read_bytes()[:-40])  # torn again, read this time by --verify
    verify = run_script("sync_database.py", "--verify", env=env)
    assert verify.returncode == 3, verify.stderr  # the torn put's document is missing: said so
    assert "unexpected error" not in verify.stderr and "torn last line" in verify.stderr
    full = run_script("ingest_database.py", "--full", env=env)
    assert full.returncode == 0, full.stderr
    assert run_script("sync_database.py", "--verify", env=env).returncode == 0

    lines = feed.read_bytes().split(b"\n")
    assert lines[-1] == b"" and all(json.loads(line) for line in lines[:-1])


def test_corrupt_line_inside_a_feed_file_is_one_line_naming_file_and_line(db, tmp_path):
    env = feed_env(db, tmp_path)
    assert run_script("ingest_database.py", "--full", env=env).returncode == 0
    feed = tmp_path / "feed" / "items.jsonl"
    lines = feed.read_bytes().split(b"\n")
    lines[1] = lines[1][:25]
    feed.write_bytes(b"\n".join(lines))

    verify = run_script("sync_database.py", "--verify", env=env)
    full = run_script("ingest_database.py", "--full", env=env)
    assert (verify.returncode, full.returncode) == (1, 2)  # the target's error code of each script
    for result in (verify, full):
        errors = [line for line in result.stderr.splitlines() if "ERROR" in line]
        assert len(errors) == 1 and f"{feed}: line 2 is not a Vespa feed operation" in errors[0], result.stderr


def test_lock_path_that_is_a_symlink_is_refused_and_its_target_keeps_its_bytes(db, tmp_path):
    from procore_ingest.pipeline.lock import default_lock_path

    env = feed_env(db, tmp_path)
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me\n")
    lock_path = default_lock_path(env["VESPA_LOCAL_URL"])
    lock_path.unlink(missing_ok=True)
    lock_path.symlink_to(victim)
    try:
        results = [run_script("sync_database.py", "--once", env=env),
                   run_script("ingest_database.py", "--full", env=env)]
    finally:
        lock_path.unlink()
    assert victim.read_text() == "keep me\n"
    assert [r.returncode for r in results] == [2, 4]  # each script's "busy" code
    for result in results:
        errors = [line for line in result.stderr.splitlines() if "ERROR" in line]
        assert len(errors) == 1 and f"{lock_path} is a symbolic link" in errors[0], result.stderr
    assert not list(tmp_path.glob("feed/*.jsonl"))  # refused before feeding anything


def test_lock_file_is_private_to_its_user(tmp_path):
    from procore_ingest.pipeline.lock import TargetLock

    with TargetLock("http://vespa.example:8080", tmp_path / "t.lock") as lock:
        assert lock.path.stat().st_mode & 0o777 == 0o600


def test_every_spelling_of_the_loopback_target_has_one_lock():
    from procore_ingest.pipeline.lock import default_lock_path

    spellings = ["http://localhost:8080", "http://127.0.0.1:8080/", "http://[::1]:8080",
                 "http://LOCALHOST.:8080", "http://[::ffff:127.0.0.1]:8080", "http://u:pw@127.0.0.2:8080"]
    assert len({default_lock_path(url) for url in spellings}) == 1
    assert default_lock_path("http://localhost:8081") != default_lock_path("http://[::1]:8080")
    # remote names are not unified with each other or with their addresses (documented)
    assert default_lock_path("http://192.0.2.7:8080") != default_lock_path("http://[::1]:8080")


def test_a_run_through_another_spelling_of_the_target_is_refused(db, vespa, tmp_path):
    from procore_ingest.pipeline.lock import TargetLock

    assert "127.0.0.1" in vespa.url  # the test server listens on IPv4 loopback only
    env = {"PROCORE_DATABASE_URL": db, "PROCORE_STATE_DIR": str(tmp_path / "state"),
           "VESPA_LOCAL_URL": vespa.url.replace("127.0.0.1", "localhost")}
    with TargetLock(vespa.url):  # a run through the 127.0.0.1 spelling holds the target
        result = run_script("sync_database.py", "--once", env=env)
    assert result.returncode == 2, result.stderr
    assert "already in progress" in result.stderr


SECRETS_SCHEMA = """
CREATE TABLE integrations (
    id int PRIMARY KEY, name text, "accessToken" text, "clientSecret" text, "passwordHash" text,
    "webhookSecret" text, "tokenizer" text, config jsonb, notes text, attachment_url text,
    updated_at timestamp(3) NOT NULL DEFAULT '2026-01-01');
INSERT INTO integrations VALUES (1, 'Slack bridge', 'S1accessMarker', 'S2clientMarker', 'S3hashMarker',
    'S4webhookMarker', 'wordpiece',
    '{"region": "us-east", "api_key": "S5apikeyMarker",
      "headers": {"Authorization": "Bearer S6bearerMarker.eyJhbGciOi"}}',
    'settings: {"password": "S7notesMarker"}',
    'https://bucket.s3.amazonaws.com/docs/plan.pdf?X-Amz-Algorithm=AWS4-HMAC-SHA256'
    '&X-Amz-Credential=AKIAS8credMarker%2F20260101%2Fus-east-1%2Fs3%2Faws4_request'
    '&X-Amz-Security-Token=S9tokenMarker&X-Amz-Signature=S0signatureMarker'
    '&X-Amz-Date=20260101T000000Z&X-Amz-Expires=3600&versionId=v7');
"""
SECRET_MARKERS = [f"S{i}" for i in range(10)]


def marker_in(text: str) -> list[str]:
    return [m for m in SECRET_MARKERS if re.search(m + r"[a-z]+Marker", text)]


def test_camel_case_json_and_presigned_url_secrets_are_withheld(pg_url, tmp_path):
    execute(pg_url, SECRETS_SCHEMA)
    env = feed_env(pg_url, tmp_path)
    full = run_script("ingest_database.py", "--full", env=env)
    assert full.returncode == 0, full.stderr
    feed = (tmp_path / "feed" / "integrations.jsonl").read_text()
    assert marker_in(feed + everything_written(tmp_path) + full.stderr) == []

    (doc,) = [json.loads(line)["fields"] for line in feed.splitlines()]
    meta = doc["metadata"]
    assert {"accessToken", "clientSecret", "passwordHash", "webhookSecret"}.isdisjoint(meta)
    assert meta["tokenizer"] == "wordpiece" and meta["name"] == "Slack bridge"  # not over-withheld
    config = json.loads(meta["config"])
    assert config == {"region": "us-east", "api_key": "[REDACTED]", "headers": {"Authorization": "[REDACTED]"}}
    assert meta["attachment_url"] == "https://bucket.s3.amazonaws.com/docs/plan.pdf?versionId=v7"
    urls = [json.loads(r).get("url") for r in doc["file_references"]]
    assert urls == ["https://bucket.s3.amazonaws.com/docs/plan.pdf?versionId=v7"]
    assert "us-east" in doc["content_text"] and "plan.pdf" in doc["content_text"]

    for fmt in ("json", "markdown"):
        report = run_script("discover_schema.py", "--format", fmt, "--include-samples", env=env)
        assert report.returncode == 0, report.stderr
        assert marker_in(report.stdout + report.stderr) == [], fmt
        for name in ("accessToken", "clientSecret", "passwordHash", "webhookSecret"):
            assert f"integrations.{name}" in report.stdout if fmt == "markdown" else True
    report = json.loads(report_json(env))
    (table,) = [t for s in report["schemas"] for t in s["tables"] if t["name"] == "integrations"]
    assert table["withheld_columns"] == ["accessToken", "clientSecret", "passwordHash", "webhookSecret"]


def report_json(env) -> str:
    return run_script("discover_schema.py", "--format", "json", env=env).stdout


def test_state_directory_os_error_is_one_line_naming_the_path(db, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the state directory's parent should be\n")
    env = {**feed_env(db, tmp_path), "PROCORE_STATE_DIR": str(blocker / "state")}
    results = {"ingest": run_script("ingest_database.py", "--full", "--no-progress", env=env),
               "sync": run_script("sync_database.py", "--once", env=env)}
    assert {k: r.returncode for k, r in results.items()} == {"ingest": 4, "sync": 1}
    for result in results.values():
        errors = [line for line in result.stderr.splitlines() if "ERROR" in line]
        assert len(errors) == 1 and str(blocker / "state") in errors[0], result.stderr
        assert "unexpected error" not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("url", ["ftp://vespa.example", "localhost:8080", "http://[::1", "http://h:99999"])
def test_bad_vespa_url_is_the_vespa_exit_code_before_the_banner(db, tmp_path, url):
    env = {"PROCORE_DATABASE_URL": db, "PROCORE_STATE_DIR": str(tmp_path / "state")}
    ingest = run_script("ingest_database.py", "--full", "--no-progress", "--vespa-url", url, env=env)
    sync = run_script("sync_database.py", "--once", "--vespa-url", url, env=env)
    assert (ingest.returncode, sync.returncode) == (2, 1), ingest.stdout + ingest.stderr
    assert ingest.stdout == "" and "invalid Vespa URL" in ingest.stderr  # no start banner first
    assert len([line for line in ingest.stderr.splitlines() if "ERROR" in line]) == 1
    assert not (tmp_path / "state").exists()


@pytest.mark.parametrize("name, secret", [
    ("accessToken", True), ("refreshToken", True), ("clientSecret", True), ("passwordHash", True),
    ("hashedPassword", True), ("secretKey", True), ("privateKey", True), ("sessionToken", True),
    ("webhookSecret", True), ("apiSecret", True), ("APIKey", True), ("api-key", True),
    ("x-amz-security-token", True), ("oauth2Token", True), ("access_token", True), ("otp", True),
    ("Authorization", True),
    # words compared whole; a last word that describes the secret keeps the column
    ("tokenizer", False), ("keyboard", False), ("author", False), ("sort_key", False),
    ("password_updated_at", False), ("passwordUpdatedAt", False), ("token_type", False),
    ("tokenExpiresAt", False),
])
def test_secret_names_in_any_case_style(name, secret):
    from procore_ingest.discovery.sensitive import is_secret_column

    assert is_secret_column(name) is secret


def test_prose_and_rows_without_secrets_are_rendered_unchanged():
    from procore_ingest.discovery.sensitive import withhold_in_text, withhold_secrets

    for text in ["Basic information about the site", "see https://example.com/a.pdf", 'a "b": c',
                 "Token limits", "https://example.com/search?q=tile&page=2"]:
        assert withhold_in_text(text) == text
    value = {"region": "us", "items": [{"name": "x", "n": 3}], "url": "https://h/p.pdf?versionId=2"}
    assert withhold_secrets(value) is value
