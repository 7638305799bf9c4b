"""Discovery runs again only when the catalog moves: the catalog fingerprint against real
PostgreSQL for each kind of DDL the sync cares about, the schema map kept in the state
directory, and changes only the catalog sees (COMMENT, enum renames) reaching the index."""

from __future__ import annotations

import json
import logging

import psycopg2
import pytest

from procore_ingest import discover
from procore_ingest.discovery.catalog import catalog_fingerprint
from procore_ingest.discovery.snapshot import schema_from_snapshot, schema_to_snapshot
from procore_ingest.pipeline.ingest import IngestOptions, run_full
from procore_ingest.pipeline.sync import SyncOptions, run_cycle
from tests.helpers import execute, run_script

SCHEMA = """
CREATE TYPE status AS ENUM ('open', 'closed');
CREATE TABLE projects (id bigint PRIMARY KEY, name text);
CREATE TABLE rfis (id bigint PRIMARY KEY, project_id bigint, subject text, status status,
                   s3_key text, updated_at timestamp(3) NOT NULL DEFAULT now());
CREATE TABLE notes (id bigint PRIMARY KEY, body text);
INSERT INTO projects SELECT g, 'project ' || g FROM generate_series(1, 5) g;
INSERT INTO rfis SELECT g, 1 + g % 5, 'rfi ' || g, (ARRAY['open','closed']::status[])[1 + g % 2],
                        '562949953425831/562949954923622/rfis/' || g || '/doc.pdf', '2026-01-01'
  FROM generate_series(1, 40) g;
INSERT INTO notes SELECT g, 'note ' || g FROM generate_series(1, 10) g;
"""

# Each DDL the sync cares about: it changes plans, ids or documents.
DDL = {
    "add column": "ALTER TABLE notes ADD COLUMN author text",
    "drop column": "ALTER TABLE rfis DROP COLUMN s3_key",
    "column type": "ALTER TABLE notes ALTER COLUMN body TYPE varchar(200)",
    "rename column": "ALTER TABLE notes RENAME COLUMN body TO text_body",
    "rename table": "ALTER TABLE notes RENAME TO memos",
    "not null": "ALTER TABLE notes ALTER COLUMN body SET NOT NULL",
    "default": "ALTER TABLE notes ALTER COLUMN body SET DEFAULT 'x'",
    "table comment": "COMMENT ON TABLE rfis IS 'Requests for information'",
    "column comment": "COMMENT ON COLUMN rfis.subject IS 'what is asked'",
    "enum rename": "ALTER TYPE status RENAME VALUE 'open' TO 'opened'",
    "enum add": "ALTER TYPE status ADD VALUE 'draft'",
    "primary key": "ALTER TABLE notes DROP CONSTRAINT notes_pkey",
    "unique index": "CREATE UNIQUE INDEX ON notes (body)",
    "index": "CREATE INDEX ON rfis (updated_at)",
    "foreign key": "ALTER TABLE rfis ADD FOREIGN KEY (project_id) REFERENCES projects (id)",
    "check constraint": "ALTER TABLE notes ADD CHECK (id > 0)",
    "new table": "CREATE TABLE extra (id int PRIMARY KEY)",
    "drop table": "DROP TABLE notes",
    "recreate table": "DROP TABLE notes; CREATE TABLE notes (id bigint PRIMARY KEY, body text)",
    "view": "CREATE VIEW open_rfis AS SELECT * FROM rfis",
    "schema": "CREATE SCHEMA cd; CREATE TABLE cd.members (id int PRIMARY KEY)",
}

# Writes that move rows, not the schema: no discovery for them.
NOT_DDL = {
    "insert": "INSERT INTO notes VALUES (99, 'new')",
    "update": "UPDATE rfis SET subject = 'x' WHERE id = 3",
    "delete": "DELETE FROM notes WHERE id = 4",
    "truncate": "TRUNCATE notes",
    "analyze": "ANALYZE rfis",
    "vacuum full": "VACUUM FULL rfis",
}


def fingerprint(url: str) -> str:
    conn = psycopg2.connect(url)
    try:
        return catalog_fingerprint(conn)
    finally:
        conn.close()


@pytest.mark.parametrize("kind", sorted(DDL))
def test_catalog_fingerprint_moves_on_ddl(pg_url, kind):
    execute(pg_url, SCHEMA)
    before = fingerprint(pg_url)
    assert fingerprint(pg_url) == before  # stable while nothing changes
    execute(pg_url, DDL[kind])
    assert fingerprint(pg_url) != before, kind


