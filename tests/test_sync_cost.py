"""A cycle costs what changed (issue "scale"): inserts never list the index, a delete is
located by key ranges and only its range is compared, an idle cycle reads no rows, and what
the kept keys replace (the listing of the index) still converges on every kind of change."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from procore_ingest.indexed_keys import KEYS_DIR, IndexedKeys, range_of
from procore_ingest.pipeline.ingest import IngestOptions, resume, run_full
from procore_ingest.pipeline.sync import SyncOptions, run_cycle
from procore_ingest.source import changes
from tests.helpers import execute, query
from tests.test_sync import assert_index_equals_database

P = 562949953421312
SCHEMA = """
CREATE TABLE photos (id bigint PRIMARY KEY, project_id bigint, description text,
                     updated_at timestamp(3) NOT NULL, last_synced_at timestamp(3) NOT NULL DEFAULT now());
CREATE INDEX ON photos (last_synced_at);
INSERT INTO photos SELECT 562949953421312 + g, 1, 'photo ' || g, '2026-01-01', '2026-01-02'
  FROM generate_series(1, 1000) g;
"""


def visits(server) -> int:
    """Requests that list documents (a visit), not single-document operations."""
    return sum(1 for r in server.requests if r.method == "GET" and r.doc_id is None)


@pytest.fixture
def synced(pg_url, vespa, tmp_path):
    execute(pg_url, SCHEMA)
    assert run_full(IngestOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=str(tmp_path))).exit_code == 0
    options = SyncOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=str(tmp_path))
    for _ in range(changes.CHECK_SLICES + 1):  # counters trusted, content check after the load done
        assert run_cycle(options).changes == 0
    return options


def test_inserts_and_updates_never_list_the_index(synced, pg_url, vespa):
    vespa.clear_requests()
    execute(pg_url, f"""INSERT INTO photos (id, description, updated_at) VALUES ({P + 5000}, 'new', now()),
                                                                          ({P + 5001}, 'new', now());
                        UPDATE photos SET description = 'edited', last_synced_at = now() WHERE id = {P + 7}""")
    result = run_cycle(synced).tables["photos"]
    assert (result.inserted, result.updated, result.removed) == (2, 1, 0)
    assert visits(vespa) == 0
    assert_index_equals_database(pg_url, vespa, ["photos"])


def test_a_delete_is_located_and_only_its_range_compared(synced, pg_url, vespa, monkeypatch):
    compared: list[list[int]] = []
    real = changes.keys_in_key_ranges

    def recording(cur, plan, bounds, chosen):
        compared.append(list(chosen))
        return real(cur, plan, bounds, chosen)

    monkeypatch.setattr(changes, "keys_in_key_ranges", recording)
    keys = IndexedKeys.load(synced.state_dir, "photos")
    assert keys is not None and len(keys.bounds) > 4
    vespa.clear_requests()
    execute(pg_url, f"DELETE FROM photos WHERE id = {P + 500}")
    result = run_cycle(synced).tables["photos"]
    assert result.removed == 1 and visits(vespa) == 0
    assert compared == [[range_of(keys.bounds, P + 500)]]
    assert f"id:procore_record:procore_record::photos:{P + 500}" not in vespa.documents("procore_record")
    assert_index_equals_database(pg_url, vespa, ["photos"])


def test_an_idle_cycle_reads_no_rows(synced, pg_url):
    def rows_read():
        execute(pg_url, "SELECT pg_stat_force_next_flush()")
        return query(pg_url, "SELECT pg_stat_clear_snapshot(), seq_tup_read + coalesce(idx_tup_fetch, 0) "
                             "FROM pg_stat_user_tables WHERE relname = 'photos'")[0][1]

    before = rows_read()
    assert run_cycle(synced).changes == 0
    assert rows_read() - before <= 2  # the change columns' max() through their indexes, nothing else


def test_a_changed_key_is_seen_the_next_cycle(synced, pg_url, vespa):
    execute(pg_url, f"UPDATE photos SET id = {P + 9000}, last_synced_at = now() WHERE id = {P + 3}")
    vespa.clear_requests()
    result = run_cycle(synced).tables["photos"]
    assert (result.inserted, result.removed) == (1, 1) and visits(vespa) == 0
    assert_index_equals_database(pg_url, vespa, ["photos"])


def test_a_key_changed_without_a_timestamp_is_healed_by_the_content_check(synced, pg_url, vespa):
    execute(pg_url, f"UPDATE photos SET id = {P + 9001} WHERE id = {P + 4}")  # no change column moves
    for _ in range(changes.CHECK_SLICES):
        run_cycle(synced)
    assert_index_equals_database(pg_url, vespa, ["photos"])


def test_truncate_and_new_rows(synced, pg_url, vespa):
    execute(pg_url, f"TRUNCATE photos; INSERT INTO photos (id, description, updated_at) "
                    f"SELECT {P} + g, 'again', '2020-01-01' FROM generate_series(2000, 2004) g")
    result = run_cycle(synced).tables["photos"]
    assert result.removed == 1000 and result.inserted == 5
    assert_index_equals_database(pg_url, vespa, ["photos"])


def test_a_state_without_kept_keys_lists_the_index_once(synced, pg_url, vespa):
    """A state from before the kept keys (or keys lost): one listing rebuilds them."""
    path = Path(synced.state_dir) / "checkpoints.json"
    checkpoints = json.loads(path.read_text())
    checkpoints["tables"]["photos"]["sync"]["bounds"] = None
    path.write_text(json.dumps(checkpoints))
    shutil.rmtree(f"{synced.state_dir}/{KEYS_DIR}")
    execute(pg_url, f"DELETE FROM photos WHERE id = {P + 10}")
    vespa.clear_requests()
    assert run_cycle(synced).tables["photos"].removed == 1
    assert visits(vespa) >= 1
    assert IndexedKeys.load(synced.state_dir, "photos") is not None
    execute(pg_url, f"DELETE FROM photos WHERE id = {P + 11}; "
                    f"INSERT INTO photos (id, description, updated_at) VALUES ({P + 7000}, 'n', now())")
    vespa.clear_requests()
    result = run_cycle(synced).tables["photos"]
    assert (result.inserted, result.removed) == (1, 1) and visits(vespa) == 0
    assert_index_equals_database(pg_url, vespa, ["photos"])


def test_ranges_are_cut_again_when_the_table_grows(synced, pg_url, vespa):
    before = IndexedKeys.load(synced.state_dir, "photos")
    assert before is not None
    execute(pg_url, f"INSERT INTO photos (id, description, updated_at) "
                    f"SELECT {P} + g, 'grown', now() FROM generate_series(10001, 13000) g")
    assert run_cycle(synced).tables["photos"].inserted == 3000
    after = IndexedKeys.load(synced.state_dir, "photos")
    assert after is not None and after.bounds != before.bounds and len(after) == 4000
    largest = max(int(d.split(":")[0]) for d in after.digests().values())
    assert largest <= 2 * changes.ROWS_PER_BUCKET  # the new keys are spread over new ranges
    execute(pg_url, f"DELETE FROM photos WHERE id IN ({P + 12000}, {P + 20})")
    vespa.clear_requests()
    assert run_cycle(synced).tables["photos"].removed == 2 and visits(vespa) == 0
    assert_index_equals_database(pg_url, vespa, ["photos"])


def test_verify_checks_the_kept_keys(synced, pg_url, vespa):
    from procore_ingest.pipeline.verify import VerifyOptions, run_verify

    options = VerifyOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=synced.state_dir)
    assert run_verify(options).exit_code == 0
    keys = IndexedKeys.load(synced.state_dir, "photos")
    assert keys is not None
    keys.discard([P + 1])
    keys.add([P + 99_999])
    keys.save(synced.state_dir, "photos")
    report = run_verify(options)
    assert report.exit_code == 3 and report.tables["photos"].kept_keys_off == 2
    assert report.tables["photos"].missing == report.tables["photos"].extra == 0  # the index itself is fine
    repaired = run_verify(VerifyOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=synced.state_dir,
                                        repair=True))
    assert repaired.tables["photos"].kept_keys_off == 0 and IndexedKeys.load(synced.state_dir, "photos") is None
    execute(pg_url, f"DELETE FROM photos WHERE id = {P + 2}")
    assert run_cycle(synced).tables["photos"].removed == 1  # the index listed once, keys kept again
    assert run_verify(options).exit_code == 0


def test_the_content_check_slice_is_bounded_by_the_row_budget(synced, pg_url, vespa):
    """A smaller row budget cuts the check into more slices (here one key range each): a cycle
    reads about a range, a change no cursor sees, made just before the slices are cut again,
    is still found within the new number of cycles, and nothing unchanged is fed again."""
    def rows_read():
        execute(pg_url, "SELECT pg_stat_force_next_flush()")
        return query(pg_url, "SELECT pg_stat_clear_snapshot(), seq_tup_read + coalesce(idx_tup_fetch, 0) "
                             "FROM pg_stat_user_tables WHERE relname = 'photos'")[0][1]

    keys = IndexedKeys.load(synced.state_dir, "photos")
    assert keys is not None
    ranges = len(keys.bounds) + 1
    synced.check_rows = 50  # 1,000 rows: 20 slices wanted, one per range
    slices = changes.check_slices(1000, ranges, 50)
    assert slices == ranges > changes.CHECK_SLICES
    execute(pg_url, f"UPDATE photos SET description = 'silent' WHERE id = {P + 300}")  # no change column moves
    doc = f"id:procore_record:procore_record::photos:{P + 300}"
    found_after, rechecked, read = None, [], []
    for cycle in range(1, slices + 1):
        before = rows_read()
        rechecked.append(run_cycle(synced).tables["photos"].rechecked)
        if cycle > 1:  # the write's own cycle reads the cursor too (updated_at has no index: a scan)
            read.append(rows_read() - before)
        if found_after is None and "silent" in str(vespa.document(doc)):
            found_after = cycle
    assert found_after is not None and found_after <= slices
    assert len([r for r in rechecked if r]) == 1  # one range moved, once: no false change
    # about one range (~63 rows) a cycle, not 1/12 of the table (median: autovacuum may read it once)
    assert sorted(read)[len(read) // 2] <= 1000 // ranges * 3 // 2
    checkpoints = json.loads((Path(synced.state_dir) / "checkpoints.json").read_text())
    assert checkpoints["tables"]["photos"]["sync"]["check_slices"] == slices
    assert_index_equals_database(pg_url, vespa, ["photos"])


def test_the_first_cycle_after_a_full_load_lists_nothing(pg_url, vespa, tmp_path):
    """`ingest --full` (worker processes building the documents) keeps the keys it fed, cut at
    the key ranges sync uses: the first cycle after it makes no visit of the index, yet a put
    Vespa refused during the load (not kept) is fed, and a delete and an insert made after the
    load are found."""
    execute(pg_url, SCHEMA + f"UPDATE photos SET description = NULL WHERE id = {P + 42};")
    refused = f"photos:{P + 42}"
    vespa.reject_ids(lambda i: i == refused, 500, methods=["POST"])
    options = IngestOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=str(tmp_path), retry_budget_s=0.5,
                            batch_size=100, processes=2)  # documents built by worker processes
    assert run_full(options).exit_code == 3  # one put refused: pending for sync
    vespa.clear_faults()
    keys = IndexedKeys.load(tmp_path, "photos")
    assert keys is not None and len(keys) == 999 and P + 42 not in keys and P + 41 in keys
    checkpoints = json.loads((tmp_path / "checkpoints.json").read_text())
    assert keys.bounds == checkpoints["tables"]["photos"]["sync"]["bounds"]
    execute(pg_url, f"DELETE FROM photos WHERE id = {P + 500}; "
                    f"INSERT INTO photos (id, description, updated_at) VALUES ({P + 5000}, 'new', now())")
    vespa.clear_requests()
    cycle = run_cycle(SyncOptions(**options.shared()))
    assert visits(vespa) == 0
    assert cycle.exit_code == 0 and cycle.tables["photos"].removed == 1
    assert_index_equals_database(pg_url, vespa, ["photos"])
    assert IndexedKeys.load(tmp_path, "photos").keys_in_all() == {P + g for g in range(1, 1001) if g != 500} | {P + 5000}


def test_a_resumed_load_keeps_the_keys_of_its_own_load(pg_url, vespa, tmp_path):
    """`--resume` of a job whose table had a refused put loads the table again from its first
    row (a new baseline): the keys kept are that load's, and the cycle after it lists nothing."""
    execute(pg_url, SCHEMA)
    options = IngestOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=str(tmp_path), retry_budget_s=0.5,
                            batch_size=100)
    vespa.reject_ids(lambda i: i == f"photos:{P + 950}", 500, methods=["POST"])
    first = run_full(options)
    assert first.exit_code == 3
    vespa.clear_faults()
    execute(pg_url, f"DELETE FROM photos WHERE id = {P + 7}")
    assert resume(first.job_id, IngestOptions(**options.shared())).exit_code == 0
    keys = IndexedKeys.load(tmp_path, "photos")
    assert keys is not None and len(keys) == 999 and P + 950 in keys and P + 7 not in keys
    execute(pg_url, f"DELETE FROM photos WHERE id = {P + 8}")
    vespa.clear_requests()
    assert run_cycle(SyncOptions(**options.shared())).exit_code == 0
    assert visits(vespa) == 0
    assert_index_equals_database(pg_url, vespa, ["photos"])


