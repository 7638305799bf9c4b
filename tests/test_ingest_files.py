"""Full ingestion to Vespa feed files (file://DIR): documents, selection, dry run, secrets."""

import json
from pathlib import Path

import pytest

from procore_ingest import discover
from procore_ingest.errors import UnknownTableError
from procore_ingest.pipeline.ingest import IngestOptions, dry_run, run_full
from tests.helpers import assert_documents_match_rows, execute, run_script


def read_feed(folder: Path) -> dict[str, list[dict]]:
    out = {}
    for path in sorted(folder.glob("*.jsonl")):
        out[path.stem] = [json.loads(line) for line in path.read_text().splitlines()]
    return out


def test_pagila_every_row_recoverable_from_its_document(pagila_url, tmp_path):
    result = run_full(IngestOptions(database_url=pagila_url, vespa_url=f"file://{tmp_path}/feed",
                                    state_dir=str(tmp_path / "state"), batch_size=1000))
    assert result.exit_code == 0 and result.failed == 0
    assert result.indexed == 49_636
    feed = read_feed(tmp_path / "feed")
    schema = discover(pagila_url)
    assert set(feed) - {"_procore_schema_metadata"} == {t.name for t in schema.tables if t.kind in ("table", "partitioned_table")}
    for name, docs in feed.items():
        if name == "_procore_schema_metadata":
            continue
        table = schema.table(name)
        assert all(d["put"].startswith("id:procore_record:procore_record::" + name + ":") for d in docs)
        withheld = result.withheld_columns.get(name, [])
        assert_documents_match_rows(pagila_url, table, docs, withheld)
    assert result.withheld_columns == {"staff": ["password"]}
    # composite key of the partitioned table: stable "k1|k2" ids, no duplicates
    ids = [d["fields"]["doc_id"] for d in feed["payment"]]
    assert len(set(ids)) == len(ids) == 16_049
    assert "|" in ids[0]


def test_document_fields_follow_the_deployed_conventions(pagila_url, tmp_path):
    run_full(IngestOptions(database_url=pagila_url, vespa_url=f"file://{tmp_path}",
                           state_dir=str(tmp_path / "state"), tables=["film", "language", "inventory"]))
    film = next(d for d in read_feed(tmp_path)["film"] if d["fields"]["source_id"] == "1")
    f = film["fields"]
    assert film["put"] == "id:procore_record:procore_record::film:1"
    assert f["doc_id"] == "film:1" and f["source_table"] == "film"
    assert f["metadata"]["special_features"] == '["Deleted Scenes","Behind the Scenes"]'
    assert f["metadata"]["rating"] == "PG"
    assert f["metadata"]["rental_rate"] == "0.99"
    assert "original_language_id" not in f["metadata"]  # NULL: absent, never "None"
    rel = [json.loads(r) for r in f["relationships"]]
    assert {"target_doc_id": "language:1", "target_table": "language", "source_column": "language_id"}.items() \
        <= next(r for r in rel if r["source_column"] == "language_id").items()
    incoming = {json.loads(r)["source_table"] for r in f["incoming_relationships"]}
    assert {"inventory", "film_actor", "film_category"} <= incoming
    assert "ACADEMY DINOSAUR" in f["content_text"]
    assert f["column_types"]["rental_rate"] == "numeric(4,2)"
    assert isinstance(f["ingested_at"], int)
    schema_docs = {d["put"]: d["fields"] for d in read_feed(tmp_path)["_procore_schema_metadata"]}
    table_doc = schema_docs["id:procore_schema_metadata:procore_schema_metadata::table:film"]
    assert table_doc["primary_key"] == ["film_id"] and table_doc["metadata_type"] == "table"
    assert any(json.loads(c)["name"] == "rating" for c in table_doc["columns"])
    whole = next(v for k, v in schema_docs.items() if "::schema:" in k)
    assert json.loads(whole["schema_summary"])["table_count"] == 3


def test_table_selection_globs_exclusions_and_unknown_names(pagila_url, tmp_path):
    opts = dict(database_url=pagila_url, vespa_url=f"file://{tmp_path}", state_dir=str(tmp_path / "s"))
    result = run_full(IngestOptions(**opts, tables=["film*", "actor"], exclude=["film_category"]))
    assert set(result.tables) == {"film", "film_actor", "actor"}  # the film_list view is not taken by a glob
    view = run_full(IngestOptions(**opts, tables=["film_list"]))
    from tests.helpers import query
    assert set(view.tables) == {"film_list"}
    assert view.indexed == query(pagila_url, "SELECT count(*) FROM film_list")[0][0]
    with pytest.raises(UnknownTableError, match="did you mean actor"):
        run_full(IngestOptions(**opts, tables=["actors"]))
    cli = run_script("ingest_database.py", "--full", "--database-url", pagila_url,
                     "--vespa-url", f"file://{tmp_path}", "--state-dir", str(tmp_path / "s"),
                     "--tables", "flim")
    assert cli.returncode == 4 and "unknown table 'flim'" in cli.stderr and "film" in cli.stderr
    assert "Traceback" not in cli.stderr


