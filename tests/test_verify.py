"""sync_database.py --verify [--repair]: the database and the index compared row by row, and
made equal; against the Vespa protocol server and feed files, with the index damaged behind the
tool's back."""

import json
import os
import urllib.request

import orjson
import pytest

from procore_ingest import discover, verify
from procore_ingest.pipeline.ingest import IngestOptions, run_full
from procore_ingest.pipeline.lock import TargetLock
from procore_ingest.pipeline.sync import SyncOptions, run_cycle
from procore_ingest.state import StateStore
from procore_ingest.vespa.feedfile import FileSink
from tests.helpers import assert_documents_match_rows, execute, run_script

SCHEMA = """
CREATE TABLE photos (id bigint PRIMARY KEY, project_id bigint, description text,
                     updated_at timestamp(3) NOT NULL, last_synced_at timestamp(3) NOT NULL DEFAULT now());
CREATE TABLE sync_events (id text PRIMARY KEY, status text, payload jsonb);
CREATE TABLE prime_contracts (id bigint PRIMARY KEY, title text, deleted_at timestamp(3),
                              updated_at timestamp(3) NOT NULL);
CREATE TABLE integrations (id bigint PRIMARY KEY, name text, api_token text);
INSERT INTO photos SELECT g, 1, 'photo ' || g, '2026-01-01'::timestamp + g * interval '1 minute',
                          '2026-01-02' FROM generate_series(1, 60) g;
INSERT INTO sync_events SELECT 'evt-' || g, 'ok', jsonb_build_object('n', g) FROM generate_series(1, 300) g;
INSERT INTO prime_contracts SELECT g, 'contract ' || g, NULL, '2026-01-01' FROM generate_series(1, 10) g;
INSERT INTO integrations VALUES (1, 'procore', 'tok-live-5f2a9c'), (2, 'box', 'tok-live-77aa01');
"""
TABLES = ["photos", "sync_events", "prime_contracts", "integrations"]
SECRETS = ["tok-live-5f2a9c", "tok-live-77aa01", "hunter2"]
PREFIX = "id:procore_record:procore_record::"


def with_password(url: str) -> str:
    """The same URL with a password in it (the test server trusts local logins and ignores it)."""
    scheme, rest = url.split("://", 1)
    if "@" in rest:
        user, host = rest.split("@", 1)
        return f"{scheme}://{user.split(':')[0]}:hunter2@{host}"
    return f"{scheme}://postgres:hunter2@{rest}"


@pytest.fixture
def env(pg_url, vespa, tmp_path):
    """A small database, ingested and synced once into the Vespa protocol server."""
    execute(pg_url, SCHEMA)
    state = str(tmp_path / "state")
    assert run_full(IngestOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=state)).exit_code == 0
    assert run_cycle(SyncOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=state)).exit_code == 0
    return {"PROCORE_DATABASE_URL": with_password(pg_url), "VESPA_LOCAL_URL": vespa.url, "PROCORE_STATE_DIR": state}


def sync(env, *args):
    return run_script("sync_database.py", *args, env=env)


def delete_document(vespa, doc_id, doctype="procore_record"):
    request = urllib.request.Request(f"{vespa.url}/document/v1/{doctype}/{doctype}/docid/{doc_id}",
                                     method="DELETE")
    with urllib.request.urlopen(request) as response:  # noqa: S310 (the test server)
        assert response.status == 200


def damage(pg_url, vespa):
    """One of each: a missing, an extra, two stale documents, a soft-deleted row still indexed."""
    delete_document(vespa, "photos:7")
    stray = dict(vespa.document(PREFIX + "photos:8"), doc_id="photos:9999", source_id="9999")
    vespa.feed("procore_record", "photos:9999", stray)
    old = vespa.document(PREFIX + "photos:9")
    old["metadata"]["description"] = "an old description"
    vespa.feed("procore_record", "photos:9", old)  # a document with an old field value
    # a change no sync has seen yet, in a table without change columns, and a soft delete
    execute(pg_url, "UPDATE sync_events SET status = 'failed' WHERE id = 'evt-5';"
                    "UPDATE prime_contracts SET deleted_at = now() WHERE id = 3;"
                    "UPDATE integrations SET name = 'box.com' WHERE id = 2;")


def assert_index_equals_database(pg_url, vespa, tables=TABLES):
    schema = discover(pg_url)
    for name in tables:
        docs = [{"fields": f} for i, f in vespa.documents("procore_record").items()
                if i.startswith(f"{PREFIX}{name}:")]
        if name == "prime_contracts":
            assert sorted(d["fields"]["doc_id"] for d in docs) == sorted(
                f"prime_contracts:{i}" for i in range(1, 11) if i != 3)
            continue
        assert_documents_match_rows(pg_url, schema.table(name), docs, withheld=["api_token"])


