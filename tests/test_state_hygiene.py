"""What the state directory keeps, and how long a run holds the database (issue "trust", item
11): no invertible hash of a withheld value, a bounded pending list, no snapshot held while
Vespa is refusing writes, a schema document's row count that follows the table, naive
timestamps read in their writers' zone."""

from __future__ import annotations

import hashlib
import json

import pytest

from procore_ingest.pipeline.ingest import IngestOptions, run_full
from procore_ingest.pipeline.sync import SyncOptions, run_cycle
from tests.helpers import execute, query

P = 562949953421312
PHOTOS = "/document/v1/procore_record/procore_record/docid/photos"
CODE = "731905"  # a withheld one-time code: never in a document, and never recoverable from the state
CODES = f"""
CREATE TABLE codes (user_id int, otp text, updated_at timestamp(3) NOT NULL);  -- no key, a change column
CREATE TABLE resets (user_id int, otp text);                                    -- no key, no change column
INSERT INTO codes VALUES (1, '{CODE}', now() AT TIME ZONE 'UTC');  -- in the overlap window
INSERT INTO resets VALUES (2, '{CODE}');
"""


def _strings_and_numbers(value, found: set[str]) -> None:
    """Every string, key and number in a JSON value; "count:sum" digests split in two."""
    if isinstance(value, dict):
        for k, v in value.items():
            _strings_and_numbers(k, found)
            _strings_and_numbers(v, found)
    elif isinstance(value, list):
        for v in value:
            _strings_and_numbers(v, found)
    elif value is not None:
        found.add(str(value).lower())
        found.update(str(value).lower().split(":"))


def _recover(row_text: str, found: set[str]) -> list[str]:
    """The codes whose row text hashes (md5, and the 60-bit md5 prefixes the old bucket sums
    and key fingerprints added up) to something the state holds: a brute force over the 10^5
    codes that start like the real one (10^6 takes seconds on a loaded machine; the smaller
    space recovers the code from the old state just as well), and the real row under sha1 and
    sha256."""
    before, after = (part.encode() for part in row_text.split(CODE))
    prefixes = {f"{int(v):015x}" for v in found if v.isdigit() and int(v) < 2 ** 60}
    start = hashlib.md5(before)
    hits = []
    for n in range(int(CODE[0]) * 100_000, (int(CODE[0]) + 1) * 100_000):
        digest = start.copy()
        digest.update(b"%06d" % n + after)
        md5 = digest.hexdigest()
        if md5 in found or md5[:15] in prefixes:
            hits.append(f"{n:06d}")
    text = row_text.encode()
    hits += [CODE for h in (hashlib.sha1(text).hexdigest(), hashlib.sha256(text).hexdigest()) if h in found]
    return hits


def test_no_withheld_value_can_be_recovered_from_checkpoints(pg_url, vespa, tmp_path):
    execute(pg_url, CODES)
    state = tmp_path / "state"
    assert run_full(IngestOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=str(state))).exit_code == 0
    execute(pg_url, "INSERT INTO codes VALUES (3, '000001', now() AT TIME ZONE 'UTC')")  # the cycle feeds something
    options = SyncOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=str(state))
    assert run_cycle(options).exit_code == 0
    assert CODE not in json.dumps(vespa.documents("procore_record"))  # withheld from the documents
    text = (state / "checkpoints.json").read_text()
    assert CODE not in text
    found: set[str] = set()
    _strings_and_numbers(json.loads(text), found)
    for table in ("codes", "resets"):
        (row_text,) = [r[0] for r in query(pg_url, f"SELECT ROW(t.*)::text FROM {table} t") if CODE in r[0]]
        assert _recover(row_text, found) == [], table
    # and the digests still work: an unchanged cycle feeds nothing, a changed code is seen
    assert run_cycle(options).changes == 0
    execute(pg_url, "UPDATE resets SET otp = '123456'")
    assert run_cycle(options).tables["resets"].updated == 1