def test_dry_run_writes_nothing(pagila_url, tmp_path):
    cli = run_script("ingest_database.py", "--full", "--dry-run", "--database-url", pagila_url,
                     "--vespa-url", f"file://{tmp_path}/feed", "--state-dir", str(tmp_path / "state"),
                     "--tables", "staff", "actor")
    assert cli.returncode == 0, cli.stderr
    from tests.helpers import query
    expected = query(pagila_url, "SELECT (SELECT count(*) FROM staff) + (SELECT count(*) FROM actor)")[0][0]
    assert f"Would ingest {expected:,} records from 2 tables" in cli.stdout
    assert "withheld: password" in cli.stdout
    assert '"put": "id:procore_record:procore_record::actor:1"' in cli.stdout
    assert not (tmp_path / "feed").exists() and not (tmp_path / "state").exists()
    report = dry_run(IngestOptions(database_url=pagila_url, tables=["actor"]))
    assert report.rows == 200 and report.example_documents["actor"]["fields"]["doc_id"] == "actor:1"


def test_secret_columns_are_withheld_and_can_be_opted_in(pg_url, tmp_path):
    execute(pg_url, """
        CREATE TABLE api_credentials (id serial PRIMARY KEY, access_token text, refresh_token text,
                                      token_type text, expires_at timestamp(3));
        INSERT INTO api_credentials (access_token, refresh_token, token_type, expires_at)
        VALUES ('fake-AAAA', 'fake-RRRR', 'Bearer', '2026-01-01 00:00:00');
    """)
    result = run_full(IngestOptions(database_url=pg_url, vespa_url=f"file://{tmp_path}/a",
                                    state_dir=str(tmp_path / "s")))
    text = (tmp_path / "a" / "api_credentials.jsonl").read_text()
    assert "fake-AAAA" not in text and "fake-RRRR" not in text and "Bearer" in text
    assert result.withheld_columns == {"api_credentials": ["access_token", "refresh_token"]}
    state_text = "".join(p.read_text() for p in (tmp_path / "s").rglob("*.json"))
    assert "fake-AAAA" not in state_text
    run_full(IngestOptions(database_url=pg_url, vespa_url=f"file://{tmp_path}/b", state_dir=str(tmp_path / "s"),
                           allow_columns=["api_credentials.refresh_token"]))
    text = (tmp_path / "b" / "api_credentials.jsonl").read_text()
    assert "fake-RRRR" in text and "fake-AAAA" not in text


def test_adversarial_identifiers_and_table_without_key(pg_url, tmp_path):
    execute(pg_url, '''
        CREATE SCHEMA "Odd Schema";
        CREATE TABLE "Odd Schema"."Select" ("from" int PRIMARY KEY, "Mixed Case" text);
        CREATE TABLE public."Select" ("from" int PRIMARY KEY, note text);
        CREATE TABLE "x'); DROP TABLE y; --" (id text PRIMARY KEY, v text);
        CREATE TABLE y (a int);
        CREATE TABLE nokey (a int, b text);
        INSERT INTO "Odd Schema"."Select" VALUES (1, 'odd');
        INSERT INTO public."Select" VALUES (1, 'plain');
        INSERT INTO "x'); DROP TABLE y; --" VALUES ('a|b\\c', 'v');
        INSERT INTO nokey VALUES (1, 'x'), (1, 'x'), (2, 'y');
    ''')
    result = run_full(IngestOptions(database_url=pg_url, vespa_url=f"file://{tmp_path}/f",
                                    state_dir=str(tmp_path / "s")))
    assert result.exit_code == 0
    feed = read_feed(tmp_path / "f")
    ids = {d["fields"]["doc_id"] for docs in feed.values() for d in docs if "source_table" in d["fields"]}
    assert "Odd Schema.Select:1" in ids and "Select:1" in ids  # schemas cannot collide
    assert "x'); DROP TABLE y; --:a\\|b\\\\c" not in ids  # single-column keys are not escaped
    assert "x'); DROP TABLE y; --:a|b\\c" in ids
    nokey = [d["fields"]["doc_id"] for d in feed["nokey"]]
    assert len(nokey) == 3 and len(set(nokey)) == 2 and all(i.startswith("nokey:sha256:") for i in nokey)
    from tests.helpers import query
    assert query(pg_url, "SELECT to_regclass('y') IS NOT NULL")[0][0]  # nothing was executed


def test_demo_database_every_row_recoverable_soft_deleted_left_out(demo_url, tmp_path):
    result = run_full(IngestOptions(database_url=demo_url, vespa_url=f"file://{tmp_path}/feed",
                                    state_dir=str(tmp_path / "state")))
    assert result.exit_code == 0
    feed = read_feed(tmp_path / "feed")
    schema = discover(demo_url)
    soft = {"prime_contracts", "direct_costs"}
    for table in schema.tables:
        docs = feed.get(table.name, [])
        assert_documents_match_rows(demo_url, table, docs, result.withheld_columns.get(table.name, []),
                                    live_only=table.name in soft)
    assert sum(t.soft_deleted for t in result.tables.values()) > 0
    photo = feed["photos"][0]["fields"]
    refs = [json.loads(r) for r in photo["file_references"]]
    assert {r["reference_type"] for r in refs} >= {"s3_key", "url"}
    assert photo["project_id"] > 2**49 and isinstance(photo["updated_at"], int)