def test_equal_index_exits_0_with_zero_counts(env):
    result = sync(env, "--verify")
    assert result.returncode == 0, result.stderr
    assert "Result: the index equals the database" in result.stdout
    assert "photos" in result.stdout and "60 rows, 60 documents: equal" in result.stdout
    report = verify(env["PROCORE_DATABASE_URL"], env["VESPA_LOCAL_URL"], state_dir=env["PROCORE_STATE_DIR"])
    assert report.equal and report.exit_code == 0
    assert report.totals() == {"rows": 372 + len(TABLES) + 1, "documents": 372 + len(TABLES) + 1,
                               "missing": 0, "extra": 0, "stale": 0, "pending": 0}
    assert report.tables["integrations"].rows == 2 and report.schema.rows == len(TABLES) + 1


def test_differences_are_found_named_and_exit_3(env, pg_url, vespa):
    damage(pg_url, vespa)
    result = sync(env, "--verify")
    assert result.returncode == 3, result.stderr
    out = result.stdout
    print(out)
    assert "Traceback" not in result.stderr
    assert "missing: photos:7" in out and "extra: photos:9999" in out and "stale: photos:9" in out
    assert "stale: sync_events:evt-5" in out and "extra: prime_contracts:3" in out
    assert "stale: integrations:2" in out
    assert "the index differs from the database (exit 3)" in out
    for secret in [*SECRETS, "an old description", "box.com"]:
        assert secret not in out and secret not in result.stderr
    data = json.loads(sync(env, "--verify", "--format", "json").stdout)
    photos = data["tables"]["photos"]
    assert (photos["rows"], photos["documents"], photos["missing"], photos["extra"], photos["stale"]) == (60, 60, 1, 1, 1)
    assert photos["missing_ids"] == ["photos:7"] and photos["extra_ids"] == ["photos:9999"]
    assert data["tables"]["sync_events"]["stale_ids"] == ["sync_events:evt-5"]
    assert data["tables"]["prime_contracts"]["extra_ids"] == ["prime_contracts:3"]
    assert data["equal"] is False and data["exit_code"] == 3
    assert data["totals"]["missing"] == 1 and data["totals"]["extra"] == 2 and data["totals"]["stale"] == 3
    assert "hunter2" not in json.dumps(data) and "***" in data["database"]
    # the index was only read
    assert vespa.document(PREFIX + "photos:7") is None and vespa.document(PREFIX + "photos:9999") is not None


def test_soft_deleted_rows_are_live_with_keep_soft_deleted(env, pg_url, vespa):
    execute(pg_url, "UPDATE prime_contracts SET deleted_at = now() WHERE id = 3")
    report = verify(pg_url, vespa.url, state_dir=env["PROCORE_STATE_DIR"], tables=["prime_contracts"],
                    keep_soft_deleted=True)
    contracts = report.tables["prime_contracts"]
    # kept, it is a live row whose document is stale (its deleted_at is not in the index yet)
    assert (contracts.rows, contracts.extra, contracts.stale_ids) == (10, 0, ["prime_contracts:3"])


def test_repair_makes_the_index_equal_to_the_database(env, pg_url, vespa):
    damage(pg_url, vespa)
    result = sync(env, "--verify", "--repair")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "Before repair:" in out and "After repair:" in out
    assert "Repair: 4 documents fed, 2 removed, 0 failed" in out, out
    assert out.rstrip().splitlines()[-2] == "Result: the index equals the database"
    assert vespa.document(PREFIX + "photos:9999") is None and vespa.document(PREFIX + "prime_contracts:3") is None
    assert vespa.document(PREFIX + "photos:9")["metadata"]["description"] == "photo 9"
    assert_index_equals_database(pg_url, vespa)
    assert sync(env, "--verify").returncode == 0
    # and sync goes on from there: nothing left for it to do, nothing pending
    cycle = run_cycle(SyncOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=env["PROCORE_STATE_DIR"]))
    assert cycle.exit_code == 0 and cycle.pending_total == 0


