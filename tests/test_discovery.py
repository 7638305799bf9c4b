"""Discovery rules on small databases built for the rule under test, and the CLI contract."""

import json

import pytest

from procore_ingest import discover
from tests.helpers import execute, run_script
from tests.pgharness import dbname, with_database

NO_FK_SCHEMA = """
CREATE TABLE projects (id bigint PRIMARY KEY, name text);
CREATE TABLE categories (id bigint PRIMARY KEY, name text);
CREATE TABLE boxes (id bigint PRIMARY KEY, label text);
CREATE TABLE webhook_hooks (id text PRIMARY KEY, destination_url text);
CREATE TABLE documents (id bigint PRIMARY KEY, parent_id bigint, name text);
CREATE TABLE photos (
    id bigint PRIMARY KEY, project_id bigint NOT NULL, category_id bigint, box_id bigint,
    company_id bigint, hook_id text, title text,
    updated_at timestamp(3), last_synced_at timestamp(3) DEFAULT now(), taken_on date);
CREATE INDEX photos_last_synced_at_idx ON photos (last_synced_at);
INSERT INTO projects VALUES (1, 'Tower'), (2, 'Bridge');
INSERT INTO categories VALUES (10, 'Exterior');
INSERT INTO boxes VALUES (20, 'A');
INSERT INTO webhook_hooks VALUES ('h1', 'https://hooks.example.com/procore/events');
INSERT INTO documents VALUES (100, NULL, 'root'), (101, 100, 'child'), (102, 101, 'leaf');
INSERT INTO photos (id, project_id, category_id, box_id, company_id, hook_id, title) VALUES
  (1, 1, 10, 20, 777, 'h1', 'a'), (2, 2, 10, 20, 777, 'h1', 'b'),
  (3, 2, 10, NULL, 777, 'h1', 'c'), (4, 99, 10, NULL, 777, 'h1', 'd');
"""


def by_source(schema):
    return {(r.source_table, r.source_column): r for r in schema.relationships}


def test_implicit_links_are_inferred_with_confidence(pg_url):
    execute(pg_url, NO_FK_SCHEMA)
    rels = by_source(discover(pg_url))
    project = rels[("photos", "project_id")]
    assert (project.kind, project.target_table, project.target_column) == ("inferred", "projects", "id")
    assert project.sampled_values == 3 and project.matched_values == 2  # 99 dangles
    assert project.confidence == pytest.approx(2 / 3, abs=1e-3)
    assert rels[("photos", "category_id")].target_table == "categories"  # -ies
    assert rels[("photos", "box_id")].target_table == "boxes"  # -es
    assert rels[("documents", "parent_id")].target_table == "documents"  # self reference
    assert rels[("photos", "hook_id")].target_table == "webhook_hooks"  # by suffix, confirmed
    # company_id names an entity that is not mirrored: no relationship, no error
    assert ("photos", "company_id") not in rels


def test_formal_keys_win_over_inference_and_cross_schema_composite_keys(pg_url):
    execute(pg_url, """
        CREATE SCHEMA erp;
        CREATE TABLE erp.vendors (region text, code int, name text, PRIMARY KEY (region, code));
        CREATE TABLE public.invoices (
            id int PRIMARY KEY, vendor_region text, vendor_code int,
            FOREIGN KEY (vendor_region, vendor_code) REFERENCES erp.vendors (region, code));
        CREATE TABLE public.projects (id int PRIMARY KEY);
        CREATE TABLE public.tasks (id int PRIMARY KEY, project_id int REFERENCES projects (id));
    """)
    schema = discover(pg_url)
    composite = [r for r in schema.relationships if r.source_table == "invoices"]
    assert len(composite) == 1
    rel = composite[0]
    assert rel.kind == "foreign_key" and rel.target_schema == "erp" and rel.target_table == "vendors"
    assert rel.source_columns == ["vendor_region", "vendor_code"]
    assert rel.to_dict()["source_column"] == "vendor_region,vendor_code"
    task_links = [r for r in schema.relationships if r.source_table == "tasks"]
    assert [(r.kind, r.target_table) for r in task_links] == [("foreign_key", "projects")]


