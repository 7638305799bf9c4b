"""Sync from a read replica: a real streaming hot standby of the test server (tests/standby.py).

A standby never counts the writes it replays, so PostgreSQL's write counters there say "nothing
written" forever: the cycle must not take that shortcut. Nor after pg_stat_reset() on a
primary, when the counters start over and can match the last cycle's by chance.
"""

import logging
import time

import psycopg2
import pytest

from procore_ingest import discover
from procore_ingest.pipeline.ingest import IngestOptions, run_full
from procore_ingest.pipeline.sync import SyncOptions, run_cycle
from tests.helpers import assert_documents_match_rows, execute, query, run_script

SCHEMA = """
CREATE TABLE photos (id bigint PRIMARY KEY, description text, updated_at timestamp(3) NOT NULL,
                     last_synced_at timestamp(3) NOT NULL DEFAULT now());
CREATE TABLE sync_events (id text PRIMARY KEY, status text, payload jsonb);
INSERT INTO photos SELECT g, 'photo ' || g, '2026-01-01'::timestamp + g * interval '1 minute',
                          '2026-01-02'::timestamp + g * interval '1 minute' FROM generate_series(1, 60) g;
INSERT INTO sync_events SELECT 'evt-' || g, 'ok', jsonb_build_object('n', g) FROM generate_series(1, 300) g;
"""
TABLES = ["photos", "sync_events"]
# Deletes only (no other write to photos, its change columns' maxima stay put) and updates of
# a table without change columns: what only a look at the rows themselves can find.
CHANGES = """
DELETE FROM photos WHERE id IN (3, 17, 29, 41);
UPDATE sync_events SET status = 'failed' WHERE id IN ('evt-7', 'evt-150');
"""
NOT_TRUSTED = "PostgreSQL's write counters are not trusted this cycle"


def docs_of(server, table):
    prefix = f"id:procore_record:procore_record::{table}:"
    return [
        {"fields": f} for i, f in server.documents("procore_record").items() if i.startswith(prefix)
    ]


def assert_index_equals_database(url, server):
    schema = discover(url)
    for name in TABLES:
        assert_documents_match_rows(url, schema.table(name), docs_of(server, name))


@pytest.fixture
def replica_env(pg_url, standby, vespa, tmp_path):
    """The sample tables written on the primary and replayed; the tool pointed at the standby."""
    execute(pg_url, SCHEMA)
    standby.wait_for_replay()
    replica_url = standby.database_url(pg_url)
    assert query(replica_url, "SELECT pg_is_in_recovery()") == [(True,)]
    return {
        "PROCORE_DATABASE_URL": replica_url,
        "VESPA_LOCAL_URL": vespa.url,
        "PROCORE_STATE_DIR": str(tmp_path / "state"),
    }


def test_changes_written_on_the_primary_are_synced_from_the_standby(
    replica_env, pg_url, standby, vespa
):
    replica_url = replica_env["PROCORE_DATABASE_URL"]
    ingest = run_script("ingest_database.py", "--full", env=replica_env)
    assert ingest.returncode == 0, ingest.stderr
    assert_index_equals_database(replica_url, vespa)
    first = run_script(
        "sync_database.py", "--once", env=replica_env
    )  # the cycle the next one compares with
    assert first.returncode == 0, first.stderr

    execute(pg_url, CHANGES)
    standby.wait_for_replay()
    # what the standby's counters say about those writes: nothing (it does not count replayed writes)
    assert query(replica_url, "SELECT sum(n_tup_upd + n_tup_del) FROM pg_stat_user_tables") == [
        (0,)
    ]
    cycle = run_script("sync_database.py", "--once", env=replica_env)
    assert cycle.returncode == 0, cycle.stderr

    ids = set(vespa.documents("procore_record"))
    assert not any(f"::photos:{i}" in ids for i in (3, 17, 29, 41))
    event = vespa.documents("procore_record")[
        "id:procore_record:procore_record::sync_events:evt-150"
    ]
    assert event["metadata"]["status"] == "failed"
    assert_index_equals_database(replica_url, vespa)
    assert_index_equals_database(pg_url, vespa)


