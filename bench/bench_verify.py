#!/usr/bin/env python3
"""`sync_database.py --verify` on a large table, and the content check's cost per sync cycle.

    .venv/bin/python bench/bench_verify.py [--rows 1000000] [--repeat 1] [--output bench/RESULTS.md]

On an embedded PostgreSQL (pgserver), with bench_ingest.py's table builder (`create_tables`:
the wide, Procore-shaped `submittal_records`), each in its own child process (wall seconds and
the peak RSS of the process and its worker processes together, bench_ingest.run_child):

  (a) floor      named cursor over the table + json.dumps of each row (bench_ingest's floor)
  (b) ingest     scripts/ingest_database.py --full --vespa-url file://DIR: writes the feed
                 files the verify reads (a full read that renders and writes every row)
  (c) verify     scripts/sync_database.py --verify --vespa-url file://DIR: replays the feed
                 file (fields digested, 16 bytes kept per document), reads and renders every
                 row again and compares; at --rows and at 250,000 rows (memory must be flat)
  (d) demo       the no-change `--once` cycle on the demo database (46 tables, 48k rows) while
                 the rotating content check runs (the 12 cycles after a write: one slice of
                 bucket digests per table with change columns) and after it stopped (an
                 untouched table is not checked again), in process, median of 12 cycles each;
                 and the content check's queries alone (bucket_slice_digests of every table
                 with change columns, one slice)

Targets (issue 10): (c) under 2x a full read, memory flat; (d) the no-change cycle under 1 s.
"""

# ruff: noqa: S608  (SQL built from the bench's own constants)

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
sys.path.insert(0, str(ROOT))

from _common import median_table, publish, run_header  # noqa: E402  (bench/ is the script's folder)
from bench_ingest import RSS_FLAT_ROWS, create_tables, run_child  # noqa: E402


def verify_argv(url: str, table: str, target: str, state: str) -> list[str]:
    return [PYTHON, str(ROOT / "scripts" / "sync_database.py"), "--verify", "--database-url", url,
            "--vespa-url", target, "--state-dir", state, "--tables", table, "--batch-size", "10000"]


def ingest_argv(url: str, table: str, target: str, state: str) -> list[str]:
    return [PYTHON, str(ROOT / "scripts" / "ingest_database.py"), "--full", "--database-url", url,
            "--tables", table, "--vespa-url", target, "--state-dir", state, "--batch-size", "10000",
            "--no-progress"]


def floor_argv(url: str, table: str) -> list[str]:
    return [PYTHON, str(ROOT / "bench" / "bench_ingest.py"), "--child", "floor", url, table, "json"]


def large_table(url: str, work: Path, table: str, rows: int, repeat: int) -> list[tuple[str, int, float, float, str]]:
    """(a), (b), (c) on one table: (label, rows, median seconds, peak RSS MB, note)."""
    target, state = f"file://{work / ('feed-' + table)}", str(work / ("state-" + table))
    out = []
    floors = [run_child(floor_argv(url, table), stdout_json=True) for _ in range(repeat)]
    out.append(("(a) floor: named cursor + json.dumps", rows, statistics.median(f[2]["seconds"] for f in floors),
                max(f[1] for f in floors), ""))
    ingest = run_child(ingest_argv(url, table, target, state))
    out.append(("(b) ingest_database.py --full → file://", rows, ingest[0], ingest[1], "writes the feed files (c) reads"))
    # run_child stops the bench on any exit but 0: each run found the index equal to the table
    runs = [run_child(verify_argv(url, table, target, state)) for _ in range(repeat)]
    out.append(("(c) sync_database.py --verify ← file://", rows, statistics.median(r[0] for r in runs),
                max(r[1] for r in runs), "equal: 0 missing, 0 stale, 0 extra"))
    return out


