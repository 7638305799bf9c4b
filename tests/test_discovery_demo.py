"""Discovery of the Procore-shaped demo database, with and without formal foreign keys."""

import pytest

from procore_ingest import discover

# Links the Procore database relies on (docs/documents.md), including the ones naive name
# matching gets wrong; with no formal keys, all must be inferred from names and data.
IMPLICIT_LINKS = {
    ("commitment_change_orders", "contract_id"): "commitment_contracts",
    ("requisitions", "commitment_id"): "commitment_contracts",
    ("invoice_submissions", "commitment_id"): "commitment_contracts",
    ("project_users", "user_id"): "company_users",
    ("integration_response_events", "request_id"): "integration_request_events",
    ("webhook_triggers", "hook_id"): "webhook_hooks",
    ("documents", "parent_id"): "documents",
    ("vendors", "parent_id"): "vendors",
    ("prime_contracts", "vendor_id"): "vendors",
    ("specification_section_revisions", "specification_section_division_id"): "specification_section_divisions",
    ("direct_cost_items", "project_id"): "projects",
    ("specification_sections", "current_revision_id"): "specification_section_revisions",
    ("commitment_change_order_items", "commitment_line_item_id"): "commitment_contract_items",
    ("commitment_change_order_items", "prime_line_item_id"): "prime_contract_line_items",
    ("project_roles", "user_id"): "company_users",
    ("webhook_health_metrics", "hook_id"): "webhook_hooks",
}

FILE_COLUMNS = {
    ("photos", "s3_key"): "s3_key", ("drawing_revisions", "s3_key"): "s3_key",
    ("specification_section_revisions", "s3_key"): "s3_key", ("submittal_attachments", "s3_key"): "s3_key",
    ("change_orders", "attachment_s3_keys"): "jsonb_s3_key_map",
    ("change_events", "attachment_s3_keys"): "jsonb_s3_key_map",
    ("commitment_contracts", "attachments_s3_keys"): "jsonb_s3_key_map",
    ("commitment_change_orders", "attachments_s3_keys"): "jsonb_s3_key_map",
    ("requisitions", "attachments_s3_keys"): "jsonb_s3_key_map",
    ("direct_costs", "attachments_s3_keys"): "jsonb_s3_key_map",
    ("rfis", "official_response_attachment_s3_keys"): "jsonb_s3_key_map",
    ("submittals", "official_response_attachment_s3_keys"): "jsonb_s3_key_map",
    ("photos", "url"): "url", ("photos", "thumbnail_url"): "url", ("documents", "url"): "url",
    ("specification_section_divisions", "url"): "url", ("company_users", "avatar_url"): "url",
}


def links(schema, kind):
    return {(r.source_table, r.source_column): r for r in schema.relationships if r.kind == kind}


def test_without_foreign_keys_every_implicit_link_is_inferred(demo_nofk_url):
    schema = discover(demo_nofk_url)
    assert not links(schema, "foreign_key")
    inferred = links(schema, "inferred")
    for source, target in IMPLICIT_LINKS.items():
        assert source in inferred, f"{source} not inferred"
        assert inferred[source].target_table == target, source
        assert inferred[source].target_column == "id"
    # dangling values are normal here; they lower the confidence, they do not hide the link
    assert 0.5 < inferred[("prime_contracts", "vendor_id")].confidence < 1.0
    # entities that are not mirrored are not relationships
    assert not any(col in ("company_id", "cost_code_id", "created_by_id") for _, col in inferred)


def test_with_foreign_keys_formal_keys_are_read_and_not_inferred_again(demo_url):
    schema = discover(demo_url)
    formal = links(schema, "foreign_key")
    assert len(formal) == 57
    assert formal[("budget_line_items", "budget_view_id")].on_delete == "CASCADE"
    inferred = links(schema, "inferred")
    assert not set(formal) & set(inferred)
    # links Prisma never declared are still found
    assert inferred[("prime_contracts", "vendor_id")].target_table == "vendors"
    assert inferred[("specification_sections", "current_revision_id")].target_table == "specification_section_revisions"


def test_demo_tables_types_counts_and_change_tracking(demo_url):
    schema = discover(demo_url)
    tables = {t.name: t for t in schema.tables}
    assert len(tables) == 46 and "_prisma_migrations" in tables
    assert all(t.row_count_exact for t in tables.values())
    photos = tables["photos"]
    assert photos.column("updated_at").data_type == "timestamp(3) without time zone"
    assert tables["direct_costs"].column("attachment_ids").data_type == "bigint[]"
    assert tables["budget_line_items"].column("revised_budget").data_type == "numeric(15,2)"
    assert tables["project_users"].column("id").data_type == "text"
    tracked = {c.name: c.indexed for c in photos.change_tracking_columns}
    assert tracked == {"updated_at": False, "last_synced_at": True}
    assert [c.name for c in tables["project_roles"].change_tracking_columns] == ["last_synced_at"]
    assert tables["sync_events"].change_tracking_columns == []
    assert {t.name for t in tables["sync_events"].timestamp_columns} >= {"start_time", "completion_time"}
    assert tables["projects"].row_count == 31
    assert sum(t.row_count for t in tables.values()) > 40_000


def test_demo_file_reference_columns_match_the_facts(demo_url):
    schema = discover(demo_url)
    found = {(t.name, f.column_name): f for t in schema.tables for f in t.file_reference_columns}
    assert {k: f.reference_type for k, f in found.items()} == FILE_COLUMNS
    assert ("webhook_hooks", "destination_url") not in found  # an endpoint, not a file
    assert found[("photos", "s3_key")].pattern == "{n}/{n}/photos/{n}/{file}"
    from tests.helpers import query
    entries = query(demo_url, """SELECT count(*) FROM change_orders, jsonb_each_text(attachment_s3_keys) e
                                 WHERE jsonb_typeof(attachment_s3_keys) = 'object' AND e.value <> ''""")[0][0]
    assert found[("change_orders", "attachment_s3_keys")].reference_count == entries
    summary = schema.file_references_summary
    assert summary.total_columns == len(FILE_COLUMNS)
    assert summary.estimated_file_count == sum(f.reference_count for f in found.values())


def test_demo_samples_never_show_credentials(demo_url):
    schema = discover(demo_url, include_samples=True)
    creds = schema.table("api_credentials")
    assert creds.samples and all(s["access_token"] == "[REDACTED]" for s in creds.samples)
    from tests.helpers import query
    token = query(demo_url, "SELECT access_token FROM api_credentials LIMIT 1")[0][0]
    assert token not in schema.to_json() and token not in schema.to_markdown()


@pytest.mark.parametrize("fmt", ["json", "markdown"])
def test_demo_report_via_cli(demo_url, tmp_path, fmt):
    from tests.helpers import run_script
    out = tmp_path / ("r.json" if fmt == "json" else "r.md")
    result = run_script("discover_schema.py", "--database-url", demo_url, "--format", fmt, "--output", str(out))
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert "photos" in text and "commitment_contracts" in text
