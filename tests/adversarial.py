"""A generated database built to break naive SQL and naive id schemes: quoted, mixed-case and
reserved names, names with dots, quotes and colons, several schemas, a partitioned table,
composite and missing keys, a secret-looking column, and every type of the rendering table
(the `everything` table of tests/test_render.py, many rows of it).

Built by the project itself, so the suite covers discovery, ingestion and sync without the
optional third-party corpus."""

from __future__ import annotations

from tests.helpers import execute
from tests.test_render import INSERT as EVERYTHING_ROW
from tests.test_render import SCHEMA as EVERYTHING_SCHEMA

ROWS = 240  # per table: several batches at the batch sizes the tests use

SCHEMA = r"""
CREATE SCHEMA "Odd Schema";
CREATE SCHEMA sales;

-- reserved words, mixed case, spaces, quotes, dots and colons in table and column names
CREATE TABLE "Odd Schema"."Order" (
    "select" bigint PRIMARY KEY,
    "From" text,
    "user id" bigint,
    "col""quote" text,
    "a.b:c" text,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE "Odd Schema"."weird.name:1" (id int PRIMARY KEY, "table" text);

-- composite key across two types, one of them text with the key separator in it
CREATE TABLE sales.line_items (
    order_code text, line_no int, qty numeric(12,3), note text,
    api_token text,                        -- secret-looking: never fed
    updated_at timestamp(3) NOT NULL DEFAULT now(),
    PRIMARY KEY (order_code, line_no)
);

-- range partitioned on a date, key includes the partition column
CREATE TABLE sales.readings (
    id bigint, taken_on date, value double precision, label text,
    PRIMARY KEY (id, taken_on)
) PARTITION BY RANGE (taken_on);
CREATE TABLE sales.readings_2025 PARTITION OF sales.readings FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE sales.readings_2026 PARTITION OF sales.readings FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');

-- a public table whose name reads like the schema-qualified one above
CREATE TABLE public."sales.line_items" (order_code text PRIMARY KEY, line_no int);

-- no key at all
CREATE TABLE public.audit_trail (happened_at timestamptz, actor text, action text, detail jsonb);
"""

DATA = rf"""
INSERT INTO "Odd Schema"."Order"
  SELECT g, 'from ' || g, g % 7, 'it''s "quoted" ' || g, 'dots.and:colons|' || g,
         '2026-01-01'::timestamptz + g * interval '1 minute'
  FROM generate_series(1, {ROWS}) g;
INSERT INTO "Odd Schema"."weird.name:1" SELECT g, 'row ' || g FROM generate_series(1, {ROWS}) g;
INSERT INTO sales.line_items
  SELECT 'ord|' || (g / 3) || '\', g % 3, g * 1.125, CASE WHEN g % 5 = 0 THEN NULL ELSE 'note ' || g END,
         'tok-' || md5(g::text), '2026-01-01'::timestamp + g * interval '1 second'
  FROM generate_series(1, {ROWS}) g;
INSERT INTO sales.readings
  SELECT g, DATE '2025-06-01' + (g * 2), g / 3.0, 'label ' || g FROM generate_series(1, {ROWS}) g;
INSERT INTO public."sales.line_items" SELECT 'ord|' || (g / 3) || '\', g FROM generate_series(1, 30) g
  ON CONFLICT DO NOTHING;
INSERT INTO public.audit_trail
  SELECT '2026-01-01'::timestamptz + (g / 2) * interval '1 hour', 'user' || (g % 4), 'edit',
         jsonb_build_object('n', g / 2)
  FROM generate_series(1, {ROWS}) g;
"""

# leaf tables fed by default and the keys discovery must find
TABLES = {
    "Odd Schema.Order": ["select"],
    'Odd Schema."weird.name:1"': ["id"],
    "sales.line_items": ["order_code", "line_no"],
    "sales.readings": ["id", "taken_on"],
    '"sales.line_items"': ["order_code"],
    "audit_trail": [],
    "everything": ["id"],
}
WITHHELD = {"sales.line_items": ["api_token"]}


def everything_rows(url: str, copies: int) -> None:
    """More rows of the `everything` table: copies of its one row with other ids and a few
    values varied, NULLs included, so every type is rendered many times."""
    execute(url, f"""
        INSERT INTO everything SELECT g + 1, big_numeric + g, nan_numeric, money_numeric, tiny_numeric,
               dbl * g, dbl_nan, flt, g % 2 = 0, tstz + g * interval '1 hour', ts3, ts6, ts_inf, ts_zero,
               d + g, d_bc, t, t24, ttz, iv * g, iv_neg, u, ints || g, texts, nested, nums, doc, doc_null,
               doc_json, m, moods, p, ps, ip, net, mac, blob || int4send(g), tsv, cash, bits, vbits, pt, r, tsr,
               uuids, tstzs, ivs, CASE WHEN g % 10 = 0 THEN long_text END, ctrl, padded,
               CASE WHEN g % 3 = 0 THEN 'something' END
        FROM everything, generate_series(1, {copies}) g WHERE id = 1""")


def build_adversarial_database(url: str) -> None:
    execute(url, SCHEMA)
    execute(url, DATA)
    execute(url, EVERYTHING_SCHEMA)
    execute(url, EVERYTHING_ROW)
    everything_rows(url, 40)
    execute(url, "ANALYZE")
