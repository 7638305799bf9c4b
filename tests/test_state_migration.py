"""A state directory written before checkpoints.json had a format version is read and migrated:
the next cycle neither reloads a table nor misses a change (tests/fixtures/state_v1)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from procore_ingest.demo import DemoSpec, build_demo_database
from procore_ingest.state import STATE_VERSION, StateStore
from tests.helpers import execute, run_script
from tests.pgharness import dbname

FIXTURE = Path(__file__).parent / "fixtures" / "state_v1"
SPEC = DemoSpec(scale=0.05, seed=7, foreign_keys=True)  # what the fixture was made from


@pytest.fixture
def v1_url(templates, pg_server):
    url = templates.copy("demo_v1_state", lambda u: build_demo_database(u, SPEC))
    yield url
    pg_server.drop_database(dbname(url))


def _sync(url: str, state: Path, feed: Path):
    return run_script("sync_database.py", "--once", "--database-url", url, "--vespa-url", f"file://{feed}",
                      "--state-dir", str(state), "--pid-file", str(state / "sync.pid"))


def _live_ids(feed: Path, table: str) -> set[str]:
    alive: set[str] = set()
    for line in (feed / f"{table}.jsonl").read_text().splitlines():
        op = json.loads(line)
        if "put" in op:
            alive.add(op["put"].rsplit("::", 1)[1])
        else:
            alive.discard(op["remove"].rsplit("::", 1)[1])
    return alive


def test_v1_state_migrates_without_reload_or_miss(v1_url: str, tmp_path: Path) -> None:
    feed, state = tmp_path / "feed", tmp_path / "state"
    # the index as the old run left it (its feed files), then the old run's state
    loaded = run_script("ingest_database.py", "--full", "--processes", "1", "--database-url", v1_url,
                        "--vespa-url", f"file://{feed}", "--state-dir", str(tmp_path / "scratch"))
    assert loaded.returncode == 0, loaded.stderr
    state.mkdir()
    shutil.copy(FIXTURE / "checkpoints.json", state / "checkpoints.json")
    # (the schema documents name the database, which has another name here: they are re-fed)
    before = {p.name: p.stat().st_size for p in feed.iterdir() if p.name != "_procore_schema_metadata.jsonl"}

    first = _sync(v1_url, state, feed)
    assert first.returncode == 0, first.stderr
    assert "full load" not in first.stderr, first.stderr  # no table reloaded
    assert "0 changes" in first.stderr, first.stderr
    after = {p.name: p.stat().st_size for p in feed.iterdir() if p.name != "_procore_schema_metadata.jsonl"}
    assert after == before  # no row re-fed
    data = json.loads((state / "checkpoints.json").read_text())
    assert data["version"] == STATE_VERSION and "photos" in data["tables"]
    assert StateStore(str(state)).load_checkpoints().tables["photos"].sync.watermarks

    # and nothing is missed: an update and a delete after the migration
    execute(v1_url, """
        UPDATE photos SET description = 'migrated and still watched', last_synced_at = '2026-01-14 05:00'
         WHERE id = (SELECT min(id) FROM photos);
        DELETE FROM rfis WHERE id = (SELECT max(id) FROM rfis);
    """)
    photo = execute_scalar(v1_url, "SELECT min(id) FROM photos")
    gone = set(_live_ids(feed, "rfis"))
    second = _sync(v1_url, state, feed)
    assert second.returncode == 0, second.stderr
    assert "photos: 0 inserted, 1 updated" in second.stderr, second.stderr
    last = json.loads((feed / "photos.jsonl").read_text().splitlines()[-1])
    assert last["put"].endswith(f"::photos:{photo}")
    assert "migrated and still watched" in last["fields"]["content_text"]
    now_live = _live_ids(feed, "rfis")
    assert len(gone - now_live) == 1 and not (now_live - gone)


def execute_scalar(url: str, statement: str):
    from tests.helpers import query

    return query(url, statement)[0][0]
