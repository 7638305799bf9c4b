"""The demo's schema: the shipped Prisma SQL, its columns and links, and the order tables load in."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

# --- schema ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of the shipped schema, enough to generate and encode values for it."""

    name: str
    kind: str  # int, text, bool, ts, tstz, date, json, num, float, int[]
    nullable: bool
    default: str | None
    precision: int = 0
    scale: int = 0


@dataclass(frozen=True)
class Link:
    """A `*_id` column whose values come from a parent table's ids."""

    table: str
    column: str
    parent: str
    formal: bool  # a real FK constraint exists (in the FK variant): never dangling
    dangle: float = 0.0  # share of values that match no parent row (implicit links only)


_COLUMN_RE = re.compile(
    r'^\s+"(\w+)" ([A-Z]+(?: PRECISION)?)(?:\((\d+)(?:,(\d+))?\))?(\[\])?( NOT NULL)?(?: DEFAULT (.+?))?,?$'
)
_KINDS = {
    "BIGINT": "int", "INTEGER": "int", "SERIAL": "int", "TEXT": "text", "VARCHAR": "text",
    "BOOLEAN": "bool", "TIMESTAMP": "ts", "TIMESTAMPTZ": "tstz", "DATE": "date", "JSONB": "json",
    "DECIMAL": "num", "DOUBLE PRECISION": "float",
}
_FK_RE = re.compile(r'ALTER TABLE "(\w+)" ADD CONSTRAINT "\w+" FOREIGN KEY \("(\w+)"\) REFERENCES "(\w+)"')

# Links the Prisma schema does not declare but the data has (by name or by meaning), with the
# share of values that point nowhere.
_IMPLICIT_LINKS: tuple[tuple[str, str, str, float], ...] = (
    ("prime_contracts", "vendor_id", "vendors", 0.25),
    ("prime_contracts", "contractor_id", "vendors", 0.0),
    ("prime_contracts", "architect_id", "vendors", 0.0),
    ("direct_cost_items", "project_id", "projects", 0.02),
    ("specification_section_revisions", "specification_section_division_id", "specification_section_divisions", 0.02),
    ("commitment_contract_items", "prime_line_item_id", "prime_contract_line_items", 0.0),
    ("commitment_change_order_items", "prime_line_item_id", "prime_contract_line_items", 0.0),
    ("commitment_change_order_items", "commitment_line_item_id", "commitment_contract_items", 0.03),
    ("project_roles", "user_id", "company_users", 0.02),
    ("webhook_health_metrics", "hook_id", "webhook_hooks", 0.0),
    ("invoice_submissions", "procore_requisition_id", "requisitions", 0.0),
    ("rfis", "responsible_contractor_id", "vendors", 0.0),
)


def read_sql(name: str) -> str:
    """A file of the package's demo_data directory (data directory, shipped as package data)."""
    return resources.files("procore_ingest.demo").joinpath("data").joinpath(name).read_text(encoding="utf-8")


def load_schema() -> dict[str, list[Column]]:
    """Columns of every table in the shipped schema.sql, in table and column order."""
    tables: dict[str, list[Column]] = {}
    for name, body in re.findall(r'CREATE TABLE "(\w+)" \((.*?)\n\);', read_sql("schema.sql"), re.S):
        cols = []
        for line in body.splitlines():
            m = _COLUMN_RE.match(line)
            if m:
                col, typ, p, s, arr, notnull, default = m.groups()
                kind = "int[]" if arr else _KINDS[typ]
                cols.append(Column(col, kind, not notnull, default, int(p or 0), int(s or 0)))
        tables[name] = cols
    return tables


def load_links() -> dict[str, list[Link]]:
    """Formal links (from foreign_keys.sql) and implicit ones, per child table."""
    links: dict[str, list[Link]] = {}
    for table, col, parent in _FK_RE.findall(read_sql("foreign_keys.sql")):
        links.setdefault(table, []).append(Link(table, col, parent, True))
    for table, col, parent, dangle in _IMPLICIT_LINKS:
        links.setdefault(table, []).append(Link(table, col, parent, False, dangle))
    return links


_HOOK_DEPS = {"project_roles": ("project_users",)}  # tables a hook reads besides its links
# Tables that mention other tables' rows without a link (event logs): generated last.
_LATE_TABLES = {"audit_records", "integration_request_events", "integration_response_events", "processed_webhook_events"}


def table_order(tables: Sequence[str], links: dict[str, list[Link]]) -> tuple[list[str], dict[str, int]]:
    """Parents before children (self-links ignored) and each table's depth below the roots."""
    depth: dict[str, int] = {}

    def visit(t: str) -> int:
        if t not in depth:
            parents = [lk.parent for lk in links.get(t, []) if lk.parent != t] + list(_HOOK_DEPS.get(t, ()))
            depth[t] = 1 + max((visit(p) for p in parents), default=-1)
        return depth[t]

    for t in tables:
        visit(t)
    return sorted(tables, key=lambda t: (t in _LATE_TABLES, depth[t], t)), depth


