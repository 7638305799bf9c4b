"""The names of the rows a batch of rows links to: the context lines of their documents.

For each context link (`discovery.naming.ContextLink`) the batch's distinct link values are
looked up in the linked table with one `WHERE key = ANY(%s)` query per hop (read-only, in the
transaction the batch was read in, so names and rows come from one snapshot); a linked table
reached by several links is read once per batch with the columns all of them need.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

from psycopg2 import sql

from ..discovery.naming import ContextLink, Hop, name_of
from ..documents.context import ContextNames
from ..documents.record import Document, row_documents
from ..plan import TablePlan

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


def documents_with_context(conn: Any, rows: Sequence[Mapping[str, Any]], plan: TablePlan,
                           ingested_at_ms: int) -> list[Document]:
    """`row_documents` of `rows` with the names their context links show. Every path that
    builds documents from rows (full ingest, its worker processes, sync, verify) builds them
    here, so all give the same documents."""
    if not plan.context_links or not rows:
        return row_documents(rows, plan, ingested_at_ms)
    return row_documents(rows, plan, ingested_at_ms, context_of(conn, rows, plan))