def test_a_repair_vespa_refuses_stays_pending_until_a_sync_cycle_lands_it(env, pg_url, vespa):
    delete_document(vespa, "photos:7")
    vespa.reject_ids(lambda i: i == "photos:7", status=500, methods=["POST", "PUT"])
    report = verify(pg_url, vespa.url, state_dir=env["PROCORE_STATE_DIR"], repair=True, retry_budget_s=1)
    assert report.exit_code == 3 and report.repair["photos"].failed == 1
    assert report.tables["photos"].missing_ids == ["photos:7"] and report.tables["photos"].pending == 1
    pending = StateStore(env["PROCORE_STATE_DIR"]).load_checkpoints().tables["photos"].sync.pending
    assert [(p.kind, p.id) for p in pending] == [("put", "photos:7")]
    status = sync(env, "--status")
    assert "photos" in status.stdout and "1 pending" in status.stdout
    vespa.clear_faults()
    cycle = run_cycle(SyncOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=env["PROCORE_STATE_DIR"]))
    assert cycle.exit_code == 0, cycle.tables["photos"]
    assert vespa.document(PREFIX + "photos:7") is not None
    assert sync(env, "--verify").returncode == 0


def test_tables_and_exclude_are_honoured(env, pg_url, vespa):
    damage(pg_url, vespa)
    only = json.loads(sync(env, "--verify", "--tables", "photos", "--format", "json").stdout)
    assert list(only["tables"]) == ["photos"] and only["schema"]["rows"] == 2  # its own and the database's
    result = sync(env, "--verify", "--repair", "--tables", "photos")
    assert result.returncode == 0, result.stdout + result.stderr
    assert_index_equals_database(pg_url, vespa, ["photos"])
    assert vespa.document(PREFIX + "prime_contracts:3") is not None  # out of scope: left alone
    rest = json.loads(sync(env, "--verify", "--exclude", "photos", "--format", "json").stdout)
    assert "photos" not in rest["tables"] and rest["totals"]["stale"] == 2 and rest["totals"]["extra"] == 1


def test_file_target(pg_url, tmp_path):
    execute(pg_url, SCHEMA)
    feed = tmp_path / "feed"
    env = {"PROCORE_DATABASE_URL": pg_url, "VESPA_LOCAL_URL": f"file://{feed}", "PROCORE_STATE_DIR": str(tmp_path / "s")}
    assert run_script("ingest_database.py", "--full", "--no-progress", env=env).returncode == 0
    assert sync(env, "--verify").returncode == 0
    # behind the tool's back: a remove line and a stray put appended to the feed file
    lines = (feed / "photos.jsonl").read_bytes().splitlines()
    stray = orjson.loads(lines[0])
    stray["put"] = PREFIX + "photos:5000"
    with open(feed / "photos.jsonl", "ab") as fh:
        fh.write(orjson.dumps({"remove": PREFIX + "photos:3"}) + b"\n" + orjson.dumps(stray) + b"\n")
    execute(pg_url, "UPDATE photos SET description = 'edited' WHERE id = 4")
    data = json.loads(sync(env, "--verify", "--format", "json").stdout)
    photos = data["tables"]["photos"]
    assert (photos["missing_ids"], photos["extra_ids"], photos["stale_ids"]) == (
        ["photos:3"], ["photos:5000"], ["photos:4"])
    repaired = sync(env, "--verify", "--repair")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert FileSink(feed).list_ids("procore_record", "procore_record", "photos") == {f"photos:{i}" for i in range(1, 61)}
    assert sync(env, "--verify").returncode == 0


def test_another_run_holding_the_target_exits_2_naming_it(env):
    lock = TargetLock(env["VESPA_LOCAL_URL"])
    lock.acquire()
    try:
        result = sync(env, "--verify", "--repair")
    finally:
        lock.release()
    assert result.returncode == 2, result.stderr
    assert f"pid {os.getpid()}" in result.stderr and "Traceback" not in result.stderr


def test_unreachable_vespa_or_database_exit_1(env, tmp_path):
    down = sync({**env, "VESPA_LOCAL_URL": "http://127.0.0.1:9"}, "--verify")
    assert down.returncode == 1 and "cannot reach Vespa" in down.stderr and "Traceback" not in down.stderr
    no_db = sync({**env, "PROCORE_DATABASE_URL": "postgresql://u:hunter2@127.0.0.1:9/db"}, "--verify")
    assert no_db.returncode == 1 and "Traceback" not in no_db.stderr
    assert "hunter2" not in no_db.stderr
    assert sync(env, "--repair").returncode == 2  # a usage error: --repair only with --verify


def test_dropped_table_documents_are_extra(env, pg_url, vespa):
    execute(pg_url, "DROP TABLE integrations")
    report = verify(pg_url, vespa.url, state_dir=env["PROCORE_STATE_DIR"])
    gone = report.tables["integrations"]
    assert gone.dropped and gone.extra == 2 and report.schema.extra_ids == ["table:integrations"]
    repaired = verify(pg_url, vespa.url, state_dir=env["PROCORE_STATE_DIR"], repair=True)
    assert repaired.equal, repaired.tables
    assert not [i for i in vespa.documents("procore_record") if i.startswith(PREFIX + "integrations:")]


