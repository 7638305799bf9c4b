"""Display names, naming columns and context links: the rules over a schema map."""

from __future__ import annotations

import pytest

from procore_ingest import discover
from procore_ingest.discovery.model import (
    Column,
    FileReferencesSummary,
    Relationship,
    SchemaInfo,
    SchemaMap,
    Table,
)
from procore_ingest.discovery.naming import (
    display_name,
    name_columns,
    name_of,
    readable_table_name,
    table_namings,
)
from procore_ingest.documents.context import KIND_LINES, context_lines
from procore_ingest.settings import TableSettings


def col(name: str, data_type: str = "text", position: int = 1) -> Column:
    return Column(name=name, data_type=data_type, is_nullable=True, default_value=None,
                  ordinal_position=position)


def table(name: str, *columns: str | tuple[str, str], key: str = "id") -> Table:
    cols = [col(key, "bigint", 1)]
    for i, c in enumerate(columns, start=2):
        n, t = (c, "text") if isinstance(c, str) else c
        cols.append(col(n, t, i))
    return Table(schema="public", name=name, kind="table", row_count=1, row_count_exact=True,
                 columns=cols, primary_key=[key])


def link(source: str, column: str, target: str, key: str = "id", kind: str = "foreign_key") -> Relationship:
    return Relationship(source_schema="public", source_table=source, source_columns=[column],
                        target_schema="public", target_table=target, target_columns=[key], kind=kind)  # type: ignore[arg-type]


def schema_of(tables: list[Table], rels: list[Relationship]) -> SchemaMap:
    return SchemaMap(discovery_timestamp="t", database_name="db", database_host="h", server_version="16",
                     schemas=[SchemaInfo("public", tables)], relationships=rels,
                     file_references_summary=FileReferencesSummary(0, 0, 0))


def test_display_names_are_procore_words_or_the_readable_table_name() -> None:
    assert display_name(table("rfis")) == "RFI"
    assert display_name(table("drawing_revisions")) == "Drawing revision"
    assert display_name(table("photos")) == "Photo"
    assert display_name(table("submittals")) == "Submittal"
    assert readable_table_name("invoice_line") == "Invoice line"
    assert readable_table_name("categories") == "Category"
    assert readable_table_name("addresses") == "Address"
    assert readable_table_name("MediaType") == "Media type"
    assert readable_table_name("status") == "Status"


def test_name_columns_follow_the_documented_rule() -> None:
    assert name_columns(table("projects", "name", "display_name", "project_number", "address")) == (
        "project_number", "display_name")
    assert name_columns(table("rfis", "number", "subject", "question")) == ("number", "subject")
    assert name_columns(table("employee", "last_name", "first_name", "title")) == ("first_name", "last_name")
    assert name_columns(table("city", "city")) == ("city",)
    assert name_columns(table("categories", "category_name", "description")) == ("category_name",)
    assert name_columns(table("suppliers", "company_name", "contact_name")) == ("company_name",)
    assert name_columns(table("owner_invoices", ("number", "integer"), "status")) == ("number",)
    # no name: no prose, no ids, no free text
    assert name_columns(table("invoice_line", ("invoice_id", "integer"), ("quantity", "integer"))) == ()
    assert name_columns(table("notes", "body", "description")) == ()


def test_name_columns_never_secret_withheld_or_not_text() -> None:
    assert name_columns(table("accounts", "name", "api_token")) == ("name",)
    assert name_columns(table("keys", "secret_name", "token_name")) == ()
    assert name_columns(table("people", "name", "title"), withheld=["name"]) == ("title",)
    assert name_columns(table("things", ("name", "bytea"), ("title", "jsonb"))) == ()
    assert name_columns(table("things", ("number", "uuid"), "title")) == ("title",)


def test_name_of_joins_number_and_name_without_repeats() -> None:
    assert name_of(["042-17-311", "Riverside Tower"]) == "042-17-311 Riverside Tower"
    assert name_of(["537-18-141", "537-18-141 Failed AHU-1"]) == "537-18-141 Failed AHU-1"
    assert name_of([None, "  Led   Zeppelin\n IV "]) == "Led Zeppelin IV"
    assert name_of([None, ""]) is None
    assert name_of([7, "Pay app"]) == "7 Pay app"
    long = name_of(["x" * 500])
    assert long is not None and len(long) == 160 and long.endswith("…")


def test_context_lines_render_kind_and_named_links_only() -> None:
    # the kind line KIND_LINES times (a weight: one ranked field has no field boosts), then links
    assert KIND_LINES == 2
    assert context_lines("RFI", [("project", "042-17-311 Riverside Tower"), ("vendor", None),
                                 ("drawing", "A-101\nFloor  plan")]) == [
        "RFI", "RFI", "project: 042-17-311 Riverside Tower", "drawing: A-101 Floor plan"]
    assert context_lines("", []) == []
    # a name another line already shows is not repeated; a name inside another one is kept
    assert context_lines("Requisition", [("vendor", "Acme  Electric"), ("commitment vendor", "Acme Electric")]) == [
        "Requisition", "Requisition", "vendor: Acme Electric"]
    assert context_lines("Product", [("supplier", "New England Seafood Cannery"), ("category", "Seafood")]) == [
        "Product", "Product", "supplier: New England Seafood Cannery", "category: Seafood"]
    assert context_lines("Photo", [("project", "bad\x00byte")]) == ["Photo", "Photo", "project: bad byte"]


