"""Incremental sync: scripted changes, one cycle, then the index compared with the database."""

import threading

import psycopg2
import pytest

from procore_ingest import discover
from procore_ingest.cli.output import status_report
from procore_ingest.pipeline.ingest import IngestOptions, run_full
from procore_ingest.pipeline.status import read_status
from procore_ingest.pipeline.sync import SyncOptions, run_cycle
from tests.helpers import assert_documents_match_rows, execute, query

SCHEMA = """
CREATE TABLE photos (id bigint PRIMARY KEY, project_id bigint, description text,
                     updated_at timestamp(3) NOT NULL, last_synced_at timestamp(3) NOT NULL DEFAULT now());
CREATE INDEX photos_last_synced_at_idx ON photos (last_synced_at);
CREATE TABLE sync_events (id text PRIMARY KEY, status text, payload jsonb);
CREATE TABLE prime_contracts (id bigint PRIMARY KEY, title text, deleted_at timestamp(3),
                              updated_at timestamp(3) NOT NULL, last_synced_at timestamp(3) NOT NULL DEFAULT now());
INSERT INTO photos SELECT 562949953421312 + g, 1, 'photo ' || g, '2026-01-01'::timestamp + g * interval '1 minute',
                          '2026-01-02'::timestamp + g * interval '1 minute' FROM generate_series(1, 60) g;
INSERT INTO sync_events SELECT 'evt-' || g, 'ok', jsonb_build_object('n', g) FROM generate_series(1, 300) g;
INSERT INTO prime_contracts SELECT 562949953421312 + g, 'contract ' || g, NULL, '2026-01-01', '2026-01-02'
  FROM generate_series(1, 10) g;
"""


def docs_of(server, table):
    prefix = f"id:procore_record:procore_record::{table}:"
    return [{"fields": f} for i, f in server.documents("procore_record").items() if i.startswith(prefix)]


def assert_index_equals_database(url, server, tables, live_filter=None):
    schema = discover(url)
    for name in tables:
        table = schema.table(name)
        docs = docs_of(server, name)
        if live_filter and name in live_filter:
            live = query(url, f"SELECT count(*) FROM {name} WHERE {live_filter[name]}")[0][0]
            assert len(docs) == live, name
            continue
        assert_documents_match_rows(url, table, docs)


@pytest.fixture
def synced(pg_url, vespa, tmp_path):
    """A small Procore-like database, fully ingested into the Vespa protocol server."""
    execute(pg_url, SCHEMA)
    result = run_full(IngestOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=str(tmp_path)))
    assert result.exit_code == 0
    options = SyncOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=str(tmp_path), batch_size=10)
    first = run_cycle(options)
    assert first.changes == 0, {n: t for n, t in first.tables.items() if t.changes}
    return options


def test_inserts_updates_and_deletes_in_one_cycle(synced, pg_url, vespa):
    execute(pg_url, """
        INSERT INTO photos (id, project_id, description, updated_at) VALUES (562949953421999, 2, 'new', now());
        UPDATE photos SET description = 'edited by procore', updated_at = now() WHERE id = 562949953421313;
        -- the mirror rewrote the row: only last_synced_at moves, updated_at stays old
        UPDATE photos SET description = 'rewritten', last_synced_at = now() WHERE id = 562949953421314;
        DELETE FROM photos WHERE id = 562949953421315;
    """)
    result = run_cycle(synced)
    photos = result.tables["photos"]
    assert (photos.inserted, photos.updated, photos.removed) == (1, 2, 1)
    assert_index_equals_database(pg_url, vespa, ["photos", "sync_events", "prime_contracts"])


def test_table_without_timestamps_changes_found_by_digests(synced, pg_url, vespa):
    execute(pg_url, """UPDATE sync_events SET status = 'failed' WHERE id = 'evt-7';
                       DELETE FROM sync_events WHERE id = 'evt-8';
                       INSERT INTO sync_events VALUES ('evt-new', 'ok', '{}');""")
    vespa.clear_requests()
    result = run_cycle(synced)
    events = result.tables["sync_events"]
    assert events.mode == "digest" and events.removed == 1 and events.inserted == 1
    assert 1 <= events.updated < 100  # only the buckets that moved, not the whole table
    assert_index_equals_database(pg_url, vespa, ["sync_events"])
    assert docs_of(vespa, "sync_events")
    assert vespa.documents("procore_record")["id:procore_record:procore_record::sync_events:evt-7"]["metadata"]["status"] == "failed"