def test_format_2_state_is_upgraded_without_refeeding(pg_url, vespa, tmp_path):
    """A state written with unkeyed digests: the first cycle compares them the old way and
    feeds nothing; the file then holds keyed digests only."""
    execute(pg_url, CODES)
    state = tmp_path / "state"
    assert run_full(IngestOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=str(state))).exit_code == 0
    path = state / "checkpoints.json"
    data = json.loads(path.read_text())
    # what format 2 kept: the unkeyed md5 of each row, and bucket sums of their 60-bit prefixes
    rows = {t: query(pg_url, f"SELECT ROW(t.*)::text, md5(ROW(t.*)::text) FROM {t} t")[0] for t in ("codes", "resets")}
    codes = data["tables"]["codes"]["sync"]
    codes["recent"] = {rows["codes"][1]: rows["codes"][1]}
    resets = data["tables"]["resets"]["sync"]
    (bucket,) = resets["digests"]
    resets["digests"] = {bucket: f"1:{int(rows['resets'][1][:15], 16)}"}
    data["version"] = 2
    for entry in data["tables"].values():
        entry["sync"].pop("digests_keyed", None)
    path.write_text(json.dumps(data))
    vespa.clear_requests()
    options = SyncOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=str(state))
    first = run_cycle(options)
    assert first.exit_code == 0 and first.changes == 0
    assert not [r for r in vespa.requests if r.method in ("POST", "PUT", "DELETE") and "procore_record" in r.path]
    found: set[str] = set()
    _strings_and_numbers(json.loads(path.read_text()), found)
    assert rows["codes"][1] not in found and str(int(rows["resets"][1][:15], 16)) not in found
    execute(pg_url, "UPDATE resets SET otp = '654321'")
    assert run_cycle(options).tables["resets"].updated == 1


# --- pending operations are bounded ---------------------------------------------------------


def test_pending_operations_past_the_bound_collapse_into_a_reload(pg_url, vespa, tmp_path):
    from procore_ingest.pipeline.status import read_status
    from procore_ingest.state import StateStore
    from tests.test_sync import SCHEMA, assert_index_equals_database

    execute(pg_url, SCHEMA)
    state = str(tmp_path / "state")
    assert run_full(IngestOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=state)).exit_code == 0
    options = SyncOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=state, batch_size=10,
                          retry_budget_s=0.3, max_pending=5)
    assert run_cycle(options).exit_code == 0
    execute(pg_url, "UPDATE photos SET description = 'edited while Vespa is full', last_synced_at = now()")
    vespa.set_outage(507, path_prefix=PHOTOS)  # feed blocked: every put of the 60 rows fails
    blocked = run_cycle(options)
    assert blocked.exit_code == 3 and blocked.pending == {"photos": 60}
    photos = StateStore(state).load_checkpoints().tables["photos"].sync
    assert photos.pending == [] and photos.pending_overflow == 60  # counted, not kept one by one
    status = read_status(state)
    assert status.pending == {"photos": 60}
    assert [t.reload for t in status.tables if t.name == "photos"] == [True]
    again = run_cycle(options)  # still blocked: the reload fails the same way, still pending
    assert again.exit_code == 3 and again.tables["photos"].mode == "full" and again.pending == {"photos": 60}
    vespa.clear_outage()
    healed = run_cycle(options)
    assert healed.exit_code == 0 and healed.pending == {}
    assert healed.tables["photos"].mode == "full" and "pending" in (healed.tables["photos"].reason or "")
    assert_index_equals_database(pg_url, vespa, ["photos"])
    assert run_cycle(options).exit_code == 0


# --- no snapshot held while Vespa refuses writes ---------------------------------------------


def _watch_sessions(url: str, busy, vespa) -> list[tuple[float, str, bool]]:
    """(time, state, holds a snapshot) of the tool's sessions, sampled every 20 ms while
    `busy()`, only while Vespa answers 507 (the feeder is waiting and retrying)."""
    import time

    import psycopg2

    from tests.pgharness import dbname

    samples = []
    watcher = psycopg2.connect(url)
    watcher.autocommit = True
    try:
        with watcher.cursor() as cur:
            while busy():
                refusing = any(r.status == 507 for r in vespa.requests[-5:])
                cur.execute("SELECT state, backend_xmin IS NOT NULL FROM pg_stat_activity "
                            "WHERE datname = %s AND application_name = 'procore-ingest' AND pid <> pg_backend_pid()",
                            (dbname(url),))
                if refusing:
                    samples += [(time.monotonic(), state, bool(xmin)) for state, xmin in cur.fetchall()]
                time.sleep(0.02)
    finally:
        watcher.close()
    return samples


