"""A deterministic, Procore-shaped demo database (`procore_int_v2` look-alike).

`build_demo_database` creates the Prisma-generated schema (the 45 models of the Procore sync
application plus `_prisma_migrations`, shipped as `data/schema.sql`), optionally its 57
formal foreign keys (`data/foreign_keys.sql`), and loads synthetic rows generated from a
seed: the same seed and scale always give the same content.

Generation is table-driven. The column list of every table is read from the shipped schema;
each column's value comes from, in order of precedence: a table hook (columns that must agree
with each other), a link to a parent row (formal FKs plus the implicit links the real database
has), a per-(table, column) rule or choice list, a per-column-name rule or choice list, and
finally a generator chosen by the column's type.

What the data deliberately contains, because the real mirror has it: ids 2^49 + n; dangling
values in implicit links (never in formal ones); S3 keys and signed Procore URLs; JSONB
{file id: S3 key} maps with NULL, {}, empty/null values and non-object values; updated_at
lagging well behind last_synced_at in ~20% of rows and batch-shared timestamps; soft deletes;
fake OAuth tokens in api_credentials.

`start_embedded_demo` runs the same build inside an embedded PostgreSQL from PyPI (`pgserver`,
the optional `demo` extra) for the quick start. `python -m procore_ingest.demo --help` is the CLI.
"""

from .embedded import EmbeddedDemo, start_embedded_demo, stop_embedded_demo
from .generate import generate_rows
from .load import build_demo_database
from .schema import load_links, load_schema
from .spec import (
    BASE_COUNTS,
    DEFAULT_EMBEDDED_DIR,
    DEFAULT_SPEC,
    DEMO_DATABASE,
    DemoSpec,
    row_counts,
)

__all__ = [
    "BASE_COUNTS", "DEFAULT_EMBEDDED_DIR", "DEFAULT_SPEC", "DEMO_DATABASE", "DemoSpec", "EmbeddedDemo",
    "build_demo_database", "generate_rows", "load_links", "load_schema", "row_counts",
    "start_embedded_demo", "stop_embedded_demo",
]
