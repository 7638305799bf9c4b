"""What a row is called, and which linked rows' names it carries: rules over a `SchemaMap`.

People search with the names of things: "Riverside Tower RFI conduit", "Led Zeppelin stairway".
A row's own columns rarely hold those words, so its search text also says what kind of record
it is (the table's display name) and names the rows it links to (`project: 042-17-311
Riverside Tower`). This module decides, per table and without reading a row:

- the **display name**: Procore's own word for a Procore table ("RFI", "Drawing revision"),
  else the table name made readable (`invoice_line` -> "Invoice line");
- the **naming columns**: the columns whose values name a row (the rule is `name_columns`);
- the **context links**: the many-to-one links (formal foreign keys and inferred `*_id` links)
  whose targets' names go into the row's search text, following a second link from a linked
  row (rental -> inventory -> film, track -> album -> artist) up to `depth`.

Every choice can be overridden per table (`[tables.<name>]` of the configuration file:
settings.TableSettings). Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..settings import TableSettings
from .model import Column, Relationship, SchemaMap, Table, qualify
from .sensitive import is_secret_column

DEFAULT_CONTEXT_DEPTH = 2
MAX_CONTEXT_DEPTH = 3  # beyond that a name says little about the row and costs a query per hop

# Procore's own words for the tables of the Procore mirror (procore_schema.prisma), where the
# readable table name is not what Procore users say. Other tables (and databases) get the
# readable table name, which for most Procore tables is already the word users know.
PROCORE_DISPLAY_NAMES: dict[str, str] = {
    "rfis": "RFI",
    "commitment_contracts": "Commitment (subcontract, purchase order)",
    "commitment_contract_items": "Commitment line item",
    "commitment_change_order_items": "Commitment change order line item",
    "prime_contracts": "Prime contract",
    "prime_contract_line_items": "Prime contract line item",
    "prime_contract_change_orders": "Prime contract change order",
    "requisitions": "Subcontractor invoice (requisition)",
    "owner_invoices": "Owner invoice (payment application)",
    "direct_cost_items": "Direct cost line item",
    "company_users": "Directory user",
    "vendors": "Vendor (directory company)",
    "specification_section_divisions": "Specification division",
    "project_users": "Project user",
    "daily_logs": "Daily log",
    "change_events": "Change event",
    "budget_line_items": "Budget line item",
    "_prisma_migrations": "Prisma migration",
    "api_credentials": "API credential",
}

_TEXT_TYPES = frozenset({"text", "character varying", "varchar", "character", "char", "bpchar",
                         "name", "citext"})
_INTEGER_TYPES = frozenset({"smallint", "integer", "bigint", "int2", "int4", "int8"})
_VALUE_MAX_CHARS = 160  # a name longer than this is prose, not a name: cut


@dataclass(frozen=True)
class Hop:
    """One many-to-one step: `source.source_column` = `target.target_column`."""

    source: str  # qualified table name
    source_column: str
    target: str  # qualified table name
    target_column: str
    target_schema: str  # the target's schema and name, for SQL identifiers
    target_table: str
    key_type: str  # the target column's type as PostgreSQL spells it, for `= ANY(%s::type[])`


@dataclass(frozen=True)
class ContextLink:
    """A linked row whose name goes into a row's search text as `label: name`."""

    label: str  # "project", "vendor", "artist"
    hops: tuple[Hop, ...]  # one per link followed; the name is read from the last hop's target
    name_columns: tuple[str, ...]  # the naming columns of the last hop's target

    @property
    def target(self) -> str:
        return self.hops[-1].target

    @property
    def column(self) -> str:
        """The row's own column the link starts from (what `context_links` settings name)."""
        return self.hops[0].source_column

    def describe(self) -> str:
        """`project_id -> projects` or `inventory_id -> inventory.film_id -> film`."""
        parts = [self.hops[0].source_column] + [f"{hop.source}.{hop.source_column}" for hop in self.hops[1:]]
        return " -> ".join([*parts, self.target]) + f" (as {self.label!r})"