def _longest_open_snapshot(samples: list[tuple[float, str, bool]]) -> float:
    """The longest stretch (seconds) over which the tool's session sat idle inside a
    transaction or held a snapshot without running a query."""
    longest, since = 0.0, None
    for at, state, xmin in samples:
        if state == "idle in transaction" or (state != "active" and xmin):
            since = at if since is None else since
            longest = max(longest, at - since)
        else:
            since = None
    return longest


def _run_while_vespa_is_full(vespa, path_prefix: str, work, methods=("POST", "PUT")) -> tuple[object, list]:
    import threading

    result: dict[str, object] = {}
    thread = threading.Thread(target=lambda: result.setdefault("r", work()))
    vespa.set_outage(507, methods=list(methods), path_prefix=path_prefix)
    clear = threading.Timer(3.0, vespa.clear_outage)  # a 507 episode of 3 s, then Vespa has room again
    clear.start()
    thread.start()
    return result, thread


@pytest.mark.parametrize("change, refused, fed", [
    ("UPDATE photos SET description = 'edited during a 507 episode', last_synced_at = now()", "POST", (60, 0)),
    (f"DELETE FROM photos WHERE id > {P} + 30", "DELETE", (0, 30)),  # found by the key fingerprint
])
def test_no_snapshot_is_held_while_a_sync_waits_for_vespa(pg_url, vespa, tmp_path, change, refused, fed):
    from tests.test_sync import SCHEMA, assert_index_equals_database

    execute(pg_url, SCHEMA)
    state = str(tmp_path / "state")
    assert run_full(IngestOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=state)).exit_code == 0
    options = SyncOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=state, batch_size=20,
                          retry_budget_s=30)
    assert run_cycle(options).exit_code == 0
    execute(pg_url, change)
    vespa.clear_requests()
    result, thread = _run_while_vespa_is_full(vespa, PHOTOS, lambda: run_cycle(options), [refused])
    samples = _watch_sessions(pg_url, thread.is_alive, vespa)
    thread.join()
    assert len(samples) > 50  # the cycle did wait on Vespa, and was watched meanwhile
    assert _longest_open_snapshot(samples) < 0.5, samples
    photos = result["r"].tables["photos"]
    assert result["r"].exit_code == 0 and (photos.updated, photos.removed) == fed
    assert_index_equals_database(pg_url, vespa, ["photos"])


def test_no_snapshot_is_held_while_an_ingest_waits_for_vespa(pg_url, vespa, tmp_path):
    from tests.test_sync import SCHEMA, assert_index_equals_database

    execute(pg_url, SCHEMA + CODES)
    options = IngestOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=str(tmp_path / "state"),
                            batch_size=20, retry_budget_s=30)
    vespa.clear_requests()
    result, thread = _run_while_vespa_is_full(vespa, PHOTOS, lambda: run_full(options))
    samples = _watch_sessions(pg_url, thread.is_alive, vespa)
    thread.join()
    assert len(samples) > 50
    assert _longest_open_snapshot(samples) < 0.5, samples
    assert result["r"].exit_code == 0
    assert_index_equals_database(pg_url, vespa, ["photos", "sync_events", "prime_contracts"])


# --- row counts in the schema documents follow the tables -------------------------------------


def _row_counts(vespa) -> dict[str, int]:
    return {f["doc_id"]: f.get("row_count") for f in vespa.documents("procore_schema_metadata").values()}


