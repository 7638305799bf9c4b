#!/usr/bin/env python3
"""Benchmark of incremental sync on the embedded PostgreSQL.

    python bench/bench_sync.py [--rows 1000000] [--output bench/RESULTS.md]

Measures (median of --repeat runs):
  1. a cycle with no changes over the demo database (target < 1 s);
  2. a cycle with 1,000 changed rows spread over 10 demo tables;
  3. a no-change cycle, and a cycle after one UPDATE, over a --rows table WITH an indexed change
     column (target < 1 s: index use, no scan) and over the same table WITHOUT one (digest
     buckets: one grouped scan inside PostgreSQL), against a full read of it
     (`ingest_database.py --full` to file://) for the ratio.
A no-change cycle looks only at PostgreSQL's per-table write counters (pg_stat_all_tables):
untouched tables cost no query of their rows.
Sync runs against a file:// target, so Vespa's speed is not part of the figures.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _common import median_table, publish  # noqa: E402  (bench/ is the script's folder)

from procore_ingest.demo import DemoSpec, build_demo_database  # noqa: E402
from procore_ingest.pipeline.ingest import IngestOptions, run_full  # noqa: E402
from procore_ingest.pipeline.sync import SyncOptions, run_cycle  # noqa: E402
from tests.helpers import execute  # noqa: E402  (the tests' own: SQL as the owner, autocommit)

WIDE = """
CREATE TABLE {name} (
  id bigint PRIMARY KEY, project_id bigint NOT NULL, title text, description text,
  amount numeric(15,2), status text, custom_fields jsonb, s3_key text,
  created_at timestamp(3) NOT NULL {extra});
INSERT INTO {name} SELECT 562949953421312 + g, 562949953421312 + g % 31,
  'Item ' || g, repeat('Installed ductwork per drawing M-101, level ' || g % 9 || '. ', 4),
  (g % 100000) / 100.0, (ARRAY['open','closed','draft'])[1 + g % 3],
  jsonb_build_object('trade', 'HVAC', 'n', g), '562949953425831/562949954923622/photos/' || g || '/IMG_1128.jpg',
  '2025-01-01'::timestamp + g * interval '1 second'
  {extra_values}
FROM generate_series(1, {rows}) g;
{index}
ANALYZE {name};
"""


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--output", default=str(ROOT / "bench" / "RESULTS.md"))
    args = p.parse_args()

    import pgserver

    work = Path(tempfile.mkdtemp(prefix="pgbs"))
    server = pgserver.get_server(work / "pg", cleanup_mode="stop")
    admin = server.get_uri("postgres")
    results: list[tuple[str, str, str]] = []
    try:
        execute(admin, "CREATE DATABASE demo")
        demo = server.get_uri("demo")
        build_demo_database(demo, DemoSpec())
        state, feed = work / "state", work / "feed"
        run_full(IngestOptions(database_url=demo, vespa_url=f"file://{feed}", state_dir=str(state)))
        opts = SyncOptions(database_url=demo, vespa_url=f"file://{feed}", state_dir=str(state))
        run_cycle(opts)
        t = timed(lambda: run_cycle(opts), args.repeat)
        results.append(("no-change cycle, demo database (46 tables, 48k rows)", f"{t:.2f} s", "< 1 s"))

        tables = ["photos", "drawings", "drawing_revisions", "timesheets", "requisitions",
                  "specification_sections", "project_users", "direct_cost_items", "company_users", "rfis"]

        def change_and_sync() -> None:
            for table in tables:
                execute(demo, f"UPDATE {table} SET last_synced_at = now() "  # noqa: S608
                              f"WHERE id IN (SELECT id FROM {table} ORDER BY random() LIMIT 100)")
            result = run_cycle(opts)
            assert result.changes >= 1000, result.changes

        t = timed(change_and_sync, args.repeat)
        results.append(("cycle with 1,000 changed rows in 10 tables (incl. the UPDATEs)", f"{t:.2f} s", ""))

        execute(admin, "CREATE DATABASE wide")
        wide = server.get_uri("wide")
        execute(wide, WIDE.format(name="tracked", rows=args.rows, extra=", updated_at timestamp(3) NOT NULL, last_synced_at timestamp(3) NOT NULL",
                                  extra_values=", '2025-01-01'::timestamp + g * interval '1 second'"
                                               ", '2025-06-01'::timestamp + g * interval '1 second'",
                                  index="CREATE INDEX ON tracked (last_synced_at);"))
        execute(wide, WIDE.format(name="untracked", rows=args.rows, extra="", extra_values="", index=""))
        for table in ("tracked", "untracked"):
            wstate, wfeed = work / f"state-{table}", work / f"feed-{table}"
            started = time.perf_counter()
            subprocess.run([sys.executable, str(ROOT / "scripts" / "ingest_database.py"), "--full",
                            "--database-url", wide, "--vespa-url", f"file://{wfeed}", "--state-dir", str(wstate),
                            "--tables", table, "--no-progress"], check=True, capture_output=True)
            full = time.perf_counter() - started
            wopts = SyncOptions(database_url=wide, vespa_url=f"file://{wfeed}", state_dir=str(wstate),
                                tables=[table])
            run_cycle(wopts)
            t = timed(lambda o=wopts: run_cycle(o), args.repeat)
            label = "with indexed last_synced_at" if table == "tracked" else "without a change column (digests)"
            results.append((f"no-change cycle, {args.rows:,}-row table {label}", f"{t:.2f} s",
                             f"{t / full:.3f} of a full read ({full:.0f} s)"))
            bump = ", last_synced_at = now()" if table == "tracked" else ""

            def one_change(name=table, bump=bump, o=wopts) -> None:
                row = 562949953421312 + random.randint(1, args.rows)
                execute(wide, f"UPDATE {name} SET status = md5(random()::text){bump} WHERE id = {row}")  # noqa: S608
                result = run_cycle(o)
                assert result.changes >= 1, {n: (t.mode, t.status, t.error) for n, t in result.tables.items()}

            t = timed(one_change, args.repeat)
            results.append((f"cycle with 1 changed row, {args.rows:,}-row table {label}", f"{t:.2f} s",
                            f"{t / full:.3f} of a full read"))
    finally:
        server.cleanup()

    publish(args.output, [f"\n## Sync ({datetime.now():%Y-%m-%d %H:%M}, {sys.platform}, 2 cores)\n",
                          *median_table(results)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
