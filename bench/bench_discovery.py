#!/usr/bin/env python3
"""Discovery time: a 1,000-table schema, and the Procore-shaped demo database.

On an embedded PostgreSQL (pgserver) this builds

  * `wide`: --tables tables (default 1,000) of ~11 columns each — bigint id, project_id and
    company_id, a parent `<entity>_<kind>_id` pointing at another generated table, created_by_id,
    title/status text, numeric(15,2), timestamp(3) created_at/updated_at, a jsonb column and
    on every fourth table an S3-key column — --rows rows each (default 20). One parent link in
    three is a formal FOREIGN KEY; the others are implicit (matching values, no constraint),
    which discovery must find from the names and confirm from the data;
  * `demo`: the demo database (procore_ingest.demo, DemoSpec()),

and times `procore_ingest.discover(url)` on each (median of --repeat runs, default 3). Targets:
the demo database in < 2 s. Results are appended to --output (bench/RESULTS.md).

    .venv/bin/python bench/bench_discovery.py
    .venv/bin/python bench/bench_discovery.py --tables 200 --output /tmp/r.md
"""

# The SQL here is built from the bench's own constant names and numbers, never from input.
# ruff: noqa: S608

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BASE_ID = 2**49
HUB_ROWS = 20

# 50 entities x 20 kinds = 1,000 table names like `rfi_responses`, `drawing_revisions`.
ENTITIES = ("rfi submittal drawing photo punch inspection observation meeting commitment contract "
            "invoice budget change_event change_order daily_log timecard equipment vendor bid "
            "specification document incident checklist schedule task correspondence transmittal "
            "permit warranty estimate prime_contract requisition payment lien direct_cost "
            "delivery manpower weather safety quality coordination issue action_plan form "
            "location trade cost_code tax_code bim_model workflow template").split()
KINDS = ("items revisions responses reviews attachments comments versions assignments entries "
         "approvals line_items distributions logs notes steps markups links holds snapshots "
         "imports").split()


def table_names(count: int) -> list[str]:
    names = [f"{e}_{k}" for k in KINDS for e in ENTITIES]
    if count > len(names):  # more than 1,000: numbered kinds
        names += [f"{e}_{k}{n}s" for n in range(2, 100) for k in ("batch", "group") for e in ENTITIES]
    return names[:count]


def _singular(name: str) -> str:
    """`rfi_responses` -> `rfi_response`, `bid_entries` -> `bid_entry` (what *_id columns say)."""
    if name.endswith("ies"):
        return name[:-3] + "y"
    return name[:-1] if name.endswith("s") else name


def schema_sql(count: int, rows: int) -> tuple[str, int, int]:
    """DDL + data for `count` tables; (sql, formal parent links, implicit parent links)."""
    names = table_names(count)
    out = [f"""
        CREATE TABLE projects (id bigint PRIMARY KEY, name text NOT NULL, created_at timestamp(3));
        CREATE TABLE companies (id bigint PRIMARY KEY, name text NOT NULL);
        CREATE TABLE users (id bigint PRIMARY KEY, email text, company_id bigint REFERENCES companies(id));
        INSERT INTO companies SELECT {BASE_ID} + n, 'Company ' || n FROM generate_series(1, {HUB_ROWS}) n;
        INSERT INTO projects SELECT {BASE_ID} + n, 'Project ' || n, timestamp '2025-01-01' + n * interval '1 day'
            FROM generate_series(1, {HUB_ROWS}) n;
        INSERT INTO users SELECT {BASE_ID} + n, 'user' || n || '@example.com', {BASE_ID} + 1 + n % {HUB_ROWS}
            FROM generate_series(1, {HUB_ROWS}) n;
    """]
    formal = implicit = 0
    fks = []
    for i, name in enumerate(names):
        parent = names[(i * 7 + 3) % len(names)] if i else None
        parent_col = f"{_singular(parent)}_id" if parent and parent != name else None
        has_file = i % 4 == 0
        cols = [
            "id bigint PRIMARY KEY",
            "project_id bigint NOT NULL",
            "company_id bigint",
            *([f"{parent_col} bigint"] if parent_col else []),
            "created_by_id bigint",
            "title text NOT NULL",
            "status text",
            "amount numeric(15,2)",
            "custom_fields jsonb",
            *(["s3_key text"] if has_file else []),
            "created_at timestamp(3) NOT NULL",
            "updated_at timestamp(3) NOT NULL",
        ]
        values = [
            f"{BASE_ID} + n",
            f"{BASE_ID} + 1 + n % {HUB_ROWS}",
            f"{BASE_ID} + 1 + n % {HUB_ROWS}",
            *([f"{BASE_ID} + 1 + (n * 3) % {rows}"] if parent_col else []),
            f"{BASE_ID} + 1 + n % {HUB_ROWS}",
            f"'{name.replace('_', ' ')} ' || n",
            "(ARRAY['open','closed','draft'])[1 + n % 3]",
            "round(n * 12.34, 2)",
            "jsonb_build_object('custom_field_' || (5000 + n % 7), jsonb_build_object('value', 'v' || n))",
            *([f"'{BASE_ID + 7}/' || ({BASE_ID} + 1 + n % {HUB_ROWS}) || '/{name}/' || n || '/file_' || n || '.pdf'"]
              if has_file else []),
            "timestamp '2025-01-01' + n * interval '1 hour'",
            "timestamp '2025-06-01' + n * interval '1 minute'",
        ]
        out.append(f"CREATE TABLE {name} ({', '.join(cols)});")
        out.append(f"INSERT INTO {name} SELECT {', '.join(values)} "
                   f"FROM generate_series(1, {rows}) n;")
        if i % 5 == 0:  # formal keys to the hubs on some tables
            fks.append(f"ALTER TABLE {name} ADD FOREIGN KEY (project_id) REFERENCES projects(id);")
        if parent_col:
            if i % 3 == 0:
                fks.append(f"ALTER TABLE {name} ADD FOREIGN KEY ({parent_col}) REFERENCES {parent}(id);")
                formal += 1
            else:
                implicit += 1
    out += fks
    out.append("ANALYZE;")
    return "\n".join(out), formal, implicit