def demo_cycles(admin: str, server) -> list[tuple[str, str, str]]:
    from procore_ingest import database as db
    from procore_ingest.demo import DemoSpec, build_demo_database
    from procore_ingest.pipeline.ingest import IngestOptions, run_full
    from procore_ingest.pipeline.run import load_schema
    from procore_ingest.pipeline.sync import SyncOptions, run_cycle, slices_of
    from procore_ingest.plan import build_plans
    from procore_ingest.source import changes
    from procore_ingest.state import StateStore, load_id_key
    from tests.helpers import execute

    execute(admin, "CREATE DATABASE demo")
    demo = server.get_uri("demo")
    build_demo_database(demo, DemoSpec())
    work = Path(tempfile.mkdtemp(prefix="bvd"))
    state, target = str(work / "state"), f"file://{work / 'feed'}"
    run_full(IngestOptions(database_url=demo, vespa_url=target, state_dir=state))
    opts = SyncOptions(database_url=demo, vespa_url=target, state_dir=state)
    run_cycle(opts)  # the first cycle after ingestion reads every table (counters not yet known)
    checking, idle = [], []
    for _ in range(changes.CHECK_SLICES + 1):  # a small keyed table's check is cut again at first
        started = time.perf_counter()
        result = run_cycle(opts)
        checking.append(time.perf_counter() - started)
        assert result.changes == 0 and result.exit_code == 0
    entries = StateStore(state).load_checkpoints().tables.values()
    assert all(e.sync.checks_since_write >= slices_of(e.sync) for e in entries if e.sync and e.sync.mode == "cursor")
    for _ in range(changes.CHECK_SLICES):
        started = time.perf_counter()
        run_cycle(opts)
        idle.append(time.perf_counter() - started)
    # the content check's queries alone: one slice of every table with change columns
    with db.session(demo) as conn:
        # row digests are keyed (changes.keyed_digest): the plans carry the state's id key
        plans = [p for p in build_plans(load_schema(conn, demo), id_key=lambda: load_id_key(state))
                 if p.change_columns]
        conn.rollback()
        slices = []
        for phase in range(changes.CHECK_SLICES):
            started = time.perf_counter()
            with conn.cursor() as cur:
                for plan in plans:
                    changes.bucket_slice_digests(cur, plan, changes.bucket_count(plan.table.row_count or 0),
                                                 changes.CHECK_SLICES, phase)
            conn.rollback()
            slices.append(time.perf_counter() - started)
    a, b, c = statistics.median(checking), statistics.median(idle), statistics.median(slices)
    return [
        ("(d) no-change --once cycle, demo database, content check running", f"{a:.2f} s",
         f"median of {len(checking)}; max {max(checking):.2f} s; target < 1 s"),
        ("(d) no-change --once cycle, demo database, content check done", f"{b:.2f} s",
         f"median of {len(idle)}; the check's share: {a - b:+.2f} s"),
        (f"(d) content check queries alone ({len(plans)} tables with change columns, one slice)", f"{c:.3f} s",
         f"median of {len(slices)}"),
    ]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--output", default=str(ROOT / "bench" / "RESULTS.md"))
    args = p.parse_args()

    import pgserver

    from tests.helpers import execute

    now, header = run_header()
    work = Path(tempfile.mkdtemp(prefix="pgbv"))
    server = pgserver.get_server(work / "pg", cleanup_mode="stop")
    admin = server.get_uri("postgres")
    rows_out: list[tuple[str, int, float, float, str]] = []
    try:
        execute(admin, "CREATE DATABASE wide")
        wide = server.get_uri("wide")
        sizes = [args.rows] + ([RSS_FLAT_ROWS] if args.rows > RSS_FLAT_ROWS else [])
        for rows in sizes:
            table = f"submittal_records_{rows}"
            started = time.perf_counter()
            create_tables(wide, table, rows)
            print(f"built {table} in {time.perf_counter() - started:.0f} s", flush=True)
            for row in large_table(wide, work, table, rows, args.repeat):
                rows_out.append(row)
                print(f"  {row[0]:<44} {row[1]:>9,} rows {row[2]:7.1f} s  peak RSS {row[3]:5.0f} MB  {row[4]}", flush=True)
        demo = demo_cycles(admin, server)
        for line in demo:
            print("  " + " | ".join(line), flush=True)
    finally:
        server.cleanup()

    def pick(label: str, rows: int) -> tuple[str, int, float, float, str]:
        return next(r for r in rows_out if r[0].startswith(label) and r[1] == rows)

    lines = [f"\n## bench_verify.py — {now}\n", f"{header}; --rows {args.rows:,} --repeat {args.repeat} "
             "(seconds: median; peak RSS: the process and its worker processes together, max over runs).\n",
             "| measurement | rows | seconds | rows/s | peak RSS MB | note |", "|---|---:|---:|---:|---:|---|"]
    lines += [f"| {a} | {n:,} | {s:.1f} | {n / s:,.0f} | {r:.0f} | {note} |" for a, n, s, r, note in rows_out]
    big_floor, big_ingest, big_verify = pick("(a)", args.rows), pick("(b)", args.rows), pick("(c)", args.rows)
    lines += ["", f"- (c)/(a) = {big_verify[2] / big_floor[2]:.2f} (verify against the floor; target < 2)",
              f"- (c)/(b) = {big_verify[2] / big_ingest[2]:.2f} (verify against a full ingestion to file://)"]
    if len(sizes) > 1:
        small = pick("(c)", RSS_FLAT_ROWS)
        lines.append(f"- peak RSS (c) at {RSS_FLAT_ROWS:,} rows {small[3]:.0f} MB vs at {args.rows:,} rows "
                     f"{big_verify[3]:.0f} MB (target: flat)")
    publish(args.output, [*lines, "", *median_table(demo)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
