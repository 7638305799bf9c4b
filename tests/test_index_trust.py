"""The index ends equal to the database, or the command says why with a non-zero exit (issue
"trust", items 1, 2, 3, 4, 8; review 2026-12-07-drift-and-secrets F1-F4, F8): each scenario
through the commands against real PostgreSQL and a `file://` target or the Vespa protocol
server with faults, asserting the index afterwards, not only exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from procore_ingest.pipeline.ingest import IngestOptions, resume, run_full
from procore_ingest.pipeline.sync import SyncOptions, run_cycle
from procore_ingest.pipeline.verify import VerifyOptions, run_verify
from procore_ingest.state import StateStore
from tests.helpers import execute, run_script

SCHEMA = """
CREATE TABLE items (id bigint PRIMARY KEY, name text, updated_at timestamp(3) NOT NULL DEFAULT '2026-01-01');
CREATE TABLE b (id bigint PRIMARY KEY, label text);
INSERT INTO items SELECT g, 'item ' || g, '2026-01-01'::timestamp + g * interval '1 minute'
  FROM generate_series(1, 40) g;
INSERT INTO b SELECT g, 'b ' || g FROM generate_series(1, 5) g;
"""
PREFIX = "id:procore_record:procore_record::"
ITEMS = "/document/v1/procore_record/procore_record/docid/items"


def live_ids(feed: Path, table: str) -> set[str]:
    """The ids a table's feed file leaves alive (puts minus later removes)."""
    alive: set[str] = set()
    path = feed / f"{table}.jsonl"
    for line in path.read_text().splitlines() if path.exists() else []:
        op = json.loads(line)
        if "put" in op:
            alive.add(op["put"].rsplit("::", 1)[1])
        else:
            alive.discard(op["remove"].rsplit("::", 1)[1])
    return alive


def schema_ids(feed: Path) -> set[str]:
    return live_ids(feed, "_procore_schema_metadata")


def cli(script: str, url: str, target: str, state: Path, *args: str):
    return run_script(script, *args, "--database-url", url, "--vespa-url", target, "--state-dir", str(state),
                      *(["--pid-file", str(state.parent / f"{state.name}.pid")] if script == "sync_database.py" else []))


@pytest.fixture
def db(pg_url):
    execute(pg_url, SCHEMA)
    return pg_url


# -- F1: the sync state is bound to its target and its database --------------------------------

