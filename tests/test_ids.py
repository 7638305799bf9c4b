"""Document ids: unambiguous across table names, nothing secret in them, unchanged for the rest."""

import hashlib
import json
import os
import stat
from pathlib import Path

from procore_ingest.pipeline.ingest import IngestOptions, run_full
from procore_ingest.pipeline.sync import SyncOptions, run_cycle
from tests.helpers import execute, run_script

FIXTURES = Path(__file__).parent / "fixtures"
PREFIX = "id:procore_record:procore_record::"
TOKEN = "tok_live_8f3a9c0e5d7b41a2"


def fed_ids(feed: Path) -> dict[str, set[str]]:
    ids: dict[str, set[str]] = {}
    for path in sorted(feed.glob("*.jsonl")):
        for line in path.read_text().splitlines():
            op = json.loads(line)
            if "put" in op and op["put"].startswith(PREFIX):
                ids.setdefault(op["fields"]["source_table"], set()).add(op["put"])
    return ids


def test_demo_ids_are_what_they_were(demo_url, tmp_path):
    """tests/fixtures/demo_record_ids.json: the ids commit 115032f (before ids were encoded or
    hashed) fed for the demo database, per table: count, sha256 of the sorted ids, first id."""
    result = run_full(IngestOptions(database_url=demo_url, vespa_url=f"file://{tmp_path}/feed",
                                    state_dir=str(tmp_path / "state")))
    assert result.exit_code == 0
    expected = json.loads((FIXTURES / "demo_record_ids.json").read_text())
    got = {t: {"count": len(v), "sha256": hashlib.sha256("\n".join(sorted(v)).encode()).hexdigest(),
               "first": sorted(v)[0]} for t, v in sorted(fed_ids(tmp_path / "feed").items())}
    assert got == expected


TOKENS = f"""
CREATE TABLE api_tokens (token text PRIMARY KEY, owner text, updated_at timestamp(3) NOT NULL DEFAULT now());
INSERT INTO api_tokens VALUES ('{TOKEN}', 'alice'), ('tok_live_0000000000000002', 'bob');
CREATE TABLE token_uses (id int PRIMARY KEY, api_token text REFERENCES api_tokens (token), used_for text);
INSERT INTO token_uses VALUES (1, '{TOKEN}', 'deploy');
CREATE TABLE webhook_log (event text, signing_secret text);
INSERT INTO webhook_log VALUES ('created', 'whsec_first_value');
"""


def everything_written(vespa, tmp_path) -> str:
    docs = json.dumps(vespa.documents("procore_record")) + json.dumps(vespa.documents("procore_schema_metadata"))
    files = [p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file()]
    return docs + "\n".join(files)


def test_secret_key_never_appears_in_ids_documents_or_state(pg_url, vespa, tmp_path, monkeypatch):
    monkeypatch.delenv("PROCORE_ID_KEY", raising=False)
    execute(pg_url, TOKENS)
    state = str(tmp_path / "state")
    assert run_full(IngestOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=state)).exit_code == 0
    docs = vespa.documents("procore_record")
    tokens = {i: d for i, d in docs.items() if d["source_table"] == "api_tokens"}
    assert len(tokens) == 2
    assert all(i.startswith(PREFIX + "api_tokens:hmac-sha256:") for i in tokens)
    assert {d["source_id"] for d in tokens.values()} == {i[len(PREFIX + "api_tokens:"):] for i in tokens}
    assert sorted(d["metadata"]["owner"] for d in tokens.values()) == ["alice", "bob"]
    (use,) = [d for d in docs.values() if d["source_table"] == "token_uses"]
    (link,) = [json.loads(r) for r in use["relationships"]]
    assert PREFIX + link["target_doc_id"] in tokens  # the link still leads to the row's document
    key_file = Path(state) / "id.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    # a sync cycle that sees the row change keeps the same ids
    execute(pg_url, f"UPDATE api_tokens SET owner = 'carol', updated_at = now() WHERE token = '{TOKEN}'")
    cycle = run_cycle(SyncOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=state))
    assert cycle.exit_code == 0
    after = {i: d for i, d in vespa.documents("procore_record").items() if d["source_table"] == "api_tokens"}
    assert set(after) == set(tokens) and "carol" in json.dumps(after)
    # a put Vespa rejects stays pending without its key, and lands the cycle after
    execute(pg_url, f"UPDATE api_tokens SET owner = 'dave', updated_at = now() WHERE token = '{TOKEN}'")
    vespa.reject_ids(lambda i: i.startswith("api_tokens:"), status=400, message="rejected for the test")
    options = SyncOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=state)
    rejected = run_cycle(options)
    assert rejected.exit_code == 3 and rejected.failed == 1
    assert TOKEN not in (Path(state) / "checkpoints.json").read_text()
    vespa.clear_faults()
    assert run_cycle(options).exit_code == 0
    final = {i: d for i, d in vespa.documents("procore_record").items() if d["source_table"] == "api_tokens"}
    assert set(final) == set(tokens) and "dave" in json.dumps(final)
    written = everything_written(vespa, tmp_path)
    assert TOKEN not in written and "tok_live_0000000000000002" not in written
    assert "whsec_first_value" not in written