def test_no_change_cycle_feeds_nothing(synced, vespa):
    vespa.clear_requests()
    result = run_cycle(synced)
    assert result.changes == 0
    assert not [r for r in vespa.requests if r.method in ("POST", "PUT", "DELETE")]


def test_rows_sharing_a_timestamp_across_batch_boundaries(synced, pg_url, vespa):
    execute(pg_url, """UPDATE photos SET description = 'batch upsert', last_synced_at = '2026-06-01 00:00:00'
                       WHERE id <= 562949953421312 + 35""")
    result = run_cycle(synced)  # batch size 10: the 35 rows span four batches
    assert result.tables["photos"].updated == 35
    assert_index_equals_database(pg_url, vespa, ["photos"])


def test_late_committing_transaction_is_picked_up_next_cycle(synced, pg_url, vespa):
    late = psycopg2.connect(pg_url)
    with late.cursor() as cur:  # starts now: its last_synced_at default is this moment
        cur.execute("INSERT INTO photos (id, project_id, description, updated_at) "
                    "VALUES (562949953429001, 1, 'late', '2026-01-01')")
    execute(pg_url, "INSERT INTO photos (id, project_id, description, updated_at) "
                    "VALUES (562949953429002, 1, 'early', now())")
    first = run_cycle(synced)  # sees 'early' (committed, later timestamp), not 'late'
    assert first.tables["photos"].inserted == 1
    late.commit()
    late.close()
    second = run_cycle(synced)
    assert second.tables["photos"].inserted == 1
    ids = set(vespa.documents("procore_record"))
    assert "id:procore_record:procore_record::photos:562949953429001" in ids
    assert_index_equals_database(pg_url, vespa, ["photos"])


def test_soft_deleted_rows_leave_the_index_unless_kept(synced, pg_url, vespa, tmp_path):
    execute(pg_url, "UPDATE prime_contracts SET deleted_at = now(), last_synced_at = now() WHERE id = 562949953421313")
    result = run_cycle(synced)
    assert result.tables["prime_contracts"].removed == 1
    assert "id:procore_record:procore_record::prime_contracts:562949953421313" not in vespa.documents("procore_record")
    assert_index_equals_database(pg_url, vespa, ["prime_contracts"], {"prime_contracts": "deleted_at IS NULL"})
    keep = SyncOptions(**{**synced.__dict__, "keep_soft_deleted": True})
    run_cycle(keep)  # a different plan: the table is loaded again, soft-deleted rows included
    doc = vespa.documents("procore_record")["id:procore_record:procore_record::prime_contracts:562949953421313"]
    assert "deleted_at" in doc["metadata"]


def test_schema_drift_new_table_new_column_dropped_table(synced, pg_url, vespa):
    execute(pg_url, """CREATE TABLE rfis (id bigint PRIMARY KEY, subject text, updated_at timestamp(3));
                       INSERT INTO rfis VALUES (1, 'Door hardware?', now()), (2, 'Roof drain', now());
                       ALTER TABLE photos ADD COLUMN location text DEFAULT 'Chicago, IL';""")
    result = run_cycle(synced)
    assert result.tables["rfis"].mode == "full" and result.tables["rfis"].inserted == 2
    assert result.tables["photos"].mode == "full" and result.tables["photos"].reason == "columns changed"
    assert all(d["fields"]["metadata"]["location"] == "Chicago, IL" for d in docs_of(vespa, "photos"))
    assert_index_equals_database(pg_url, vespa, ["rfis", "photos"])
    metadata = vespa.documents("procore_schema_metadata")
    assert "id:procore_schema_metadata:procore_schema_metadata::table:rfis" in metadata
    execute(pg_url, "DROP TABLE rfis")
    dropped = run_cycle(synced)
    assert dropped.dropped_tables == ["rfis"]
    assert not docs_of(vespa, "rfis")
    assert "id:procore_schema_metadata:procore_schema_metadata::table:rfis" not in vespa.documents("procore_schema_metadata")