@dataclass(frozen=True)
class TableNaming:
    """A table's display name, naming columns and context links, as chosen or configured."""

    display_name: str
    name_columns: tuple[str, ...]
    context_links: tuple[ContextLink, ...]
    # the columns whose text goes into content_text (a `content_columns` setting); None: every
    # text-like column (documents/content.py decides which are)
    content_columns: tuple[str, ...] | None = None

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"display_name": self.display_name, "name_columns": list(self.name_columns),
                               "context_links": [link.describe() for link in self.context_links]}
        if self.content_columns is not None:
            out["content_columns"] = list(self.content_columns)
        return out


def singular(word: str) -> str:
    """`projects` -> `project`, `entries` -> `entry`, `addresses` -> `address`, `status` stays."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


def readable_table_name(name: str) -> str:
    """`invoice_line` -> "Invoice line", `drawing_revisions` -> "Drawing revision",
    `MediaType` -> "Media type"."""
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).strip("_").lower().split("_")
    words = [w for w in words if w] or [name]
    words[-1] = singular(words[-1])
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def display_name(table: Table) -> str:
    """Procore's word for a Procore table, else the readable table name."""
    return PROCORE_DISPLAY_NAMES.get(table.name) or readable_table_name(table.name)


def _type_of(column: Column) -> str:
    base = column.effective_type.split("(")[0].strip().lower()
    return base


def _is_text(column: Column) -> bool:
    if column.is_array:
        return False
    return _type_of(column) in _TEXT_TYPES or column.base_type == "enum" or column.type_category == "S"


def _usable(column: Column, withheld: Collection[str]) -> bool:
    return column.name not in withheld and not is_secret_column(column.name)


def name_columns(table: Table, withheld: Collection[str] = ()) -> tuple[str, ...]:
    """The columns whose values name a row of `table`, by this rule (first match wins):

    1. a name: the first text column called `display_name`, `full_name`, `name`, then the
       pair `first_name` + `last_name`, then `title`, `subject`, `label`, the table's own
       singular name (`city.city`, `country.country`), `<table>_name` (`category_name` of
       `categories`), `company_name`, then any other `*_name` but `first_name`, `last_name`,
       `user_name`, `file_name`/`filename`; last, `<table>_description` (`territory_description`
       of `territories`);
    2. before it, a number when the table has one: `number`, `<table>_number` or
       `<last word of table>_number` (`project_number`, `drawing_number`, `revision_number`),
       text or integer.

    Never an id, a secret-looking or withheld column, a column that is not text (but for the
    number). A table none of these columns matches has no name: its rows are named through
    their own links (a second hop), never by their whole text.
    """
    columns = {c.name.lower(): c for c in table.columns if _usable(c, withheld)}
    text = {n: c for n, c in columns.items() if _is_text(c)}
    stem = singular(table.name.lower())
    last = stem.split("_")[-1]

    chosen: list[str] = []
    for candidate in ("number", f"{stem}_number", f"{last}_number"):
        column = columns.get(candidate)
        if column is not None and (candidate in text or _type_of(column) in _INTEGER_TYPES):
            chosen.append(column.name)
            break

    name: list[str] = []
    for candidate in ("display_name", "full_name", "name"):
        if candidate in text:
            name = [text[candidate].name]
            break
    if not name and "first_name" in text and "last_name" in text:
        name = [text["first_name"].name, text["last_name"].name]
    if not name:
        for candidate in ("title", "subject", "label", stem, f"{stem}_name", "company_name"):
            if candidate in text:
                name = [text[candidate].name]
                break
    if not name:
        skip = {"first_name", "last_name", "user_name", "file_name", "filename"}
        name = [c.name for n, c in text.items() if n.endswith("_name") and n not in skip][:1]
    if not name and f"{stem}_description" in text:  # northwind's territories and region
        name = [text[f"{stem}_description"].name]
    return tuple(chosen + name)