def test_same_id_key_same_ids(pg_url, vespa, tmp_path, monkeypatch):
    execute(pg_url, TOKENS)
    monkeypatch.setenv("PROCORE_ID_KEY", "deployment-key-1")
    run_full(IngestOptions(database_url=pg_url, vespa_url=f"file://{tmp_path}/one", state_dir=str(tmp_path / "s1")))
    run_full(IngestOptions(database_url=pg_url, vespa_url=f"file://{tmp_path}/two", state_dir=str(tmp_path / "s2")))
    one, two = fed_ids(tmp_path / "one"), fed_ids(tmp_path / "two")
    assert one["api_tokens"] == two["api_tokens"]
    assert not (tmp_path / "s1" / "id.key").exists()  # the key came from the environment
    monkeypatch.setenv("PROCORE_ID_KEY", "deployment-key-2")
    run_full(IngestOptions(database_url=pg_url, vespa_url=f"file://{tmp_path}/three", state_dir=str(tmp_path / "s3")))
    assert fed_ids(tmp_path / "three")["api_tokens"].isdisjoint(one["api_tokens"])


def test_keyless_row_keeps_its_id_when_only_a_secret_column_changes(pg_url, vespa, tmp_path):
    execute(pg_url, TOKENS)
    options = IngestOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=str(tmp_path / "state"),
                            tables=["webhook_log"])
    run_full(options)
    before = {i for i, d in vespa.documents("procore_record").items() if d["source_table"] == "webhook_log"}
    execute(pg_url, "UPDATE webhook_log SET signing_secret = 'whsec_rotated_value'")
    run_full(options)
    after = {i for i, d in vespa.documents("procore_record").items() if d["source_table"] == "webhook_log"}
    assert len(before) == 1 and after == before


COLLIDING = """
CREATE SCHEMA a;
CREATE TABLE a.b (id int PRIMARY KEY, label text);
CREATE TABLE public."a.b" (id int PRIMARY KEY, label text);
CREATE TABLE public."c:1" (id int PRIMARY KEY, label text);
CREATE TABLE public.c (id text PRIMARY KEY, label text);
CREATE TABLE public."d/e" (id int PRIMARY KEY, label text);
CREATE TABLE public."d_e" (id int PRIMARY KEY, label text);
INSERT INTO a.b VALUES (1, 'schema a, table b'), (2, 'schema a, table b');
INSERT INTO public."a.b" VALUES (1, 'public table a.b'), (2, 'public table a.b');
INSERT INTO public."c:1" VALUES (2, 'table c:1');
INSERT INTO public.c VALUES ('1:2', 'table c');
INSERT INTO public."d/e" VALUES (1, 'table d/e');
INSERT INTO public."d_e" VALUES (1, 'table d_e');
"""


def test_colliding_table_names_get_distinct_ids_and_all_rows_land(pg_url, vespa, tmp_path):
    execute(pg_url, COLLIDING)
    result = run_full(IngestOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=str(tmp_path / "state")))
    assert result.exit_code == 0
    docs = vespa.documents("procore_record")
    assert len(docs) == 8, sorted(docs)
    assert sorted(d["metadata"]["label"] for d in docs.values()) == sorted(
        ["schema a, table b"] * 2 + ["public table a.b"] * 2 + ["table c:1", "table c", "table d/e", "table d_e"])
    assert PREFIX + "a.b:1" in docs and PREFIX + "a%2Eb:1" in docs
    assert PREFIX + "c%3A1:2" in docs and PREFIX + "c:1:2" in docs
    # a second full load removes nothing that belongs to the other table of a similar name
    again = run_full(IngestOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=str(tmp_path / "state")))
    assert again.exit_code == 0 and len(vespa.documents("procore_record")) == 8
    # the same through feed files (one file per table)
    feed = run_script("ingest_database.py", "--full", "--vespa-url", f"file://{tmp_path}/feed",
                      env={"PROCORE_DATABASE_URL": pg_url, "PROCORE_STATE_DIR": str(tmp_path / "s2"),
                           "PATH": os.environ["PATH"]})
    assert feed.returncode == 0, feed.stderr
    assert sum(len(v) for v in fed_ids(tmp_path / "feed").values()) == 8