def test_failed_rows_are_retried_next_cycle(synced, pg_url, vespa):
    execute(pg_url, "UPDATE photos SET description = 'x', last_synced_at = now() WHERE id = 562949953421320")
    vespa.reject_ids(lambda i: i == "photos:562949953421320", status=400, message="rejected for the test")
    result = run_cycle(synced)
    assert result.failed == 1 and result.exit_code == 3
    vespa.clear_faults()
    retried = run_cycle(synced)
    assert retried.tables["photos"].updated == 1 and retried.failed == 0
    assert vespa.documents("procore_record")["id:procore_record:procore_record::photos:562949953421320"]["metadata"]["description"] == "x"


def test_vespa_unavailable_for_a_while_mid_cycle(synced, pg_url, vespa):
    execute(pg_url, "UPDATE photos SET description = 'during outage', last_synced_at = now()")
    vespa.set_outage(503, for_requests=25, methods=["POST"])
    result = run_cycle(synced)
    assert result.failed == 0 and result.tables["photos"].updated == 60
    assert_index_equals_database(pg_url, vespa, ["photos"])


def test_status_report_before_and_after(synced, tmp_path):
    empty = status_report(read_status(str(tmp_path / "nothing-here")))
    assert "Last sync: never" in empty and "never synced" in empty
    report = status_report(read_status(synced.state_dir))
    assert "Sync Status Report" in report and "Tables monitored: 3" in report
    assert "photos" in report and "(60 records, 0 changes)" in report
    assert "Sync errors: 0" in report and "Daemon: not running" in report


def test_cancel_stops_between_tables(synced):
    cancel = threading.Event()
    cancel.set()
    result = run_cycle(synced, cancel)
    assert result.tables == {}


def test_pagila_scripted_changes(pagila_url, vespa, tmp_path):
    tables = ["actor", "film_actor", "language", "category"]
    opts = SyncOptions(database_url=pagila_url, vespa_url=vespa.url, state_dir=str(tmp_path), tables=tables)
    first = run_cycle(opts)  # nothing ingested before: every table loads in full
    assert all(t.mode == "full" for t in first.tables.values())
    execute(pagila_url, """
        UPDATE actor SET first_name = 'PENNY' WHERE actor_id = 1;          -- trigger bumps last_update
        INSERT INTO actor (first_name, last_name) VALUES ('NEW', 'ACTOR');
        DELETE FROM film_actor WHERE actor_id = 2 AND film_id = 3;
        UPDATE category SET name = 'Sci-Fi & Fantasy' WHERE category_id = 14;
    """)
    result = run_cycle(opts)
    assert (result.tables["actor"].inserted, result.tables["actor"].updated) == (1, 1)
    assert result.tables["film_actor"].removed == 1
    assert result.tables["category"].updated == 1
    assert_index_equals_database(pagila_url, vespa, tables)


def test_write_from_a_session_that_stays_open_is_seen_once_published(synced, pg_url, vespa):
    # The mirror keeps its connections open: PostgreSQL publishes that session's write
    # counters when it idles (~10 s). A table without timestamps is skipped until then, and
    # the change is picked up by a later cycle, never lost.
    writer = psycopg2.connect(pg_url)
    writer.autocommit = True
    try:
        with writer.cursor() as cur:
            cur.execute("UPDATE sync_events SET status = 'late-published' WHERE id = 'evt-9'")
        import time
        deadline = time.monotonic() + 30
        seen = False
        while not seen and time.monotonic() < deadline:
            seen = run_cycle(synced).tables["sync_events"].updated > 0
            time.sleep(0.5)
        assert seen
        doc = vespa.documents("procore_record")["id:procore_record:procore_record::sync_events:evt-9"]
        assert doc["metadata"]["status"] == "late-published"
    finally:
        writer.close()
