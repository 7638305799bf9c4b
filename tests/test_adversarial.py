"""The generated adversarial database (tests/adversarial.py): discovery names it exactly, a
full ingest makes every row recoverable from its document, and a sync cycle after edits in
every table leaves the index equal to the database. Needs no third-party corpus."""

import json
from collections.abc import Iterator

import pytest

from procore_ingest import discover
from procore_ingest.pipeline.ingest import IngestOptions, run_full
from procore_ingest.pipeline.sync import SyncOptions, run_cycle
from tests.adversarial import TABLES, WITHHELD, build_adversarial_database
from tests.helpers import assert_documents_match_rows, execute, query, run_script
from tests.pgharness import dbname


@pytest.fixture
def adversarial_url(templates, pg_server) -> Iterator[str]:
    url = templates.copy("adversarial", build_adversarial_database)
    yield url
    pg_server.drop_database(dbname(url))


def docs_of(server, table: str) -> list[dict]:
    return [{"fields": f} for f in server.documents("procore_record").values() if f.get("source_table") == table]


def assert_index_equals_database(url: str, server) -> None:
    schema = discover(url)
    for name in TABLES:
        assert_documents_match_rows(url, schema.table(name), docs_of(server, name), WITHHELD.get(name, ()))
    fed = {f["source_table"] for f in server.documents("procore_record").values()}
    assert fed == set(TABLES), "documents of tables that should not be fed (partitions twice?)"


def test_discovery_keeps_every_name_and_key_exactly(adversarial_url):
    schema = discover(adversarial_url)
    for name, key in TABLES.items():
        table = schema.table(name)
        assert table.primary_key == key, name
    readings = schema.table("sales.readings")
    assert readings.kind == "partitioned_table"
    assert readings.partitions == ["readings_2025", "readings_2026"]
    assert schema.table("sales.readings_2026").partition_of is not None
    order = schema.table("Odd Schema.Order")
    assert [c.name for c in order.columns][:5] == ["select", "From", "user id", 'col"quote', "a.b:c"]
    assert schema.table("Odd Schema.Order").row_count == 240
    assert schema.table("sales.readings").row_count == 240


def test_full_ingest_then_sync_after_edits_in_every_table(adversarial_url, vespa, tmp_path):
    result = run_full(IngestOptions(database_url=adversarial_url, vespa_url=vespa.url, state_dir=str(tmp_path),
                                    batch_size=50))
    assert result.exit_code == 0
    assert_index_equals_database(adversarial_url, vespa)
    token = query(adversarial_url, "SELECT api_token FROM sales.line_items LIMIT 1")[0][0]
    assert token not in str(vespa.documents("procore_record"))

    options = SyncOptions(database_url=adversarial_url, vespa_url=vespa.url, state_dir=str(tmp_path), batch_size=50)
    assert run_cycle(options).changes == 0
    execute(adversarial_url, r"""
        INSERT INTO "Odd Schema"."Order" ("select", "From", updated_at) VALUES (9001, 'new', now());
        UPDATE "Odd Schema"."Order" SET "col""quote" = 'edited', updated_at = now() WHERE "select" = 3;
        DELETE FROM "Odd Schema"."Order" WHERE "select" = 4;
        UPDATE "Odd Schema"."weird.name:1" SET "table" = 'edited' WHERE id = 10;
        DELETE FROM "Odd Schema"."weird.name:1" WHERE id = 11;
        INSERT INTO sales.line_items VALUES ('ord|new\', 1, 1, 'n', 'tok-new', now());
        UPDATE sales.line_items SET note = 'edited', updated_at = now() WHERE line_no = 1 AND order_code = 'ord|1\';
        DELETE FROM sales.line_items WHERE order_code = 'ord|2\';
        UPDATE sales.readings SET label = 'moved partition', taken_on = '2026-06-01' WHERE id = 5;
        DELETE FROM sales.readings WHERE id = 6;
        INSERT INTO sales.readings VALUES (9001, '2025-02-02', 1.5, 'new');
        UPDATE "sales.line_items" SET line_no = -1 WHERE order_code = 'ord|3\';
        DELETE FROM audit_trail WHERE actor = 'user1' AND detail->>'n' = '3';
        INSERT INTO audit_trail VALUES (now(), 'intruder', 'drop', '{"n": -1}');
        UPDATE everything SET ints = '{9,9}', blob = '\x00ff', tstz = 'infinity' WHERE id = 7;
        DELETE FROM everything WHERE id = 8;
    """)
    cycle = run_cycle(options)
    assert cycle.exit_code == 0
    assert {n for n, t in cycle.tables.items() if t.changes} == set(TABLES)
    assert_index_equals_database(adversarial_url, vespa)
    assert run_cycle(options).changes == 0


def test_discover_script_reports_odd_names_as_they_are(adversarial_url, tmp_path):
    out = tmp_path
    result = run_script("discover_schema.py", "--database-url", adversarial_url, "--format", "both",
                        "--output", str(out / "schema.json"))
    assert result.returncode == 0, result.stderr
    mapped = json.loads((out / "schema.json").read_text())
    names = {f'{s["name"]}.{t["name"]}' for s in mapped["schemas"] for t in s["tables"]}
    assert {"Odd Schema.Order", "Odd Schema.weird.name:1", "sales.readings", "sales.line_items"} <= names
    markdown = next(out.glob("*.md")).read_text()
    assert "weird.name:1" in markdown and 'col"quote' in markdown