def test_demo_database_verifies_equal_after_ingestion(demo_url, tmp_path):
    """Every column type and derived field of the Procore-shaped demo renders the same way
    twice: nothing is stale after a full ingestion (feed files: the protocol server's visits
    are too slow for 48k documents; the Vespa round trip of the types is the test below)."""
    state, target = str(tmp_path / "state"), f"file://{tmp_path / 'feed'}"
    assert run_full(IngestOptions(database_url=demo_url, vespa_url=target, state_dir=state, processes=2)).exit_code == 0
    report = verify(demo_url, target, state_dir=state, processes=2)
    differing = {n: (t.missing_ids, t.stale_ids, t.extra_ids, t.error) for n, t in report.tables.items() if not t.equal}
    assert report.equal, differing
    assert len(report.tables) == 46 and report.totals()["rows"] == report.totals()["documents"] > 40_000


def test_every_kind_of_value_survives_the_vespa_round_trip(pg_url, vespa, tmp_path):
    """What Vespa gives back (empty values dropped, maps as objects) digests like what was fed."""
    execute(pg_url, """
        CREATE TABLE odd_types (id integer PRIMARY KEY, n numeric(30, 10), tags text[], blob bytea,
                                at timestamptz, ratio double precision, doc jsonb, flag boolean, empty text,
                                span interval, day date, uid uuid, created_at timestamp, project_id bigint);
        INSERT INTO odd_types VALUES
          (1, 12345678901234567890.0123456789, '{a,"b c",""}', '\\x00ff', '2026-01-01 10:00+02', 1e-300,
           '{"z": [1, {"y": null}], "a": "ü"}', true, '', '1 day 02:03:04', '2026-02-03',
           'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '2026-01-01 00:00:00.123456', 42),
          (2, NULL, '{}', NULL, 'infinity', 'NaN', 'null', NULL, NULL, NULL, 'infinity', NULL, NULL, NULL);
    """)
    state = str(tmp_path / "state")
    assert run_full(IngestOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=state)).exit_code == 0
    report = verify(pg_url, vespa.url, state_dir=state)
    assert report.equal, report.tables["odd_types"]
    assert report.tables["odd_types"].documents == 2


def test_schema_documents_missing_or_stale_are_found_and_repaired(env, pg_url, vespa):
    schema_prefix = "id:procore_schema_metadata:procore_schema_metadata::"
    delete_document(vespa, "table:photos", "procore_schema_metadata")
    old = vespa.document(schema_prefix + "table:sync_events")
    vespa.feed("procore_schema_metadata", "table:sync_events", dict(old, table_description="an old description"))
    report = verify(pg_url, vespa.url, state_dir=env["PROCORE_STATE_DIR"])
    assert report.exit_code == 3 and all(t.equal for t in report.tables.values())
    assert report.schema.missing_ids == ["table:photos"] and report.schema.stale_ids == ["table:sync_events"]
    repaired = verify(pg_url, vespa.url, state_dir=env["PROCORE_STATE_DIR"], repair=True)
    assert repaired.equal and repaired.repair["(schema documents)"].fed == 2
    assert vespa.document(schema_prefix + "table:photos")["table_name"] == "photos"
    assert vespa.document(schema_prefix + "table:sync_events")["table_description"] != "an old description"


def test_a_running_daemon_makes_verify_exit_2_naming_it(env, tmp_path):
    import subprocess
    import sys
    import time

    from procore_ingest.pipeline.lock import default_lock_path, read_holder
    from tests.helpers import ROOT

    full = {**{k: v for k, v in os.environ.items() if not k.startswith(("PROCORE_", "VESPA_"))}, **env}
    daemon = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "sync_database.py"), "--daemon", "--interval",
                               "3600", "--pid-file", str(tmp_path / "sync.pid")], cwd=tmp_path, env=full,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while (holder := read_holder(default_lock_path(env["VESPA_LOCAL_URL"]))) is None or holder.pid != daemon.pid:
            assert daemon.poll() is None and time.monotonic() < deadline, "the daemon did not take the lock"
            time.sleep(0.1)
        result = sync(env, "--verify", "--pid-file", str(tmp_path / "sync.pid"))
        assert result.returncode == 2, result.stderr
        assert f"pid {daemon.pid}" in result.stderr and "--daemon" in result.stderr
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)
