"""Worker processes read and build documents (procore_ingest.source.parallel): the same documents and
checkpoints as one process, on one snapshot, and a fallback when workers cannot connect."""

import json
import logging
import pickle
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg2
import pytest

from procore_ingest import discover
from procore_ingest.pipeline import build as parallel
from procore_ingest.pipeline.build import RangeReadError
from procore_ingest.pipeline.ingest import IngestOptions, run_full
from procore_ingest.plan import build_plans
from procore_ingest.source.reader import KeyRange
from tests.helpers import assert_documents_match_rows, execute, query
from tests.pgharness import dbname, with_database


@contextmanager
def captured_log() -> Iterator[list[str]]:
    """Messages of the package's logger (its handlers may not propagate to pytest's)."""
    messages: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    log = logging.getLogger("procore_ingest")
    handler, level = Keep(logging.DEBUG), log.level
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    try:
        yield messages
    finally:
        log.removeHandler(handler)
        log.setLevel(level)


def feed_lines(directory: Path) -> dict[str, list[dict]]:
    """Each feed file's operations, in order, without the time they were built."""
    out = {}
    for path in sorted(directory.glob("*.jsonl")):
        ops = [json.loads(line) for line in path.read_text().splitlines()]
        for op in ops:
            op.get("fields", {}).pop("ingested_at", None)
            op.get("fields", {}).pop("discovery_timestamp", None)
        out[path.name] = ops
    return out


def ingest(url: str, out: Path, processes: int, batch_size: int, **kwargs):
    return run_full(IngestOptions(database_url=url, vespa_url=f"file://{out}", state_dir=str(out / "state"),
                                  batch_size=batch_size, processes=processes, **kwargs))


def test_worker_processes_build_exactly_what_one_process_builds(pagila_url, tmp_path):
    one = ingest(pagila_url, tmp_path / "one", processes=1, batch_size=2500)
    with captured_log() as log:
        three = ingest(pagila_url, tmp_path / "three", processes=3, batch_size=2500)
    assert "reading and building documents in 3 worker processes" in log
    assert one.exit_code == three.exit_code == 0
    # batches of 2,500 rows read as ranges of 1,000 + 1,000 + 500: the same batches, in the same
    # order, with the same checkpoints, and the same documents line for line
    assert feed_lines(tmp_path / "one") == feed_lines(tmp_path / "three")
    assert {n: (t.rows_read, t.indexed, t.last_key) for n, t in one.tables.items()} == {
        n: (t.rows_read, t.indexed, t.last_key) for n, t in three.tables.items()}
    assert three.tables["rental"].rows_read == 16044


def test_workers_that_cannot_connect_leave_the_reading_to_this_process(pagila_url, tmp_path):
    """A role allowed one connection (RDS roles often are limited): the run still completes."""
    execute(pagila_url, """
        DROP ROLE IF EXISTS one_session;
        CREATE ROLE one_session LOGIN PASSWORD 'one-pw' CONNECTION LIMIT 1;
        GRANT SELECT ON ALL TABLES IN SCHEMA public TO one_session;
    """)
    url = with_database(pagila_url, dbname(pagila_url), user="one_session", password="one-pw")
    try:
        with captured_log() as log:
            result = ingest(url, tmp_path, processes=2, batch_size=3000, tables=["rental"])
        assert result.exit_code == 0 and result.tables["rental"].indexed == 16044
        warnings = [m for m in log if "cannot connect" in m]
        assert len(warnings) == 1 and "one-pw" not in warnings[0]
        docs = feed_lines(tmp_path)["rental.jsonl"]
        assert_documents_match_rows(pagila_url, discover(pagila_url).table("rental"), docs)
    finally:
        execute(pagila_url, "DROP OWNED BY one_session; DROP ROLE one_session;")


def test_a_range_the_worker_cannot_read_reports_the_database_message(pagila_url, monkeypatch):
    (plan,) = build_plans(discover(pagila_url), ["actor"])
    monkeypatch.setitem(parallel.worker_state, "url", pagila_url)
    try:
        with pytest.raises(RangeReadError) as failed:
            parallel.build_range(pickle.dumps(plan), KeyRange(None, [10], 10), "00000003-0000001B-1")
        assert "snapshot" in str(failed.value) and failed.value.reason == "error"
    finally:
        parallel.worker_state.pop("conn").close()