def test_catalog_fingerprint_ignores_row_writes(pg_url):
    execute(pg_url, SCHEMA)
    before = fingerprint(pg_url)
    for kind, statement in NOT_DDL.items():
        execute(pg_url, statement)
        assert fingerprint(pg_url) == before, kind


def test_snapshot_round_trip_keeps_the_map_without_sampled_values(pg_url):
    execute(pg_url, SCHEMA + "COMMENT ON TABLE rfis IS 'Requests'; "
                             "ALTER TABLE rfis ADD FOREIGN KEY (project_id) REFERENCES projects (id);")
    schema = discover(pg_url, include_samples=True)
    assert schema.table("rfis").file_reference_columns[0].example  # the live map has them
    snapshot = json.loads(json.dumps(schema_to_snapshot(schema)))
    text = json.dumps(snapshot)
    assert "rfis/1/doc.pdf" not in text and "rfi 1" not in text and "project 1" not in text
    back = schema_from_snapshot(snapshot)
    assert back is not None
    assert back.table("rfis").comment == "Requests"
    assert back.table("rfis").column("status").enum_values == ["open", "closed"]
    assert [f.column_name for f in back.table("rfis").file_reference_columns] == ["s3_key"]
    assert back.relationships == schema.relationships
    assert [t.qualified_name for t in back.tables] == [t.qualified_name for t in schema.tables]
    assert back.table("rfis").samples is None and back.table("rfis").file_reference_columns[0].example is None
    assert schema_from_snapshot({**snapshot, "version": 999}) is None


def rediscoveries(caplog) -> int:
    return sum("discovering it again" in r.getMessage() for r in caplog.records)


def test_sync_discovers_again_only_when_the_catalog_moves(pg_url, vespa, tmp_path, caplog):
    execute(pg_url, SCHEMA)
    state = str(tmp_path / "state")
    assert run_full(IngestOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=state)).exit_code == 0
    options = SyncOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=state)
    caplog.set_level(logging.INFO, logger="procore_ingest")
    assert run_cycle(options).exit_code == 0
    assert rediscoveries(caplog) == 1  # nothing kept yet
    assert (tmp_path / "state" / "schema.json").stat().st_mode & 0o777 == 0o600
    execute(pg_url, "INSERT INTO notes VALUES (99, 'new'); UPDATE rfis SET subject = 'x', updated_at = now()")
    assert run_cycle(options).tables["notes"].inserted == 1
    assert run_cycle(options).exit_code == 0
    assert rediscoveries(caplog) == 1  # rows moved, the catalog did not
    execute(pg_url, "ALTER TABLE notes ADD COLUMN author text")
    result = run_cycle(options)
    assert rediscoveries(caplog) == 2 and result.tables["notes"].mode == "full"


def test_comment_and_enum_rename_reach_the_index(pg_url, vespa, tmp_path):
    """Issue trust, item 7: DDL that moves no counter and no row, through the CLI."""
    execute(pg_url, SCHEMA)
    state = str(tmp_path / "state")
    env = {"PROCORE_DATABASE_URL": pg_url, "VESPA_LOCAL_URL": vespa.url, "PROCORE_STATE_DIR": state}
    assert run_script("ingest_database.py", "--full", "--no-progress", env=env).returncode == 0
    for _ in range(3):  # quiet cycles: the counters and the kept schema settle
        assert run_script("sync_database.py", "--once", env=env).returncode == 0
    execute(pg_url, "COMMENT ON TABLE rfis IS 'Requests for information'; "
                    "ALTER TYPE status RENAME VALUE 'open' TO 'awaiting answer'")
    assert run_script("sync_database.py", "--once", env=env).returncode == 0
    docs = [f for i, f in vespa.documents("procore_record").items() if i.startswith(
        "id:procore_record:procore_record::rfis:")]
    assert len(docs) == 40
    assert {d["table_description"] for d in docs} == {"Requests for information"}
    assert sum("awaiting answer" in d["content_text"] for d in docs) == 20
    table_doc = vespa.documents("procore_schema_metadata")["id:procore_schema_metadata:procore_schema_metadata::table:rfis"]
    # the schema document's description goes on with what the table is called in search
    assert table_doc["table_description"].startswith("Requests for information. Shown in search as")
    verify = run_script("sync_database.py", "--verify", env=env)
    assert verify.returncode == 0, verify.stdout + verify.stderr
