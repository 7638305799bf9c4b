"""Key ranges of integer-keyed tables: digests computed inside PostgreSQL match the ones the
indexed-key store keeps, a delete is located in its range, and a slice reads only its ranges."""

from __future__ import annotations

import os

import psycopg2
import pytest

from procore_ingest import discover
from procore_ingest.indexed_keys import KEYS_DIR, IndexedKeys, file_name, range_of
from procore_ingest.plan import build_plans
from procore_ingest.source import changes
from tests.helpers import execute

SCHEMA = """
CREATE TABLE photos (id bigint PRIMARY KEY, description text, deleted_at timestamp(3),
                     updated_at timestamp(3) NOT NULL DEFAULT '2026-01-01');
INSERT INTO photos (id, description) SELECT 562949953421312 + g * 7, 'photo ' || g FROM generate_series(1, 2000) g;
CREATE TABLE events (id text PRIMARY KEY, body text);
"""
P = 562949953421312


@pytest.fixture
def photos(pg_url):
    execute(pg_url, SCHEMA)
    plans = {p.name: p for p in build_plans(discover(pg_url), id_key=lambda: b"k" * 32)}  # digests are keyed
    conn = psycopg2.connect(pg_url)
    yield conn, plans["photos"], plans
    conn.close()


def live_keys(conn) -> set[int]:
    with conn.cursor() as cur:
        cur.execute("SELECT id FROM photos WHERE deleted_at IS NULL")
        return {r[0] for r in cur.fetchall()}


def test_only_integer_keys_have_ranges(photos):
    _, plan, plans = photos
    assert changes.integer_key(plan) == "id"
    assert changes.integer_key(plans["events"]) is None


def test_database_and_store_digests_agree_and_a_delete_is_located(photos):
    conn, plan, _ = photos
    with conn.cursor() as cur:
        bounds = changes.key_range_bounds(cur, plan, 2000)
        assert len(bounds) + 1 == changes.bucket_count(2000) and bounds == sorted(bounds)
        store = IndexedKeys(bounds, live_keys(conn))
        assert changes.key_range_digests(cur, plan, bounds) == store.digests()
    conn.rollback()
    gone = P + 7 * 1000
    with conn.cursor() as cur:
        cur.execute("DELETE FROM photos WHERE id = %s", [gone])
        cur.execute("UPDATE photos SET deleted_at = now() WHERE id = %s", [P + 7 * 10])  # soft delete
        database = changes.key_range_digests(cur, plan, bounds)
        moved = sorted(int(r) for r in set(database) | set(store.digests())
                       if database.get(r) != store.digests().get(r))
        assert moved == sorted({range_of(bounds, gone), range_of(bounds, P + 70)})
        present = changes.keys_in_key_ranges(cur, plan, bounds, moved)
        indexed = set().union(*(store.keys_in_range(r) for r in moved))
        assert indexed - present == {gone, P + 70}
        assert present - indexed == set()
        assert len(present) < 200  # two ranges of ~64 keys, not the table
    conn.rollback()


def test_slice_digests_cover_only_their_ranges(photos):
    conn, plan, _ = photos
    with conn.cursor() as cur:
        bounds = changes.key_range_bounds(cur, plan, 2000)
        full = {}
        for first in range(0, len(bounds) + 1, 5):
            last = min(first + 4, len(bounds))
            part = changes.range_row_digests(cur, plan, bounds, first, last)
            assert {int(r) for r in part} <= set(range(first, last + 1))
            full.update(part)
        assert len(full) == len(bounds) + 1
        assert sum(int(d.split(":")[0]) for d in full.values()) == 2000
        cur.execute("UPDATE photos SET description = 'changed' WHERE id = %s", [P + 7 * 500])
        r = range_of(bounds, P + 7 * 500)
        after = changes.range_row_digests(cur, plan, bounds, r, r)
        assert after[str(r)] != full[str(r)]
        conn.rollback()
        rows = [row for batch in changes.rows_in_key_ranges(conn, plan, bounds, [r], 100) for row in batch]
        assert {row.values["id"] for row in rows} == IndexedKeys(bounds, live_keys(conn)).keys_in_range(r)


def test_store_adds_discards_and_survives_a_reload(tmp_path):
    bounds = [100, 200, 300]
    store = IndexedKeys(bounds, [1, 150, 250, 350])
    store.save(tmp_path, "photos")
    assert store.add([150, 160, 999]) == 2 and store.discard([1, 2, 999]) == 2
    assert 160 in store and 1 not in store and 999 not in store and len(store) == 4
    store.save(tmp_path, "photos")
    again = IndexedKeys.load(tmp_path, "photos")
    assert again is not None and sorted(again) == [150, 160, 250, 350]
    assert again.digests() == IndexedKeys(bounds, [150, 160, 250, 350]).digests()
    assert again.keys_in_range(1) == {150, 160}
    mode = os.stat(tmp_path / KEYS_DIR / (file_name("photos") + ".keys")).st_mode & 0o777
    assert mode == 0o600


def test_a_journal_of_another_array_is_not_trusted(tmp_path):
    IndexedKeys([10], [1, 2]).save(tmp_path, "t")
    journal = (tmp_path / KEYS_DIR / (file_name("t") + ".journal")).read_text()
    IndexedKeys([10], [1, 2, 3]).save(tmp_path, "t")  # a new array; the old journal put back
    (tmp_path / KEYS_DIR / (file_name("t") + ".journal")).write_text(journal)
    assert IndexedKeys.load(tmp_path, "t") is None
    assert IndexedKeys.load(tmp_path, "other") is None


def test_a_long_journal_is_folded_into_the_array(tmp_path):
    store = IndexedKeys([], range(100))
    store.save(tmp_path, "t")
    store.add(range(100, 2200))
    store.save(tmp_path, "t")
    loaded = IndexedKeys.load(tmp_path, "t")
    assert loaded is not None and len(loaded) == 2200
    journal = (tmp_path / KEYS_DIR / (file_name("t") + ".journal")).read_text()
    assert '"added": []' in journal  # the 2,100 keys went into the array
    small = IndexedKeys([], range(100_000))
    small.save(tmp_path, "big")
    small.add([100_001])
    small.save(tmp_path, "big")  # a few keys: only the journal is written
    assert '"added": [100001]' in (tmp_path / KEYS_DIR / (file_name("big") + ".journal")).read_text()


def test_key_hash_is_postgresql_s(pg_url):
    from procore_ingest.indexed_keys import key_hash

    values = [0, 1, -1, 42, P, -P, 2 ** 63 - 1, -2 ** 63, 123456789012]
    conn = psycopg2.connect(pg_url)
    with conn.cursor() as cur:
        cur.execute("SELECT v, hashint8extended(v, 0) FROM unnest(%s::bigint[]) v", [values])
        assert {v: key_hash(v) for v in values} == dict(cur.fetchall())
    conn.close()