def test_without_snapshot_export_tables_are_read_in_this_process(pagila_url, tmp_path):
    """Where pg_export_snapshot() fails (a hot standby; here a role denied the function), the
    run completes in one process and says why."""
    execute(pagila_url, """
        DROP ROLE IF EXISTS no_export;
        CREATE ROLE no_export LOGIN PASSWORD 'no-export-pw';
        GRANT SELECT ON ALL TABLES IN SCHEMA public TO no_export;
        REVOKE EXECUTE ON FUNCTION pg_export_snapshot() FROM PUBLIC;
    """)
    url = with_database(pagila_url, dbname(pagila_url), user="no_export", password="no-export-pw")
    try:
        with captured_log() as log:
            result = ingest(url, tmp_path, processes=2, batch_size=3000, tables=["rental", "inventory"])
        assert result.exit_code == 0 and result.tables["rental"].indexed == 16044
        assert len([m for m in log if "Cannot share a snapshot" in m]) == 1
        assert not any("worker processes" in m and "reading and building" in m for m in log)
        docs = feed_lines(tmp_path)["rental.jsonl"]
        assert_documents_match_rows(pagila_url, discover(pagila_url).table("rental"), docs)
    finally:
        execute(pagila_url, "GRANT EXECUTE ON FUNCTION pg_export_snapshot() TO PUBLIC;"
                            " DROP OWNED BY no_export; DROP ROLE no_export;")


def test_keys_that_do_not_read_back_from_text_are_read_in_one_process(pg_url, tmp_path):
    """bytea and array keys: every row arrives, and a checkpoint on such a key reads back."""
    execute(pg_url, """
        CREATE TABLE blobs (k bytea PRIMARY KEY, n int);
        INSERT INTO blobs SELECT decode(md5(g::text), 'hex'), g FROM generate_series(1, 2500) g;
        CREATE TABLE tagged (k int[] PRIMARY KEY, n int);
        INSERT INTO tagged SELECT ARRAY[g % 7, g], g FROM generate_series(1, 2500) g;
    """)
    result = ingest(pg_url, tmp_path, processes=2, batch_size=1000, tables=["blobs", "tagged"])
    assert result.exit_code == 0
    assert {n: t.indexed for n, t in result.tables.items()} == {"blobs": 2500, "tagged": 2500}
    schema = discover(pg_url)
    for table in ("blobs", "tagged"):
        assert_documents_match_rows(pg_url, schema.table(table), feed_lines(tmp_path)[f"{table}.jsonl"])
    # the checkpoint (the last key) casts back to the very key: --resume starts right after it
    (blob_last,) = result.tables["blobs"].last_key
    (tag_last,) = result.tables["tagged"].last_key
    assert query(pg_url, "SELECT k = %s::bytea FROM blobs ORDER BY k DESC LIMIT 1", (blob_last,)) == [(True,)]
    assert query(pg_url, "SELECT k = %s::int[] FROM tagged ORDER BY k DESC LIMIT 1", (tag_last,)) == [(True,)]


def test_a_migration_waiting_on_the_table_does_not_stall_the_workers(pagila_url, vespa, tmp_path):
    """An ALTER TABLE queues behind the ingest's snapshot; workers would queue behind it for
    good. The rest of the table is read by the process that holds the lock, and the ALTER
    goes through when the table is done."""
    vespa.set_delay(0.002)  # a slow Vespa: the table takes seconds, the ALTER arrives mid-way
    done: dict[str, object] = {}

    def migrate() -> None:
        deadline = time.monotonic() + 60
        while not any((tmp_path / "jobs").glob("*.json")) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)
        conn = psycopg2.connect(pagila_url)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SET lock_timeout = '120s'")
            started = time.monotonic()
            cur.execute("ALTER TABLE rental ADD COLUMN note text")
            done["waited"] = time.monotonic() - started
        conn.close()

    thread = threading.Thread(target=migrate)
    thread.start()
    with captured_log() as log:
        started = time.monotonic()
        result = run_full(IngestOptions(database_url=pagila_url, vespa_url=vespa.url, state_dir=str(tmp_path),
                                        tables=["rental"], batch_size=1000, processes=2))
        took = time.monotonic() - started
    thread.join(timeout=150)
    assert result.exit_code == 0 and result.tables["rental"].indexed == 16044
    assert [m for m in log if "lock request is waiting" in m], "the ALTER never queued: timing too fast?"
    assert took < 90 and "waited" in done  # nobody waited for a statement timeout
