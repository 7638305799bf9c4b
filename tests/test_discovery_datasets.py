"""Discovery against real sample databases nobody here wrote."""

import pytest

from procore_ingest import discover
from procore_ingest.discovery.model import SchemaMap


def fks(schema: SchemaMap, kind="foreign_key"):
    return {(r.source_table, r.source_column, r.target_table, r.target_column)
            for r in schema.relationships if r.kind == kind}


def test_pagila_kinds_partitions_enums_domains_arrays(pagila_url):
    schema = discover(pagila_url)
    kinds = {t.name: t.kind for t in schema.tables}
    assert kinds["payment"] == "partitioned_table"
    assert kinds["actor_info"] == "view" and kinds["film_list"] == "view"
    assert kinds["rental_by_category"] == "materialized_view"
    assert sum(k == "view" for k in kinds.values()) == 7
    payment = schema.table("payment")
    assert payment.partitions == [f"payment_p2022_0{i}" for i in range(1, 8)]
    assert schema.table("payment_p2022_03").partition_of == "payment"
    assert schema.table("payment_p2022_03").kind == "partition"
    assert payment.primary_key == ["payment_date", "payment_id"]
    # the parent's count covers its partitions
    assert payment.row_count == 16_049 and payment.row_count_exact

    film = schema.table("film")
    rating = film.column("rating")
    assert rating.data_type == "mpaa_rating" and rating.base_type == "enum"
    assert rating.enum_values == ["G", "PG", "PG-13", "R", "NC-17"]
    year = film.column("release_year")
    assert year.data_type == "year" and year.base_type == "integer"
    features = film.column("special_features")
    assert features.is_array and features.data_type == "text[]" and features.element_type == "text"
    assert film.column("rental_rate").data_type == "numeric(4,2)"
    assert [c.ordinal_position for c in film.columns] == sorted(c.ordinal_position for c in film.columns)
    assert film.column("title").is_nullable is False


def test_pagila_formal_foreign_keys_including_partitions(pagila_url):
    schema = discover(pagila_url)
    formal = fks(schema)
    assert len(formal) == 36
    assert ("payment_p2022_01", "customer_id", "customer", "customer_id") in formal
    assert ("film", "original_language_id", "language", "language_id") in formal
    # the partitioned parent has no formal keys: its links are inferred, with evidence
    inferred = {r.source_column: r for r in schema.relationships
                if r.kind == "inferred" and r.source_table == "payment"}
    assert inferred["customer_id"].target_table == "customer"
    assert inferred["customer_id"].confidence == 1.0
    assert inferred["customer_id"].sampled_values > 0


def test_pagila_unpopulated_materialized_view_is_reported_not_fatal(pagila_url):
    schema = discover(pagila_url)
    mv = schema.table("rental_by_category")
    assert mv.row_count is None and "not been populated" in mv.read_error
    assert any("rental_by_category" in w for w in schema.warnings)


def test_pagila_timestamp_columns_and_index_support(pagila_url):
    schema = discover(pagila_url)
    rental = schema.table("rental")
    by_name = {t.name: t for t in rental.timestamp_columns}
    assert set(by_name) == {"rental_date", "return_date", "last_update"}
    assert by_name["last_update"].is_change_tracking
    assert not by_name["rental_date"].is_change_tracking
    assert by_name["rental_date"].indexed  # leads idx_unq_rental_rental_date_inventory_id_customer_id
    assert not by_name["last_update"].indexed
    assert rental.to_dict()["timestamp_columns"] == ["rental_date", "return_date", "last_update"]


def test_chinook_composite_primary_key_and_self_reference(chinook_url):
    schema = discover(chinook_url)
    assert schema.table("playlist_track").primary_key == ["playlist_id", "track_id"]
    assert ("employee", "reports_to", "employee", "employee_id") in fks(schema)
    assert len(fks(schema)) == 11
    assert schema.table("track").row_count == 3503


def test_northwind_empty_tables_bytea_and_file_url(northwind_url):
    schema = discover(northwind_url)
    assert schema.table("customer_demographics").row_count == 0
    assert schema.table("categories").column("picture").data_type == "bytea"
    photo_path = {f.column_name: f for f in schema.table("employees").file_reference_columns}
    assert photo_path["photo_path"].reference_type == "url"
    assert photo_path["photo_path"].reference_count == 9
    assert schema.file_references_summary.estimated_file_count == 9


def test_pgexercises_non_public_schema(pgexercises_url):
    schema = discover(pgexercises_url)
    names = {s.name: [t.name for t in s.tables] for s in schema.schemas}
    assert sorted(names["cd"]) == ["bookings", "facilities", "members"]
    members = schema.table("cd.members")
    assert members.qualified_name == "cd.members"
    assert ("members", "recommendedby", "members", "memid") in fks(schema)
    rel = next(r for r in schema.relationships if r.source_column == "recommendedby")
    assert rel.on_delete == "SET NULL" and rel.source_schema == "cd"


def test_iso3166_table_without_primary_key_is_flagged(iso3166_url):
    schema = discover(iso3166_url)
    assert schema.table("subcountry").primary_key == []
    assert schema.table("subcountry").unique_constraints == [["country", "subcountry_name"]]
    assert any("subcountry" in w and "primary key" in w for w in schema.warnings)
    assert ("subcountry", "country", "country", "two_letter") in fks(schema)


@pytest.mark.parametrize("fixture", ["pagila_url", "chinook_url", "northwind_url",
                                     "pgexercises_url", "iso3166_url"])
def test_markdown_report_names_every_table(fixture, request):
    schema = discover(request.getfixturevalue(fixture))
    text = schema.to_markdown()
    for table in schema.tables:
        if table.kind != "partition":
            assert f"`{table.qualified_name}`" in text
    assert text.startswith(f"# Schema report: {schema.database_name}")