def test_a_state_of_the_previous_version_keeps_its_content_check(synced, pg_url, vespa):
    """A state written before `check_slices` (the content check cut into 12) loads as it is: its
    slices are cut again by the row budget without re-feeding anything, and a change no cursor
    sees, made before that, is still found."""
    path = Path(synced.state_dir) / "checkpoints.json"
    checkpoints = json.loads(path.read_text())
    state = checkpoints["tables"]["photos"]["sync"]
    del state["check_slices"]
    state["check_phase"], state["checked_phases"] = 5, list(range(changes.CHECK_SLICES))
    path.write_text(json.dumps(checkpoints))
    execute(pg_url, f"UPDATE photos SET description = 'by hand' WHERE id = {P + 900}")  # no change column moves
    synced.check_rows = 50
    rechecked = [run_cycle(synced).tables["photos"].rechecked for _ in range(changes.CHECK_SLICES + 8)]
    assert "by hand" in str(vespa.document(f"id:procore_record:procore_record::photos:{P + 900}"))
    assert len([r for r in rechecked if r]) == 1  # only the edited range was fed again
    assert json.loads(path.read_text())["tables"]["photos"]["sync"]["check_slices"] > changes.CHECK_SLICES


def test_ids_of_an_older_key_scheme_are_removed_not_kept(pg_url, vespa, tmp_path):
    """A table loaded without a primary key (ids `sha256:…`) that gets one: the next full load
    and sync cycles remove the old ids and keep only integer keys, exit 0, no traceback."""
    execute(pg_url, """
        CREATE TABLE photos (id bigint NOT NULL, description text, updated_at timestamp(3) NOT NULL);
        INSERT INTO photos SELECT g, 'photo ' || g, '2026-01-01' FROM generate_series(1, 300) g;""")
    options = IngestOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=str(tmp_path))
    assert run_full(options).exit_code == 0
    assert all(":sha256:" in i for i in vespa.documents("procore_record"))  # keyless: content hashes

    execute(pg_url, "ALTER TABLE photos ADD PRIMARY KEY (id)")
    sync = SyncOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=str(tmp_path))
    assert run_cycle(sync).exit_code == 0  # the key changed: a full load, old ids listed and removed
    assert run_full(options).exit_code == 0
    assert run_cycle(sync).exit_code == 0
    assert_index_equals_database(pg_url, vespa, ["photos"])
    kept = IndexedKeys.load(tmp_path, "photos")
    assert kept is not None and len(kept) == 300  # the integer keys, nothing of the old ids