def test_a_new_target_with_the_same_state_gets_every_document(db, tmp_path):
    a, b, state = tmp_path / "a", tmp_path / "b", tmp_path / "state"
    assert cli("ingest_database.py", db, f"file://{a}", state, "--full", "--no-progress").returncode == 0
    assert cli("sync_database.py", db, f"file://{a}", state, "--once").returncode == 0
    execute(db, "UPDATE items SET name = 'moved', updated_at = now() WHERE id = 3")
    switched = cli("sync_database.py", db, f"file://{b}", state, "--once")
    assert switched.returncode == 0, switched.stderr
    assert "kept for another Vespa target: starting it over" in switched.stderr
    assert live_ids(b, "items") == {f"items:{i}" for i in range(1, 41)}
    assert live_ids(b, "b") == {f"b:{i}" for i in range(1, 6)}
    assert {"table:items", "table:b"} <= schema_ids(b)
    verified = cli("sync_database.py", db, f"file://{b}", state, "--verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    again = cli("sync_database.py", db, f"file://{b}", state, "--once")  # bound to B now: nothing to redo
    assert again.returncode == 0 and "starting it over" not in again.stderr


def test_another_database_with_the_same_state_starts_over(db, pg_server, tmp_path):
    feed, state = tmp_path / "feed", tmp_path / "state"
    assert cli("ingest_database.py", db, f"file://{feed}", state, "--full", "--no-progress").returncode == 0
    # a restored copy: same tables, a row changed long ago (its timestamp is below every watermark)
    copy = pg_server.create_database("trust_copy")
    try:
        execute(copy, SCHEMA + "UPDATE items SET name = 'restored' WHERE id = 7;")
        result = cli("sync_database.py", copy, f"file://{feed}", state, "--once")
        assert result.returncode == 0, result.stderr
        assert "kept for another database: starting it over" in result.stderr
        verified = json.loads(cli("sync_database.py", copy, f"file://{feed}", state, "--verify",
                                  "--format", "json").stdout)
        # every row of the copy as it is now (the other database's `schema:` document stays, extra)
        assert all(t["missing"] == t["stale"] == t["extra"] == 0 for t in verified["tables"].values())
    finally:
        pg_server.drop_database("trust_copy")


# -- F2: a put rejected during --full over an existing document --------------------------------

@pytest.fixture
def loaded(db, vespa, tmp_path):
    options = IngestOptions(database_url=db, vespa_url=vespa.url, state_dir=str(tmp_path), retry_budget_s=0.5)
    assert run_full(options).exit_code == 0
    return options


def test_a_put_rejected_by_full_is_fed_by_the_next_cycle(loaded, db, vespa):
    execute(db, "UPDATE items SET name = 'CHANGED' WHERE id = 7")
    vespa.reject_ids(lambda i: i == "items:7", 500, methods=["POST"])
    assert run_full(loaded).exit_code == 3
    vespa.clear_faults()
    assert vespa.documents("procore_record")[PREFIX + "items:7"]["metadata"]["name"] == "item 7"  # the old one
    cycle = run_cycle(SyncOptions(**loaded.shared()))
    assert cycle.exit_code == 0 and cycle.pending == {}
    assert vespa.documents("procore_record")[PREFIX + "items:7"]["metadata"]["name"] == "CHANGED"
    assert run_verify(VerifyOptions(**loaded.shared())).exit_code == 0


def test_resume_of_a_full_load_with_failures_feeds_them(loaded, db, vespa):
    execute(db, "UPDATE items SET name = 'CHANGED' WHERE id = 7")
    vespa.reject_ids(lambda i: i == "items:7", 500, methods=["POST"])
    first = run_full(loaded)
    assert first.exit_code == 3 and first.tables["items"].failed == 1
    vespa.clear_faults()
    again = resume(first.job_id, IngestOptions(**loaded.shared()))
    assert again.exit_code == 0 and again.status == "completed" and again.failed == 0
    assert vespa.documents("procore_record")[PREFIX + "items:7"]["metadata"]["name"] == "CHANGED"
    assert run_cycle(SyncOptions(**loaded.shared())).exit_code == 0


# -- F3: a pending remove is never sent blind ---------------------------------------------------

def test_a_pending_remove_of_a_restored_row_keeps_its_document(loaded, db, vespa):
    options = SyncOptions(**loaded.shared())
    assert run_cycle(options).exit_code == 0
    execute(db, "CREATE TABLE items_copy AS SELECT * FROM items WHERE id = 5; DELETE FROM items WHERE id = 5;")
    vespa.set_outage(500, methods=["DELETE"], path_prefix=ITEMS)
    failed = run_cycle(options)
    assert failed.exit_code == 3 and failed.pending == {"items": 1}
    execute(db, "INSERT INTO items SELECT * FROM items_copy; DROP TABLE items_copy;")  # restored, old timestamps
    vespa.clear_outage()
    healed = run_cycle(options)
    assert healed.exit_code == 0 and healed.pending == {}
    assert PREFIX + "items:5" in vespa.documents("procore_record")
    assert run_verify(VerifyOptions(**loaded.shared())).exit_code == 0


# -- F4: dropped tables without the old state ---------------------------------------------------

def test_verify_repair_with_a_new_state_removes_a_dropped_tables_documents(db, tmp_path):
    feed = tmp_path / "feed"
    assert cli("ingest_database.py", db, f"file://{feed}", tmp_path / "a", "--full", "--no-progress").returncode == 0
    execute(db, "DROP TABLE b")
    fresh = tmp_path / "b"
    assert cli("sync_database.py", db, f"file://{feed}", fresh, "--once").returncode == 0
    assert live_ids(feed, "b")  # sync with a fresh state does not know b
    first = cli("sync_database.py", db, f"file://{feed}", fresh, "--verify")
    assert first.returncode == 3, first.stdout
    repaired = cli("sync_database.py", db, f"file://{feed}", fresh, "--verify", "--repair")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert not live_ids(feed, "b") and "table:b" not in schema_ids(feed)
    assert cli("sync_database.py", db, f"file://{feed}", fresh, "--verify").returncode == 0


def test_full_with_a_new_state_removes_a_dropped_tables_documents(db, tmp_path):
    feed = tmp_path / "feed"
    assert cli("ingest_database.py", db, f"file://{feed}", tmp_path / "a", "--full", "--no-progress").returncode == 0
    execute(db, "DROP TABLE b")
    limited = cli("ingest_database.py", db, f"file://{feed}", tmp_path / "b", "--full", "--no-progress",
                  "--tables", "items")
    assert limited.returncode == 0 and live_ids(feed, "b")  # a --tables run leaves other tables alone
    full = cli("ingest_database.py", db, f"file://{feed}", tmp_path / "b", "--full", "--no-progress")
    assert full.returncode == 0, full.stdout + full.stderr
    assert not live_ids(feed, "b") and "table:b" not in schema_ids(feed)
    assert "table:items" in schema_ids(feed)
    assert cli("sync_database.py", db, f"file://{feed}", tmp_path / "b", "--verify").returncode == 0


def test_verify_repair_finds_a_dropped_table_in_vespa_with_a_new_state(loaded, db, vespa, tmp_path):
    execute(db, "DROP TABLE b")
    fresh = VerifyOptions(**{**loaded.shared(), "state_dir": str(tmp_path / "fresh")}, repair=True)
    report = run_verify(fresh)
    assert report.before is not None and report.before.tables["b"].dropped and report.before.tables["b"].extra == 5
    assert report.exit_code == 0
    assert not [i for i in vespa.documents("procore_record") if i.startswith(PREFIX + "b:")]
    assert "id:procore_schema_metadata:procore_schema_metadata::table:b" not in vespa.documents("procore_schema_metadata")


# -- F8: schema documents counted ---------------------------------------------------------------

def test_rejected_schema_documents_fail_full_and_are_fed_by_sync(loaded, db, vespa):
    options = SyncOptions(**loaded.shared())
    assert run_cycle(options).exit_code == 0  # sync recorded the schema documents' fingerprint
    vespa.clear()  # the index is lost, then rebuilt with --full while the schema documents are refused
    vespa.reject_ids(lambda i: i.startswith(("table:", "schema:")), 503, methods=["POST"])
    rebuilt = run_full(loaded)
    assert rebuilt.exit_code == 3 and rebuilt.schema_failed == 3 and rebuilt.failed == 0
    assert StateStore(loaded.state_dir).load_checkpoints().schema.pending
    vespa.clear_faults()
    cycle = run_cycle(options)
    assert cycle.exit_code == 0
    held = set(vespa.documents("procore_schema_metadata"))
    assert {"id:procore_schema_metadata:procore_schema_metadata::table:items",
            "id:procore_schema_metadata:procore_schema_metadata::table:b"} <= held
    assert run_verify(VerifyOptions(**loaded.shared())).exit_code == 0