def test_change_tracking_columns_and_index_support(pg_url):
    execute(pg_url, NO_FK_SCHEMA)
    photos = discover(pg_url).table("photos")
    ts = {t.name: t for t in photos.timestamp_columns}
    assert set(ts) == {"updated_at", "last_synced_at", "taken_on"}
    assert ts["updated_at"].is_change_tracking and not ts["updated_at"].indexed
    assert ts["last_synced_at"].is_change_tracking and ts["last_synced_at"].indexed
    assert not ts["taken_on"].is_change_tracking


FILE_SCHEMA = r"""
CREATE TABLE attachments (
    id bigint PRIMARY KEY,
    s3_key text, doc_uri text, s3_https text, url text, destination_url text, notes text,
    attachment_s3_keys jsonb, image_keys jsonb, extra_files text[], custom_fields jsonb);
INSERT INTO attachments VALUES
 (1, '5629/5630/photos/1/IMG_1128.jpg', 's3://procore-files/a/b/spec.pdf',
     'https://procore-files.s3.us-east-2.amazonaws.com/5629/5630/x.pdf',
     'https://storage.procore.com/api/v5/files/us-east-1/1?companyId=1&projectId=2&sig=abc',
     'https://hooks.example.com/procore/webhook', 'Replaced the chiller; see the report.',
     '{"5629510221": "5629/5630/change_orders/1/CO11.pdf", "5629510222": "5629/5630/change_orders/1/CO12.pdf"}',
     '["5629/5630/images/1/a.png", "5629/5630/images/1/b.png"]',
     ARRAY['5629/5630/files/1/a.txt', '5629/5630/files/1/b.txt', NULL], '{"color": "red"}'),
 (2, '5629/5631/photos/2/IMG_1128.jpg', NULL, NULL,
     'https://storage.procore.com/api/v5/files/us-east-1/2?companyId=1&projectId=3&sig=def',
     'https://hooks.example.com/procore/webhook', 'No issues.',
     '{"5629510223": "", "5629510224": null, "5629510225": "5629/5631/change_orders/2/CO1.pdf"}',
     '[]', ARRAY[]::text[], NULL),
 (3, '', NULL, NULL, NULL, NULL, NULL, '{}', NULL, NULL, NULL),
 (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (5, NULL, NULL, NULL, NULL, NULL, NULL, '"not an object"', NULL, NULL, NULL);
CREATE TABLE submittal_attachments (id bigint PRIMARY KEY, s3_key text, filename text);
"""


def test_file_reference_columns_detected_and_counted(pg_url):
    execute(pg_url, FILE_SCHEMA)
    schema = discover(pg_url)
    found = {f.column_name: f for f in schema.table("attachments").file_reference_columns}
    assert {k: f.reference_type for k, f in found.items()} == {
        "s3_key": "s3_key",
        "doc_uri": "s3_uri",
        "s3_https": "s3_url",
        "url": "url",
        "attachment_s3_keys": "jsonb_s3_key_map",
        "image_keys": "jsonb_s3_key_array",
        "extra_files": "text_array_s3_keys",
    }
    # a webhook endpoint and free text are not files
    assert "destination_url" not in found and "notes" not in found and "custom_fields" not in found
    # real references: empty strings, JSON nulls, {} and non-objects are not counted
    assert found["attachment_s3_keys"].reference_count == 3
    assert found["attachment_s3_keys"].rows_with_references == 3  # rows 1, 2 and the string
    assert found["s3_key"].reference_count == 2
    assert found["extra_files"].reference_count == 2
    assert found["image_keys"].reference_count == 2
    assert found["s3_key"].pattern == "{n}/{n}/photos/{n}/{file}"
    assert found["attachment_s3_keys"].pattern == "{file_id: {n}/{n}/change_orders/{n}/{file}}"
    # an empty table keeps a column whose name is unambiguous, flagged as name-only
    empty = {f.column_name: f for f in schema.table("submittal_attachments").file_reference_columns}
    assert empty["s3_key"].detected_by == "name" and empty["s3_key"].reference_count == 0
    summary = schema.file_references_summary
    assert summary.tables_with_files == 2
    assert summary.total_columns == 8
    assert summary.estimated_file_count == 2 + 1 + 1 + 2 + 3 + 2 + 2


