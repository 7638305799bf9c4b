"""The Mermaid relationship diagram of the Markdown schema report: on the demo database (with and
without formal keys) and on schemas built in memory for the caps and for awkward names."""

import re

import pytest

from procore_ingest import discover
from procore_ingest.discovery.model import (
    FileReferencesSummary,
    Relationship,
    SchemaInfo,
    SchemaMap,
    Table,
)
from procore_ingest.discovery.report import DIAGRAM_MAX_TABLES, to_markdown

# The statements the report writes, in erDiagram's grammar: a quoted entity name holds no `"`,
# `%`, `\` or line break; a link is `"one" ||--o{ "many" : "label"` (`..`: dotted, inferred).
NAME = r'"([^"%\\\r\n]+)"'
LINK = re.compile(rf'^    {NAME} \|\|(--|\.\.)(o\{{|o\|) {NAME} : "([^"%\\\r\n]*)"$')
ENTITY = re.compile(rf"^    {NAME}$")


def diagram(markdown: str) -> tuple[list[tuple[str, str, str, str, str]], list[str], str]:
    """(links as (target, line, many, source, label), lone entities, the text after the block)."""
    section = markdown.split("## Relationship diagram\n", 1)[1]
    block = re.search(r"```mermaid\nerDiagram\n(.*?)```\n(.*?)\n## ", section, re.S)
    assert block, section[:500]
    links, lone = [], []
    for line in block.group(1).splitlines():
        if m := LINK.match(line):
            links.append(m.groups())
        elif m := ENTITY.match(line):
            lone.append(m.group(1))
        else:
            raise AssertionError(f"not an erDiagram statement this report writes: {line!r}")
    return links, lone, block.group(2)


@pytest.mark.parametrize("fixture", ["demo_url", "demo_nofk_url"])
def test_demo_report_draws_every_link_and_marks_inferred_ones(fixture, request):
    schema = discover(request.getfixturevalue(fixture))
    links, lone, after = diagram(to_markdown(schema))
    assert len(links) == len(schema.relationships) and schema.relationships
    drawn = {(source, label.removesuffix(" (inferred)"), target, line) for target, line, _, source, label in links}
    for r in schema.relationships:
        dotted = r.kind == "inferred"
        assert (r.source_table, r.source_column, r.target_table, ".." if dotted else "--") in drawn, r
    for _, line, _, _, label in links:
        assert (line == "..") == label.endswith(" (inferred)")
    related = {r.source_table for r in schema.relationships} | {r.target_table for r in schema.relationships}
    named = {end for target, _, _, source, _ in links for end in (target, source)}
    assert named == related
    # 46 tables is under the cap: the ones without links are drawn on their own, none left out
    tables = {t.qualified_name for t in schema.tables if t.kind == "table"}
    assert set(lone) == tables - related and "Left out" not in after
    if fixture == "demo_nofk_url":
        assert {line for _, line, _, _, _ in links} == {".."}  # no formal keys: every link inferred
    else:
        assert "--" in {line for _, line, _, _, _ in links}


def table(name: str, schema: str = "public") -> Table:
    return Table(schema, name, "table", 0, True, [])


def schema_of(tables: list[Table], links: list[tuple[str, str, str]]) -> SchemaMap:
    by_name = {t.name: t for t in tables}
    rels = [Relationship(by_name[s].schema, s, [col], by_name[t].schema, t, ["id"], "foreign_key")
            for s, col, t in links]
    schemas = sorted({t.schema for t in tables})
    return SchemaMap("2026-12-07T00:00:00Z", "db", "host", "16", [
        SchemaInfo(s, [t for t in tables if t.schema == s]) for s in schemas], rels,
        FileReferencesSummary(0, 0, 0))


def test_a_large_schema_draws_only_linked_tables_up_to_the_cap_and_says_what_is_left_out():
    hubs = [table(f"hub_{i:03}") for i in range(10)]
    spokes = [table(f"spoke_{i:03}") for i in range(DIAGRAM_MAX_TABLES + 20)]
    alone = [table(f"alone_{i:03}") for i in range(25)]
    # every spoke points at one hub; hub_000 gets the most links
    links = [(s.name, "hub_id", hubs[0 if i % 2 else (i // 2) % 10].name) for i, s in enumerate(spokes)]
    schema = schema_of(hubs + spokes + alone, links)
    drawn_links, lone, after = diagram(to_markdown(schema))
    named = {end for target, _, _, source, _ in drawn_links for end in (target, source)}
    assert len(named) == DIAGRAM_MAX_TABLES and not lone
    assert {h.name for h in hubs} <= named  # the most linked are kept
    assert "25 tables without links" in after and "30 linked tables" in after
    assert f"{len(links) - len(drawn_links)} links of tables left out" in after


def test_names_mermaid_cannot_take_are_quoted_and_kept_apart():
    tables = [table("a.b"), table("b", schema="a"), table('we"ird%name'), table("Mixed Case"),
              table("to"), table("parent")]
    links = [("a.b", "parent_id", "parent"), ("b", "parent_id", "parent"),
             ('we"ird%name', "parent_id", "parent"), ("Mixed Case", "to_id", "to")]
    drawn_links, lone, _ = diagram(to_markdown(schema_of(tables, links)))
    sources = [source for _, _, _, source, _ in drawn_links]
    assert len(set(sources)) == 4  # `"a.b"` (public) and `a.b` (schema a) stay two entities
    assert "'a.b'" in sources and "a.b" in sources and "we'ird_name" in sources and "Mixed Case" in sources
