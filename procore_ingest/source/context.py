"""The names of the rows a batch of rows links to: the context lines of their documents.

For each context link (`discovery.naming.ContextLink`) the batch's distinct link values are
looked up in the linked table with one `WHERE key = ANY(%s)` query per hop (read-only, in the
transaction the batch was read in, so names and rows come from one snapshot); a linked table
reached by several links is read once per batch with the columns all of them need.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from psycopg2 import sql

from ..discovery.naming import ContextLink, Hop, name_of
from ..plan import TablePlan

# per row: (label, name of the linked row or None) of each context link (documents/context.py)
ContextNames = tuple[tuple[str, str | None], ...]

_Target = tuple[str, str, str, str]  # schema, table, key column, key type


def _target(hop: Hop) -> _Target:
    return hop.target_schema, hop.target_table, hop.target_column, hop.key_type


class ContextReader:
    """Reads, for a batch of rows, the names their context links show."""

    def __init__(self, links: Sequence[ContextLink]) -> None:
        self.links = tuple(links)
        needed: dict[_Target, dict[str, None]] = {}
        for link in self.links:
            for i, hop in enumerate(link.hops):
                wanted = link.name_columns if i == len(link.hops) - 1 else (link.hops[i + 1].source_column,)
                needed.setdefault(_target(hop), {}).update(dict.fromkeys(wanted))
        self.columns = {target: list(cols) for target, cols in needed.items()}
        self.source_columns = tuple(dict.fromkeys(link.column for link in self.links))

    def __bool__(self) -> bool:
        return bool(self.links)

    def names(self, conn: Any, rows: Sequence[Mapping[str, Any]]) -> list[ContextNames]:
        """Per row, `(label, name or None)` of each link, in link order."""
        if not self.links:
            return [() for _ in rows]
        fetched: dict[_Target, dict[Any, dict[str, Any]]] = {}
        per_link: list[list[str | None]] = []
        for link in self.links:
            current: list[Any] = [row.get(link.column) for row in rows]
            for i, hop in enumerate(link.hops):
                target = _target(hop)
                found = self._fetch(conn, target, current, fetched.setdefault(target, {}))
                linked = [_get(found, v) for v in current]
                if i < len(link.hops) - 1:
                    step = link.hops[i + 1].source_column
                    current = [r.get(step) if r is not None else None for r in linked]
                else:
                    per_link.append([name_of([r.get(c) for c in link.name_columns]) if r is not None else None
                                     for r in linked])
        labels = [link.label for link in self.links]
        return [tuple(zip(labels, (names[i] for names in per_link), strict=True)) for i in range(len(rows))]

    def _fetch(self, conn: Any, target: _Target, values: Iterable[Any],
               known: dict[Any, dict[str, Any]]) -> dict[Any, dict[str, Any]]:
        """`known`, completed with the rows of `target` whose key is one of `values` (a value
        with no row is remembered as missing: it is not asked for again in this batch)."""
        wanted = [v for v in dict.fromkeys(v for v in values if v is not None and _hashable(v)) if v not in known]
        if not wanted:
            return known
        schema, table, key, key_type = target
        columns = self.columns[target]
        query = sql.SQL("SELECT {key}, {cols} FROM {table} WHERE {key} = ANY(%s::{type}[])").format(
            key=sql.Identifier(key), cols=sql.SQL(", ").join(sql.Identifier(c) for c in columns),
            table=sql.Identifier(schema, table), type=sql.SQL(key_type))
        for v in wanted:
            known[v] = {}  # missing until found
        with conn.cursor() as cur:
            cur.execute(query, (wanted,))
            for found in cur.fetchall():
                known[found[0]] = dict(zip(columns, found[1:], strict=True))
        return known


def _hashable(value: Any) -> bool:
    return isinstance(value, Hashable)


def _get(found: Mapping[Any, dict[str, Any]], value: Any) -> dict[str, Any] | None:
    if value is None or not _hashable(value):
        return None
    return found.get(value) or None


def context_of(conn: Any, rows: Sequence[Mapping[str, Any]], plan: TablePlan) -> list[ContextNames]:
    """Per row, the names its context links show, read on `conn` (in the transaction the
    rows were read in: one snapshot)."""
    links = plan.context_links
    return ContextReader(links).names(conn, rows) if links and rows else [() for _ in rows]


# --- keeping context true: which rows show a name that moved -----------------------------------


@dataclass(frozen=True)
class ContextTarget:
    """A table whose rows other rows' context shows: the columns that shape what they show
    (its naming columns where a link ends there; the next link's column where one passes
    through, so a re-parenting moves it too)."""

    name: str  # qualified
    schema: str
    table: str
    key_column: str
    key_type: str
    columns: tuple[str, ...]

    @property
    def where(self) -> tuple[str, str]:
        """(table, key column): what `dependent_rows` finds moved keys by."""
        return self.name, self.key_column


def context_targets(plans: Sequence[TablePlan]) -> list[ContextTarget]:
    """Every (table, key column) the plans' context links pass through or end at."""
    found: dict[tuple[str, str], dict[str, None]] = {}
    hops: dict[tuple[str, str], Hop] = {}
    for plan in plans:
        for link in plan.context_links:
            for i, hop in enumerate(link.hops):
                wanted = link.name_columns if i == len(link.hops) - 1 else (link.hops[i + 1].source_column,)
                where = (hop.target, hop.target_column)
                found.setdefault(where, {}).update(dict.fromkeys(wanted))
                hops[where] = hop
    return [ContextTarget(target, hops[(target, key)].target_schema, hops[(target, key)].target_table, key,
                          hops[(target, key)].key_type, tuple(columns))
            for (target, key), columns in sorted(found.items())]