def test_row_count_exact_below_threshold_estimated_above(pg_url):
    execute(pg_url, "CREATE TABLE big AS SELECT g AS id FROM generate_series(1, 5000) g; ANALYZE big;")
    exact = discover(pg_url).table("big")
    assert (exact.row_count, exact.row_count_exact) == (5000, True)
    estimated = discover(pg_url, exact_count_threshold=100).table("big")
    assert estimated.row_count_exact is False
    assert 4000 <= estimated.row_count <= 6000


def test_stats_and_samples_with_secrets_redacted(pg_url):
    execute(pg_url, """
        CREATE TABLE api_credentials (id serial PRIMARY KEY, access_token text, refresh_token text,
                                      token_type text, expires_at timestamp(3), blob bytea);
        INSERT INTO api_credentials (access_token, refresh_token, token_type, expires_at, blob)
        SELECT 'fake-access-' || g, 'fake-refresh-' || g, 'Bearer', '2026-01-01', '\\x0102'
        FROM generate_series(1, 7) g;
        INSERT INTO api_credentials (access_token, token_type, expires_at) VALUES ('fake-x', 'Bearer', '2026-02-01');
    """)
    schema = discover(pg_url, include_samples=True)
    table = schema.table("api_credentials")
    assert len(table.samples) == 5
    assert [s["id"] for s in table.samples] == [1, 2, 3, 4, 5]
    assert all(s["access_token"] == "[REDACTED]" and s["refresh_token"] == "[REDACTED]" for s in table.samples)
    assert table.samples[0]["token_type"] == "Bearer"
    assert table.samples[0]["blob"] == "<bytea, 2 bytes>"
    assert "fake-access" not in schema.to_json() and "fake-refresh" not in schema.to_markdown()
    refresh = table.column("refresh_token").stats
    assert refresh.null_fraction == pytest.approx(1 / 8)
    expires = table.column("expires_at").stats
    assert expires.min_value.startswith("2026-01-01") and expires.max_value.startswith("2026-02-01")
    assert discover(pg_url, include_stats=False).table("api_credentials").column("id").stats is None


# --- the command line --------------------------------------------------------------------


def test_cli_json_to_stdout_by_default_with_contract_keys(pg_url):
    execute(pg_url, NO_FK_SCHEMA)
    result = run_script("discover_schema.py", "--database-url", pg_url)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report) >= {"discovery_timestamp", "database_name", "database_host", "schemas",
                           "relationships", "file_references_summary"}
    table = next(t for t in report["schemas"][0]["tables"] if t["name"] == "photos")
    assert set(table) >= {"name", "row_count", "columns", "timestamp_columns", "file_reference_columns"}
    assert set(table["columns"][0]) >= {"name", "data_type", "is_nullable", "default_value"}
    rel = report["relationships"][0]
    assert set(rel) >= {"source_table", "source_column", "target_table", "target_column", "kind"}
    assert "INFO:" in result.stderr and "\t" in result.stderr  # the contract's log format


def test_cli_reads_database_url_from_env_and_dotenv(pg_url, tmp_path):
    execute(pg_url, NO_FK_SCHEMA)
    (tmp_path / ".env").write_text(f"PROCORE_DATABASE_URL={pg_url}\n")
    result = run_script("discover_schema.py", "--format", "markdown", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# Schema report:")
    # the environment wins over .env
    result = run_script("discover_schema.py", cwd=tmp_path,
                        env={"PROCORE_DATABASE_URL": "postgresql://u:pw@127.0.0.1:1/none"})
    assert result.returncode == 1


def test_cli_both_formats_to_files_and_stdout(pg_url, tmp_path):
    execute(pg_url, NO_FK_SCHEMA)
    out = tmp_path / "schema-map.json"
    result = run_script("discover_schema.py", "--database-url", pg_url, "--format", "both",
                        "--output", str(out))
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "schema-map.json").read_text())["database_name"]
    assert (tmp_path / "schema-map.md").read_text().startswith("# Schema report")
    assert str(tmp_path / "schema-map.md") in result.stderr
    both = run_script("discover_schema.py", "--database-url", pg_url, "--format", "both")
    assert both.stdout.startswith("{") and "# Schema report" in both.stdout
    assert both.stdout.index("{") < both.stdout.index("# Schema report")