def sessions_ended(url, timeout=30):
    """Wait until no other session is connected to the database: a session publishes its
    statistics as it exits, so the counters read next include everything it did."""
    deadline = time.monotonic() + timeout
    while query(
        url,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid()",
    ) != [(0,)]:
        assert time.monotonic() < deadline, "sessions still open"
        time.sleep(0.05)


def rows_read(url):
    """table -> rows read by scans so far, as this server (primary or standby) counts its reads."""
    sessions_ended(url)
    return dict(
        query(
            url,
            "SELECT relname, seq_tup_read + coalesce(idx_tup_fetch, 0) FROM pg_stat_user_tables",
        )
    )


def test_a_cycle_on_the_standby_reads_the_tables_the_counters_would_skip(
    pg_url, standby, vespa, tmp_path, caplog
):
    # The same database synced twice, once from the primary and once from the standby, each with
    # its own state; then a cycle with nothing written. The primary trusts its counters and
    # skips the tables' rows; the standby's counters say the same, and are not trusted.
    execute(
        pg_url,
        SCHEMA + "ALTER TABLE photos SET (autovacuum_enabled = off);"
        "ALTER TABLE sync_events SET (autovacuum_enabled = off);",
    )  # analyze moves n_live_tup
    standby.wait_for_replay()
    read = {}
    for server, url in (("primary", pg_url), ("standby", standby.database_url(pg_url))):
        options = SyncOptions(
            database_url=url, vespa_url=vespa.url, state_dir=str(tmp_path / server)
        )
        assert (
            run_full(
                IngestOptions(database_url=url, vespa_url=vespa.url, state_dir=options.state_dir)
            ).exit_code
            == 0
        )
        sessions_ended(url)
        run_cycle(options)
        before = rows_read(url)
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="procore_ingest"):
            assert run_cycle(options).changes == 0
        after = rows_read(url)
        read[server] = {name: after[name] - before[name] for name in TABLES}
        distrusted = [m for m in caplog.messages if NOT_TRUSTED in m]
        if server == "primary":
            assert distrusted == []
        else:
            assert len(distrusted) == 1 and "hot standby" in distrusted[0], caplog.messages
    for name, rows in {"photos": 60, "sync_events": 300}.items():
        # at least one more pass over the table's rows than the cycle that trusted the counters
        assert read["standby"][name] >= read["primary"][name] + rows, (name, read)


@pytest.fixture
def synced_primary(pg_url, vespa, tmp_path):
    execute(pg_url, SCHEMA)
    options = SyncOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=str(tmp_path))
    assert (
        run_full(
            IngestOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=str(tmp_path))
        ).exit_code
        == 0
    )
    run_cycle(options)
    return options


def reset_statistics_after(url, statements):
    """Run `statements`, publish their write counters, then pg_stat_reset(): counters start over."""
    conn = psycopg2.connect(url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            if statements:
                cur.execute(statements)
            cur.execute("SELECT pg_stat_force_next_flush()")  # published when this statement ends
            cur.execute("SELECT 1")
            cur.execute("SELECT pg_stat_reset()")
    finally:
        conn.close()


def test_after_a_statistics_reset_the_next_cycle_does_not_skip(synced_primary, pg_url, vespa):
    # A cycle right after a reset sees counters at zero; a write and another reset before the
    # next cycle leave them at zero again: equal to the last cycle's, though rows changed.
    reset_statistics_after(pg_url, "")
    baseline = run_cycle(synced_primary)
    assert baseline.changes == 0
    reset_statistics_after(pg_url, CHANGES)
    assert query(
        pg_url, "SELECT sum(n_tup_ins + n_tup_upd + n_tup_del) FROM pg_stat_user_tables"
    ) == [(0,)]

    result = run_cycle(synced_primary)
    assert result.tables["photos"].removed == 4
    assert result.tables["sync_events"].updated >= 2  # the rows of the buckets whose digest moved
    event = vespa.documents("procore_record")["id:procore_record:procore_record::sync_events:evt-7"]
    assert event["metadata"]["status"] == "failed"
    assert_index_equals_database(pg_url, vespa)