def test_a_crash_between_checkpoints_and_kept_keys_leaves_no_stale_keys(pg_url, vespa, tmp_path, monkeypatch):
    """The keys of a full load are written after its checkpoints, the old ones removed before:
    a load killed between the two leaves no kept keys, and the next cycle lists the index once
    instead of trusting keys of another baseline (a deleted row would stay indexed)."""
    execute(pg_url, SCHEMA)
    options = IngestOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=str(tmp_path))
    assert run_full(options).exit_code == 0
    keys_dir = Path(tmp_path) / KEYS_DIR
    assert any(keys_dir.iterdir())

    def crash(self, root, table):
        raise KeyboardInterrupt  # the process dies after the checkpoints were written
    monkeypatch.setattr(IndexedKeys, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        run_full(options)
    monkeypatch.undo()
    assert not any(keys_dir.iterdir())  # no keys beside the new checkpoint

    execute(pg_url, f"DELETE FROM photos WHERE id = {P + 42}")
    vespa.clear_requests()
    sync = SyncOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=str(tmp_path))
    assert run_cycle(sync).exit_code == 0
    assert visits(vespa) >= 1  # listed once to keep the keys again
    assert_index_equals_database(pg_url, vespa, ["photos"])


@pytest.mark.parametrize("edited", [P + 3, P + 400, P + 999])
def test_a_cut_of_the_ranges_does_not_absorb_a_change_no_cursor_saw(synced, pg_url, vespa, edited):
    """A hand edit that moved no timestamp, not yet compared by its slice, then enough inserts
    for the ranges to be cut again: the cut's new digests would take the edit as the baseline
    and no slice would ever see it; the ranges are compared before the cut, so the edit is fed
    in that very cycle."""
    # a change column moved backwards: behind every watermark and its overlap, no cursor reads it
    execute(pg_url, f"UPDATE photos SET description = 'hand edit', updated_at = '2025-01-01', "
                    f"last_synced_at = '2025-01-01' WHERE id = {edited}")
    execute(pg_url, f"INSERT INTO photos (id, description, updated_at) "
                    f"SELECT {P} + g, 'grown', now() FROM generate_series(10001, 13000) g")
    before = IndexedKeys.load(synced.state_dir, "photos")
    assert run_cycle(synced).tables["photos"].inserted == 3000
    after = IndexedKeys.load(synced.state_dir, "photos")
    assert before is not None and after is not None and after.bounds != before.bounds  # cut again
    assert_index_equals_database(pg_url, vespa, ["photos"])