def _label(column: str) -> str:
    """`project_id` -> "project", `reports_to` -> "reports to", `ParentId` -> "parent"."""
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", column).lower()
    words = re.sub(r"_?id$", "", words).strip("_") or column.lower()
    return words.replace("_", " ")


def _many_to_one(rel: Relationship) -> bool:
    # one link column: the names of linked rows are read with `= ANY(...)` on one key column;
    # never through a secret-looking key (its values would land in sync's state of names)
    return (rel.cardinality in ("many_to_one", "one_to_one") and len(rel.source_columns) == 1
            and len(rel.target_columns) == 1 and not is_secret_column(rel.source_columns[0])
            and not is_secret_column(rel.target_columns[0]))


def _hop(rel: Relationship, key_types: Mapping[tuple[str, str, str], str]) -> Hop:
    target_column = rel.target_columns[0]
    return Hop(qualify(rel.source_schema, rel.source_table), rel.source_columns[0],
               qualify(rel.target_schema, rel.target_table), target_column, rel.target_schema,
               rel.target_table, key_types.get((rel.target_schema, rel.target_table, target_column), "text"))


class LinkIndex:
    """The many-to-one links of a schema by source table, and its key columns' types: made once
    for all tables (a schema may have a thousand)."""

    def __init__(self, schema: SchemaMap) -> None:
        self.by_source: dict[str, list[Relationship]] = {}
        for rel in schema.relationships:
            if _many_to_one(rel):
                self.by_source.setdefault(qualify(rel.source_schema, rel.source_table), []).append(rel)
        targets = {(r.target_schema, r.target_table, r.target_columns[0]) for r in schema.relationships}
        self.key_types = {(t.schema, t.name, c.name): c.data_type for t in schema.tables
                          for c in t.columns if (t.schema, t.name, c.name) in targets}


def context_links(schema: SchemaMap, table: Table, names: Mapping[str, Sequence[str]],
                  depth: int = DEFAULT_CONTEXT_DEPTH, only: Collection[str] | None = None,
                  links_index: LinkIndex | None = None) -> tuple[ContextLink, ...]:
    """The links whose targets name a row of `table`, in column order.

    - Depth 1: every many-to-one link of the row (formal or inferred) whose target has naming
      columns (`names`: qualified table -> its naming columns). A self-link (`employee.
      reports_to`) is one of them: it names the manager, never the manager's manager.
    - Depth 2 (and more, up to `depth`): from each linked row, its own many-to-one links, but
      never back to `table` itself, never a self-link, never to a table the row already names
      through a shorter path (a cycle of links ends there) and only to a table with naming
      columns. So rental -> inventory -> film and track -> album -> artist, while an RFI names
      its project once, not again through its drawing.
    - `only`: the row's link columns to keep (a `context_links` setting); None keeps all.

    Each link is labelled by its column (`project_id` -> "project"); a label already used gets
    the previous hop's label in front ("album artist").
    """
    depth = max(0, min(depth, MAX_CONTEXT_DEPTH))
    me = table.qualified_name
    index = links_index or LinkIndex(schema)
    by_source, key_types = index.by_source, index.key_types
    order = {c.name: i for i, c in enumerate(table.columns)}
    first = sorted((r for r in by_source.get(me, []) if only is None or r.source_columns[0] in only),
                   key=lambda r: (order.get(r.source_columns[0], len(order)), r.target_table))
    links: list[ContextLink] = []
    labels: set[str] = set()
    named_tables: set[str] = set()
    frontier: list[tuple[tuple[Hop, ...], str]] = []  # (path, its label) to follow further
    seen_columns: set[str] = set()
    for rel in first:
        hop = _hop(rel, key_types)
        if hop.source_column in seen_columns:
            continue  # two links from one column (formal and inferred): the first
        seen_columns.add(hop.source_column)
        label = _label(hop.source_column)
        if depth >= 1 and names.get(hop.target):
            links.append(ContextLink(_unique(label, labels, ""), (hop,), tuple(names[hop.target])))
            named_tables.add(hop.target)
        if hop.target != me:
            frontier.append(((hop,), label))
    for _level in range(2, depth + 1):
        later: list[tuple[tuple[Hop, ...], str]] = []
        found: list[ContextLink] = []
        for path, path_label in frontier:
            here = path[-1].target
            visited = {h.source for h in path} | {here}
            for rel in sorted(by_source.get(here, []), key=lambda r: (r.source_columns[0], r.target_table)):
                hop = _hop(rel, key_types)
                if hop.target in visited or hop.target == me or hop.target in named_tables:
                    continue
                label = _label(hop.source_column)
                if names.get(hop.target):
                    found.append(ContextLink(_unique(label, labels, path_label), (*path, hop),
                                             tuple(names[hop.target])))
                later.append(((*path, hop), label))
        for link in found:
            if link.target not in named_tables:
                links.append(link)
                named_tables.add(link.target)
            else:
                labels.discard(link.label)
        frontier = later
    return tuple(links)