def test_schema_documents_row_counts_follow_each_cycle(pg_url, vespa, tmp_path):
    from tests.test_sync import SCHEMA

    execute(pg_url, SCHEMA)
    state = str(tmp_path / "state")
    assert run_full(IngestOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=state)).exit_code == 0
    options = SyncOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=state)
    assert run_cycle(options).exit_code == 0
    execute(pg_url, f"""INSERT INTO sync_events SELECT 'more-' || g, 'ok', '{{}}' FROM generate_series(1, 20) g;
                        DELETE FROM photos WHERE id <= {P} + 5;""")
    assert run_cycle(options).exit_code == 0
    counts = _row_counts(vespa)
    live = {t: query(pg_url, f"SELECT count(*) FROM {t}")[0][0] for t in ("photos", "sync_events", "prime_contracts")}
    assert {t: counts[f"table:{t}"] for t in live} == live == {"photos": 55, "sync_events": 320, "prime_contracts": 10}
    (database,) = [v for k, v in counts.items() if k.startswith("schema:")]
    assert database == sum(live.values())
    vespa.clear_requests()  # nothing moved: no schema document is fed again
    assert run_cycle(options).changes == 0
    assert not [r for r in vespa.requests if r.method in ("POST", "PUT") and "procore_schema_metadata" in r.path]


# --- naive timestamps written in local time ---------------------------------------------------

LOCAL = """
CREATE TABLE inspections (id bigint PRIMARY KEY, note text,
                          created_at timestamp(3) NOT NULL, updated_at timestamp(3) NOT NULL);
-- the mirror writes Tokyo wall-clock time (UTC+9, no DST)
INSERT INTO inspections VALUES (1, 'written at 09:30 in Tokyo', '2026-03-01 09:30:00', '2026-03-01 09:30:00'),
                               (2, 'just now, Tokyo time', now() AT TIME ZONE 'Asia/Tokyo', now() AT TIME ZONE 'Asia/Tokyo');
"""


def test_naive_timestamps_in_a_configured_zone(pg_url, vespa, tmp_path):
    from datetime import datetime, timezone

    from procore_ingest.state import StateStore
    from tests.helpers import run_script

    shown = run_script("sync_database.py", "--print-config", env={"PROCORE_NAIVE_TIMEZONE": "Asia/Tokyo",
                                                                  "PROCORE_MAX_PENDING": "500"})
    assert shown.returncode == 0, shown.stderr
    assert [line.split() for line in shown.stdout.splitlines() if "naive_timezone" in line or "max_pending" in line]
    assert "Asia/Tokyo" in shown.stdout and "500" in shown.stdout
    execute(pg_url, LOCAL)
    state = str(tmp_path / "state")
    assert run_full(IngestOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=state,
                                  naive_timezone="Asia/Tokyo")).exit_code == 0
    doc = vespa.documents("procore_record")["id:procore_record:procore_record::inspections:1"]
    assert doc["updated_at"] == doc["created_at"] == int(datetime(2026, 3, 1, 0, 30, tzinfo=timezone.utc).timestamp() * 1000)
    assert "2026-03-01" in doc["metadata"]["updated_at"] and "09:30" in doc["metadata"]["updated_at"]  # as written
    options = SyncOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=state, naive_timezone="Asia/Tokyo")
    assert run_cycle(options).exit_code == 0
    # the watermark is the newest row (its Tokyo "now" is not in the future): not capped at UTC's now,
    # which would leave the last 9 hours of rows above it, read again by every cycle
    newest = query(pg_url, "SELECT max(updated_at)::text FROM inspections")[0][0]
    assert StateStore(state).load_checkpoints().tables["inspections"].sync.watermarks == {"updated_at": newest}
    # an unknown zone: one line naming the setting, the contract's exit code for configuration errors
    bad = run_script("sync_database.py", "--once", "--database-url", pg_url, "--vespa-url", vespa.url,
                     "--state-dir", state, env={"PROCORE_NAIVE_TIMEZONE": "Mars/Olympus_Mons"})
    assert bad.returncode not in (0, 3) and "Traceback" not in bad.stderr
    assert [line for line in bad.stderr.splitlines() if "PROCORE_NAIVE_TIMEZONE" in line and "Mars/Olympus_Mons" in line]