def build_wide(url: str, count: int, rows: int) -> tuple[int, int]:
    import psycopg2

    text, formal, implicit = schema_sql(count, rows)
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute(text.replace("ANALYZE;", ""))
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("ANALYZE")
    conn.close()
    return formal, implicit


def time_discovery(url: str, repeat: int) -> tuple[list[float], object]:
    from procore_ingest import discover

    times, schema = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        schema = discover(url)
        times.append(time.perf_counter() - started)
    return times, schema


def describe(schema) -> str:
    tables = [t for t in schema.tables if t.kind in ("table", "partitioned_table")]
    rels = schema.relationships
    fk = sum(r.kind == "foreign_key" for r in rels)
    return (f"{len(tables)} tables, {sum(len(t.columns) for t in tables):,} columns, "
            f"{fk} formal + {len(rels) - fk} inferred links, "
            f"{schema.file_references_summary.total_columns} file-reference columns")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tables", type=int, default=1000)
    p.add_argument("--rows", type=int, default=20, help="rows per generated table")
    p.add_argument("--repeat", type=int, default=3, help="discover() runs per database (median)")
    p.add_argument("--skip-demo", action="store_true")
    p.add_argument("--output", default=str(ROOT / "bench" / "RESULTS.md"))
    args = p.parse_args()

    import pgserver
    import psycopg2

    datadir = tempfile.mkdtemp(prefix="pgd", dir="/tmp")  # short: the Unix socket lives here
    server = pgserver.get_server(datadir, cleanup_mode="stop")
    results = []
    try:
        admin = psycopg2.connect(server.get_uri())
        admin.autocommit = True
        for name in ("wide", "demo"):
            admin.cursor().execute(f"CREATE DATABASE {name}")
        admin.close()

        started = time.perf_counter()
        formal, implicit = build_wide(server.get_uri("wide"), args.tables, args.rows)
        print(f"wide: {args.tables} tables built in {time.perf_counter() - started:.0f}s "
              f"({formal} formal and {implicit} implicit parent links planted)", flush=True)
        times, schema = time_discovery(server.get_uri("wide"), args.repeat)
        results.append((f"discover(): {args.tables:,}-table schema, {args.rows} rows each", times,
                        describe(schema) + f" (planted: {formal} formal + {implicit} implicit parent links "
                        f"+ {len(range(0, args.tables, 5))} project FKs + 1 users→companies)", None))
        print(f"  {results[-1][0]}: {' / '.join(f'{t:.2f}s' for t in times)}; {results[-1][2]}", flush=True)

        if not args.skip_demo:
            from procore_ingest.demo import DemoSpec, build_demo_database

            started = time.perf_counter()
            counts = build_demo_database(server.get_uri("demo"), DemoSpec())
            print(f"demo: built in {time.perf_counter() - started:.0f}s ({sum(counts.values()):,} rows)", flush=True)
            times, schema = time_discovery(server.get_uri("demo"), args.repeat)
            results.append(("discover(): demo database (DemoSpec())", times, describe(schema), 2.0))
            print(f"  {results[-1][0]}: {' / '.join(f'{t:.2f}s' for t in times)}; {results[-1][2]}", flush=True)
    finally:
        server.cleanup()
        shutil.rmtree(datadir, ignore_errors=True)

    now = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=ROOT).stdout.strip()
    lines = [f"## bench_discovery.py — {now}", "",
             f"commit {commit}; Python {platform.python_version()}, {os.cpu_count()} cores; "
             f"median of {args.repeat} runs of `procore_ingest.discover(url)` (defaults: with pg_stats).", "",
             "| measurement | median s | runs s | target | found |", "|---|---:|---|---|---|"]
    for name, times, found, target in results:
        median = statistics.median(times)
        verdict = "" if target is None else f"< {target:g} s: {'met' if median < target else 'MISSED'}"
        lines.append(f"| {name} | {median:.2f} | {' / '.join(f'{t:.2f}' for t in times)} | {verdict} | {found} |")
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("a", encoding="utf-8") as fh:
        if out.stat().st_size == 0:
            fh.write("# Benchmark results\n\nAppended by the scripts in bench/ (see bench/README.md).\n\n")
        fh.write("\n".join(lines) + "\n\n")
    print(f"Appended to {out}")


if __name__ == "__main__":
    main()