def test_cli_unwritable_output_is_exit_3_before_connecting(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = run_script("discover_schema.py", "--database-url", "postgresql://u:pw@127.0.0.1:1/x",
                        "--output", str(blocker / "report.json"))
    assert result.returncode == 3
    assert "Traceback" not in result.stderr and "cannot write" in result.stderr
    result = run_script("discover_schema.py", "--database-url", "postgresql://u:pw@127.0.0.1:1/x",
                        "--output", str(tmp_path))
    assert result.returncode == 3


def test_cli_unreachable_host_is_exit_1_without_password(tmp_path):
    result = run_script("discover_schema.py", "--database-url",
                        "postgresql://reader:s3cr3t-pw@127.0.0.1:1/procore_int_v2")
    assert result.returncode == 1
    assert "s3cr3t-pw" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    assert len([ln for ln in result.stderr.splitlines() if ln.startswith("ERROR")]) == 1
    result = run_script("discover_schema.py", "--database-url", "not a url at all")
    assert result.returncode == 1 and "Traceback" not in result.stderr


def test_cli_missing_database_is_exit_1(pg_url):
    result = run_script("discover_schema.py", "--database-url", with_database(pg_url, "no_such_db"))
    assert result.returncode == 1
    assert "no_such_db" in result.stderr


def test_select_only_role_sees_formal_keys_and_unreadable_table_gives_exit_2(pg_url, tmp_path):
    execute(pg_url, """
        CREATE TABLE projects (id bigint PRIMARY KEY, name text);
        CREATE TABLE photos (id bigint PRIMARY KEY, project_id bigint REFERENCES projects(id));
        CREATE TABLE api_credentials (id int PRIMARY KEY, access_token text);
        INSERT INTO projects VALUES (1, 'p'); INSERT INTO photos VALUES (1, 1);
        DROP ROLE IF EXISTS pi_reader;
        CREATE ROLE pi_reader LOGIN PASSWORD 'reader-pw';
        GRANT SELECT ON projects, photos TO pi_reader;
    """)
    reader_url = with_database(pg_url, dbname(pg_url), user="pi_reader", password="reader-pw")
    try:
        # information_schema hides the key from this role; pg_catalog does not
        from tests.helpers import query
        hidden = query(reader_url, "SELECT count(*) FROM information_schema.table_constraints"
                                   " WHERE constraint_type = 'FOREIGN KEY'")
        assert hidden == [(0,)]
        schema = discover(reader_url)
        assert [(r.kind, r.source_table, r.target_table) for r in schema.relationships] == [
            ("foreign_key", "photos", "projects")]
        creds = schema.table("api_credentials")
        assert creds.readable is False and creds.row_count is None
        out = tmp_path / "report.json"
        result = run_script("discover_schema.py", "--database-url", reader_url, "--output", str(out))
        assert result.returncode == 2
        assert "api_credentials" in result.stderr and "WARNING" in result.stderr
        report = json.loads(out.read_text())
        tables = {t["name"]: t for t in report["schemas"][0]["tables"]}
        assert tables["api_credentials"]["readable"] is False
        assert tables["photos"]["row_count"] == 1
        assert "reader-pw" not in out.read_text() + result.stderr
    finally:
        execute(pg_url, "DROP OWNED BY pi_reader; DROP ROLE pi_reader;")


def test_adversarial_identifiers(pg_url):
    execute(pg_url, '''
        CREATE SCHEMA "Weird Schema";
        CREATE TABLE "Weird Schema"."Select" ("from" int PRIMARY KEY, "Mixed Case" text, "user_id" int);
        CREATE TABLE "users; DROP TABLE x; --" (id int PRIMARY KEY, "order" text);
        INSERT INTO "Weird Schema"."Select" VALUES (1, 'a/b/c.pdf', 1);
        INSERT INTO "users; DROP TABLE x; --" VALUES (1, 'o');
    ''')
    schema = discover(pg_url, include_samples=True)
    weird = schema.table('Weird Schema.Select')
    assert weird.row_count == 1 and weird.samples[0]["Mixed Case"] == "a/b/c.pdf"
    assert weird.file_reference_columns[0].column_name == "Mixed Case"
    assert schema.table("users; DROP TABLE x; --").row_count == 1