def music() -> SchemaMap:
    tables = [table("artist", "name", "api_token"), table("album", "title", ("artist_id", "integer")),
              table("genre", "name"),
              table("track", "name", ("album_id", "integer"), ("genre_id", "integer"), "composer"),
              table("invoice", ("customer_id", "integer"), "billing_city"),
              table("customer", "first_name", "last_name", ("support_rep_id", "integer")),
              table("employee", "first_name", "last_name", ("reports_to", "integer")),
              table("invoice_line", ("invoice_id", "integer"), ("track_id", "integer"))]
    rels = [link("album", "artist_id", "artist"), link("track", "album_id", "album"),
            link("track", "genre_id", "genre"), link("invoice", "customer_id", "customer"),
            link("customer", "support_rep_id", "employee"), link("employee", "reports_to", "employee"),
            link("invoice_line", "invoice_id", "invoice"), link("invoice_line", "track_id", "track")]
    return schema_of(tables, rels)


def described(schema: SchemaMap, **kw) -> dict[str, list[tuple[str, list[str]]]]:
    return {name: [(link.label, [h.source_column for h in link.hops]) for link in naming.context_links]
            for name, naming in table_namings(schema, **kw).items()}


def test_context_links_follow_a_second_link_and_stop_at_depth() -> None:
    links = described(music())
    assert links["track"] == [("album", ["album_id"]), ("genre", ["genre_id"]), ("artist", ["album_id", "artist_id"])]
    # invoice has no name of its own: a line is named through it (customer), and its track
    assert links["invoice_line"] == [("track", ["track_id"]), ("customer", ["invoice_id", "customer_id"]),
                                     ("album", ["track_id", "album_id"]), ("genre", ["track_id", "genre_id"])]
    assert links["artist"] == [] and links["genre"] == []  # a table with no links
    one = described(music(), depth=1)
    assert one["track"] == [("album", ["album_id"]), ("genre", ["genre_id"])]
    assert one["invoice_line"] == [("track", ["track_id"])]
    assert described(music(), depth=0)["track"] == []


def test_a_self_link_names_the_parent_only() -> None:
    links = described(music(), depth=3)
    # the manager, never the manager's manager (the self-link is not followed again)
    assert links["employee"] == [("reports to", ["reports_to"])]
    assert links["customer"] == [("support rep", ["support_rep_id"])]


def test_a_cycle_of_links_ends() -> None:
    tables = [table("a", "name", ("b_id", "integer")), table("b", "name", ("c_id", "integer")),
              table("c", "name", ("a_id", "integer"))]
    rels = [link("a", "b_id", "b"), link("b", "c_id", "c"), link("c", "a_id", "a")]
    links = described(schema_of(tables, rels), depth=3)
    assert links["a"] == [("b", ["b_id"]), ("c", ["b_id", "c_id"])]  # never back to a
    assert links["c"] == [("a", ["a_id"]), ("b", ["a_id", "b_id"])]


def test_settings_override_display_name_name_columns_and_links() -> None:
    settings = {"track": TableSettings(display_name="Song", context_links=["genre_id"], content_columns=["name"]),
                "artist": TableSettings(name_columns=["name", "api_token", "nope"]),
                "genre": TableSettings(name_columns=[])}
    namings = table_namings(music(), settings=settings)
    assert namings["track"].display_name == "Song"
    assert namings["track"].content_columns == ("name",) and namings["album"].content_columns is None
    assert namings["artist"].name_columns == ("name",)  # a secret column is never a name
    # genre has no name any more, so the only link kept (genre_id) names nothing
    assert namings["track"].context_links == ()
    assert [ln.label for ln in namings["album"].context_links] == ["artist"]


def test_inferred_links_count_composite_and_secret_keyed_links_do_not() -> None:
    tables = [table("projects", "name"), table("rfis", "subject", ("project_id", "bigint")),
              table("pairs", ("x", "integer"), ("y", "integer"), "name")]
    composite = Relationship("public", "rfis", ["project_id", "subject"], "public", "pairs", ["x", "y"],
                             "foreign_key")
    secret = link("rfis", "subject", "pairs", key="api_token")
    rels = [link("rfis", "project_id", "projects", kind="inferred"), composite, secret]
    assert described(schema_of(tables, rels))["rfis"] == [("project", ["project_id"])]  # never by a secret key


@pytest.mark.parametrize("database", ["chinook", "northwind", "pagila"])
def test_defaults_on_sample_databases(database: str, request) -> None:
    schema = discover(request.getfixturevalue(f"{database}_url"))
    namings = table_namings(schema)
    expect = {
        "chinook": {"track": ("Track", ("name",), {"album", "media type", "genre", "artist"}),
                    "invoice_line": ("Invoice line", (), {"track", "customer", "album", "media type", "genre"}),
                    "employee": ("Employee", ("first_name", "last_name"), {"reports to"}),
                    "artist": ("Artist", ("name",), set())},
        "northwind": {"orders": ("Order", ("ship_name",), {"customer", "employee", "ship via"}),
                      "products": ("Product", ("product_name",), {"supplier", "category"}),
                      "employees": ("Employee", ("first_name", "last_name"), {"reports to"})},
        "pagila": {"rental": ("Rental", (), {"customer", "staff", "film"}),
                   "city": ("City", ("city",), {"country"}),
                   "film": ("Film", ("title",), {"language", "original language"})},
    }[database]
    for name, (display, columns, labels) in expect.items():
        got = namings[name]
        assert (got.display_name, got.name_columns) == (display, columns), name
        assert labels <= {ln.label for ln in got.context_links}, (name, got.describe())
