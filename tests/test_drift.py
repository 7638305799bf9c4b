"""The ways the index could drift from the database while later cycles report success
(issue 10, shared review of 2026-12-02): each scenario against real PostgreSQL and the Vespa
protocol server with faults, asserting the index afterwards, not only exit codes."""

from __future__ import annotations

import json

import pytest

from procore_ingest.pipeline.ingest import IngestOptions, run_full
from procore_ingest.pipeline.status import read_status
from procore_ingest.pipeline.sync import SyncOptions, run_cycle
from procore_ingest.source.changes import CHECK_SLICES
from procore_ingest.state import StateStore
from tests.helpers import execute, run_script
from tests.test_sync import SCHEMA, assert_index_equals_database, docs_of

P = 562949953421312
PHOTOS = "/document/v1/procore_record/procore_record/docid/photos"


@pytest.fixture
def synced(pg_url, vespa, tmp_path):
    execute(pg_url, SCHEMA)
    assert run_full(IngestOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=str(tmp_path))).exit_code == 0
    options = SyncOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=str(tmp_path), batch_size=10,
                          retry_budget_s=0.5)
    assert run_cycle(options).exit_code == 0
    return options


def ids(server, table):
    prefix = f"id:procore_record:procore_record::{table}:"
    return {i[len(prefix):] for i in server.documents("procore_record") if i.startswith(prefix)}


def test_a_failed_remove_stays_pending_until_it_lands(synced, pg_url, vespa):
    execute(pg_url, f"DELETE FROM photos WHERE id = {P + 5}")
    vespa.set_outage(503, methods=["DELETE"], path_prefix=PHOTOS)  # a redeploy, longer than the budget
    first = run_cycle(synced)
    assert first.exit_code == 3 and first.pending == {"photos": 1}
    assert str(P + 5) in ids(vespa, "photos")
    assert read_status(synced.state_dir).pending == {"photos": 1}
    still = run_cycle(synced)  # still down: still pending, still not success
    assert still.exit_code == 3 and still.pending == {"photos": 1}
    vespa.clear_outage()
    healed = run_cycle(synced)
    assert healed.exit_code == 0 and healed.pending == {} and healed.tables["photos"].removed == 1
    assert str(P + 5) not in ids(vespa, "photos")
    assert_index_equals_database(pg_url, vespa, ["photos"])
    assert run_cycle(synced).exit_code == 0


def test_a_soft_delete_whose_remove_failed_is_removed_later(synced, pg_url, vespa):
    execute(pg_url, f"UPDATE prime_contracts SET deleted_at = now(), last_synced_at = now() WHERE id = {P + 3}")
    vespa.set_outage(500, methods=["DELETE"], path_prefix="/document/v1/procore_record/procore_record/docid/prime")
    assert run_cycle(synced).exit_code == 3
    vespa.clear_outage()
    assert run_cycle(synced).exit_code == 0
    assert str(P + 3) not in ids(vespa, "prime_contracts")


def test_a_rejected_put_of_a_keyless_table_is_fed_again(pg_url, vespa, tmp_path):
    execute(pg_url, "CREATE TABLE notes (body text, updated_at timestamp(3) NOT NULL DEFAULT now());"
                    "INSERT INTO notes (body) VALUES ('one'), ('two');")
    options = SyncOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=str(tmp_path), retry_budget_s=0.5)
    assert run_cycle(options).exit_code == 0
    execute(pg_url, "INSERT INTO notes (body) VALUES ('three')")
    vespa.set_outage(503, methods=["POST"], path_prefix="/document/v1/procore_record/procore_record/docid/notes")
    assert run_cycle(options).exit_code == 3
    vespa.clear_outage()
    assert run_cycle(options).exit_code == 0
    bodies = sorted(d["fields"]["metadata"]["body"] for d in docs_of(vespa, "notes"))
    assert bodies == ["one", "three", "two"]


def test_a_dropped_table_whose_removal_failed_is_removed_later(synced, pg_url, vespa):
    execute(pg_url, "DROP TABLE sync_events")
    vespa.set_outage(503, methods=["DELETE"], path_prefix="/document/v1/procore_record/procore_record/docid/sync_events")
    first = run_cycle(synced)
    assert first.exit_code == 3 and first.pending.get("sync_events") == 300
    vespa.clear_outage()
    second = run_cycle(synced)
    assert second.exit_code == 0 and not ids(vespa, "sync_events")
    assert "sync_events" not in StateStore(synced.state_dir).load_checkpoints().dropped


def test_full_is_a_full_refresh(synced, pg_url, vespa, tmp_path):
    execute(pg_url, f"DELETE FROM photos WHERE id IN ({P + 1}, {P + 2});"
                    f"UPDATE prime_contracts SET deleted_at = now() WHERE id = {P + 4};")
    result = run_full(IngestOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=synced.state_dir))
    assert result.exit_code == 0 and result.tables["photos"].removed == 2
    assert {str(P + 1), str(P + 2)}.isdisjoint(ids(vespa, "photos"))
    assert str(P + 4) not in ids(vespa, "prime_contracts")
    assert_index_equals_database(pg_url, vespa, ["photos", "sync_events"])
    after = run_cycle(synced)  # the state --full leaves agrees with the index
    assert after.exit_code == 0 and after.changes == 0