def name_digests(conn: Any, target: ContextTarget) -> dict[str, str]:
    """key (as text) -> digest of the columns that shape what its row shows others, for every
    row of `target`: computed in the database, 16 hex characters a row travel."""
    query = sql.SQL("SELECT {key}::text, left(md5(ROW({cols})::text), 16) FROM {table} WHERE {key} IS NOT NULL").format(
        key=sql.Identifier(target.key_column), cols=sql.SQL(", ").join(sql.Identifier(c) for c in target.columns),
        table=sql.Identifier(target.schema, target.table))
    with conn.cursor() as cur:
        cur.execute(query)
        return dict(cur.fetchall())


def dependents_query(plan: TablePlan, link: ContextLink, position: int,
                     keys: Sequence[str]) -> tuple[sql.Composable, list[Any]]:
    """SELECT of the rows of `plan`'s table whose `link` passes, at hop `position`, through a
    row of that hop's target keyed by one of `keys` (keys as text, cast to the key's type)."""
    hop = link.hops[position]
    condition: sql.Composable = sql.SQL("{} = ANY(%s::{}[])").format(sql.Identifier(hop.source_column),
                                                                     sql.SQL(hop.key_type))
    for inner in range(position - 1, -1, -1):  # from the changed row back to the row itself
        step = link.hops[inner]
        condition = sql.SQL("{col} IN (SELECT {key} FROM {table} WHERE {cond})").format(
            col=sql.Identifier(step.source_column), key=sql.Identifier(step.target_column),
            table=sql.Identifier(step.target_schema, step.target_table), cond=condition)
    query = sql.SQL("SELECT {cols} FROM {table} WHERE {cond}").format(
        cols=sql.SQL(", ").join(sql.Identifier(c.name) for c in plan.table.columns),
        table=sql.Identifier(plan.table.schema, plan.table.name), cond=condition)
    return query, [list(keys)]


def dependent_rows(conn: Any, plan: TablePlan, moved: Mapping[tuple[str, str], set[str]]) -> list[dict[str, Any]]:
    """The rows of `plan`'s table whose context shows a row that moved (`moved`: (table, key
    column) -> keys whose digest changed, appeared or disappeared), each once, read on `conn`."""
    rows: dict[Any, dict[str, Any]] = {}
    names = [c.name for c in plan.table.columns]
    for link in plan.context_links:
        for position, hop in enumerate(link.hops):
            keys = moved.get((hop.target, hop.target_column))
            if not keys:
                continue
            query, params = dependents_query(plan, link, position, sorted(keys))
            with conn.cursor() as cur:
                cur.execute(query, params)
                for found in cur.fetchall():
                    row = dict(zip(names, found, strict=True))
                    identity = tuple(row[k] for k in plan.key_columns) if plan.key_columns else tuple(
                        map(repr, found))
                    rows[identity] = row
    return list(rows.values())