def _unique(label: str, used: set[str], before: str) -> str:
    if label in used and before:
        label = f"{before} {label}"
    while label in used:
        label += "'"
    used.add(label)
    return label


def table_namings(schema: SchemaMap, tables: Sequence[Table] | None = None,
                  settings: Mapping[str, TableSettings] | None = None,
                  depth: int = DEFAULT_CONTEXT_DEPTH,
                  withheld: Mapping[str, Collection[str]] | None = None) -> dict[str, TableNaming]:
    """`TableNaming` of each of `tables` (default: every table), by qualified name.

    `settings` maps a table's name to its `[tables.<name>]` settings (settings.TableSettings):
    `display_name`, `name_columns`, `context_links` (the row's link columns to keep; `[]`:
    none) and `content_columns` (the columns whose text goes into content_text); secret-looking,
    withheld and missing columns are never used, whatever they say. `withheld` maps a table to
    its withheld columns. `depth`: how many links are followed (`[documents] context_depth`).
    """
    settings = settings or {}
    withheld = withheld or {}
    everything = schema.tables
    names: dict[str, tuple[str, ...]] = {}
    for t in everything:
        configured = settings[t.qualified_name].name_columns if t.qualified_name in settings else None
        hidden = withheld.get(t.qualified_name, ())
        if configured is not None:
            usable = {c.name for c in t.columns if _usable(c, hidden)}
            names[t.qualified_name] = tuple(c for c in configured if c in usable)
        else:
            names[t.qualified_name] = name_columns(t, hidden) if t.readable else ()
    out: dict[str, TableNaming] = {}
    index = LinkIndex(schema)
    for t in tables if tables is not None else everything:
        own = settings.get(t.qualified_name) or TableSettings()
        only = own.context_links
        out[t.qualified_name] = TableNaming(
            display_name=own.display_name or display_name(t),
            name_columns=names[t.qualified_name],
            context_links=context_links(schema, t, names, depth, None if only is None else set(only), index),
            content_columns=None if own.content_columns is None else tuple(own.content_columns),
        )
    return out


def name_of(values: Sequence[Any]) -> str | None:
    """The name shown for a linked row from the values of its naming columns: non-empty values
    joined by a space (a number already inside the name is not repeated), at most
    160 characters; None when there is nothing to show."""
    parts: list[str] = []
    for value in values:
        if value is None:
            continue
        text = " ".join(str(value).split())
        if text and not any(text in p for p in parts):
            parts = [p for p in parts if p not in text]
            parts.append(text)
    if not parts:
        return None
    name = " ".join(parts)
    return name if len(name) <= _VALUE_MAX_CHARS else name[: _VALUE_MAX_CHARS - 1].rstrip() + "…"