def test_a_future_timestamp_does_not_blind_the_column(synced, pg_url, vespa):
    # a writer whose clock is two hours ahead (naive timestamps hold UTC), and one writing 'infinity'
    execute(pg_url, f"""UPDATE photos SET description = 'from the future',
                               last_synced_at = (now() AT TIME ZONE 'UTC') + interval '2 hours' WHERE id = {P + 1};
                        UPDATE prime_contracts SET title = 'forever', last_synced_at = 'infinity' WHERE id = {P + 1};""")
    first = run_cycle(synced)
    assert first.tables["photos"].updated == 1 and first.tables["prime_contracts"].updated == 1
    # the mirror now rewrites other rows at the real time: both columns still see them
    execute(pg_url, f"""UPDATE photos SET description = 'rewritten now', last_synced_at = now() AT TIME ZONE 'UTC'
                        WHERE id = {P + 2};
                        UPDATE prime_contracts SET title = 'renamed', last_synced_at = now() AT TIME ZONE 'UTC'
                        WHERE id = {P + 2};""")
    second = run_cycle(synced)
    assert second.tables["photos"].updated == 1, second.tables["photos"]  # the future row is not fed again
    assert second.tables["prime_contracts"].updated == 1
    assert_index_equals_database(pg_url, vespa, ["photos"])
    watermarks = StateStore(synced.state_dir).load_checkpoints().tables["prime_contracts"].sync.watermarks
    assert "infinity" not in json.dumps(watermarks)


def test_the_content_check_heals_a_change_no_timestamp_shows(synced, pg_url, vespa):
    # a hand edit that moved neither updated_at nor last_synced_at, and a row whose clock went back
    execute(pg_url, f"""UPDATE photos SET description = 'edited by hand' WHERE id = {P + 7};
                        UPDATE photos SET description = 'moved back', last_synced_at = '2001-01-01' WHERE id = {P + 9};""")
    for _ in range(CHECK_SLICES + 1):  # every slice was compared once before the edit (the first pass records)
        run_cycle(synced)
    docs = {d["fields"]["source_id"]: d["fields"]["metadata"]["description"] for d in docs_of(vespa, "photos")}
    assert docs[str(P + 7)] == "edited by hand" and docs[str(P + 9)] == "moved back"
    assert_index_equals_database(pg_url, vespa, ["photos"])


def test_new_relationships_refeed_the_table(synced, pg_url, vespa):
    execute(pg_url, "CREATE TABLE projects (id bigint PRIMARY KEY, name text);"
                    "INSERT INTO projects VALUES (1, 'Hines VA');"
                    "ALTER TABLE photos ADD CONSTRAINT photos_project FOREIGN KEY (project_id) REFERENCES projects (id);")
    result = run_cycle(synced)
    assert result.tables["photos"].mode == "full" and "relationships" in result.tables["photos"].reason
    doc = vespa.documents("procore_record")[f"id:procore_record:procore_record::photos:{P + 1}"]
    assert any(json.loads(r)["target_table"] == "projects" for r in doc["relationships"])


def test_discovery_gives_the_same_answer_twice(demo_nofk_url):
    from procore_ingest import discover

    def shape(schema):
        return (sorted((r.source_table, r.source_column, r.target_table, r.kind) for r in schema.relationships),
                sorted((t.name, f.column_name, str(f.reference_type)) for t in schema.tables
                       for f in t.file_reference_columns))

    assert shape(discover(demo_nofk_url)) == shape(discover(demo_nofk_url))


def test_counters_are_not_trusted_after_a_statistics_reset(synced, pg_url, vespa):
    run_cycle(synced)  # counters trusted from here on
    execute(pg_url, "DELETE FROM sync_events WHERE id = 'evt-9'; SELECT pg_stat_reset();")
    result = run_cycle(synced)
    assert result.tables["sync_events"].removed == 1
    assert "evt-9" not in ids(vespa, "sync_events")


def test_once_exits_3_while_anything_is_pending_and_status_shows_it(synced, pg_url, vespa):
    execute(pg_url, f"DELETE FROM photos WHERE id = {P + 11}")
    vespa.set_outage(503, methods=["DELETE"], path_prefix=PHOTOS)
    env = {"PROCORE_DATABASE_URL": pg_url, "VESPA_LOCAL_URL": vespa.url, "PROCORE_STATE_DIR": synced.state_dir}
    args = ("--retry-budget", "0.5", "--pid-file", f"{synced.state_dir}/sync.pid")
    once = run_script("sync_database.py", "--once", *args, env=env)
    assert once.returncode == 3, once.stderr
    assert "photos 1" in once.stderr  # how many per table
    status = run_script("sync_database.py", "--status", "--pid-file", f"{synced.state_dir}/sync.pid", env=env)
    assert status.returncode == 0 and "Operations pending: 1 (photos 1)" in status.stdout, status.stdout
    vespa.clear_outage()
    again = run_script("sync_database.py", "--once", *args, env=env)
    assert again.returncode == 0, again.stderr
    assert str(P + 11) not in ids(vespa, "photos")
