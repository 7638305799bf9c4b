#!/usr/bin/env python3
"""Benchmark of incremental sync on the embedded PostgreSQL.

    python bench/bench_sync.py [--rows 1000000] [--output bench/RESULTS.md]
    python bench/bench_sync.py --scale 100000,1000000 [--freshness 100000] [--output ...]

Measures (median of --repeat runs):
  1. a cycle with no changes over the demo database (target < 1 s);
  2. a cycle with 1,000 changed rows spread over 10 demo tables;
  3. a no-change cycle, and a cycle after one UPDATE, over a --rows table WITH an indexed change
     column (target < 1 s: index use, no scan) and over the same table WITHOUT one (digest
     buckets: one grouped scan inside PostgreSQL), against a full read of it
     (`ingest_database.py --full` to file://) for the ratio.
With --scale, what a cycle costs as the table grows (issue "scale"): for a table of each size
(one integer key, both change columns indexed: a change column without an index costs a scan
of the table in every cycle that reads changes), a no-change cycle, and a cycle after one INSERT, one
DELETE and one UPDATE: wall time and the tuples PostgreSQL read for it (pg_stat_database
tup_returned + tup_fetched, the cycle's session only), with the ratio between the sizes; then,
for the --freshness sizes, a daemon at --interval 1 against the Vespa protocol server
(tests/vespa_server): COMMIT -> visible (or gone) there, p50/p95 of each kind of write.
The code measured is the `procore_ingest` first on the path (PYTHONPATH=/other/tree: the code
before a change, for the before/after).
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

from _common import median_table, publish, run_header  # noqa: E402  (bench/ is the script's folder)

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
    p.add_argument("--scale", help="table sizes, comma-separated (e.g. 100000,1000000): cost per cycle as the table grows")
    p.add_argument("--freshness", default="", help="with --scale: sizes whose COMMIT->visible latency is measured")
    p.add_argument("--samples", type=int, default=5, help="with --freshness: writes of each kind")
    p.add_argument("--label", default="", help="a note for the section title (e.g. 'before')")
    p.add_argument("--freshness-only", action="store_true", help="with --scale: skip the cycle costs")
    args = p.parse_args()
    if args.scale:
        return scale(args)

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


SCALED = """
CREATE TABLE items (id bigint PRIMARY KEY, project_id bigint NOT NULL, title text, status text,
                    updated_at timestamp(3) NOT NULL, last_synced_at timestamp(3) NOT NULL);
INSERT INTO items SELECT 562949953421312 + g, 562949953421312 + g % 31, 'Item ' || g,
  (ARRAY['open','closed','draft'])[1 + g % 3], '2025-01-01'::timestamp + g * interval '1 second',
  '2025-06-01'::timestamp + g * interval '1 second' FROM generate_series(1, {rows}) g;
CREATE INDEX ON items (last_synced_at);
CREATE INDEX ON items (updated_at);
"""
P = 562949953421312
KINDS = {"idle": "idle (no write since the content check's last round)", "insert": "one insert", "delete": "one delete",
         "update": "one update", "check": "no write, the cycle after one (a content-check slice)"}
FRESHNESS_LIMIT_S = 30  # a write not visible by then counts as this long (the table says so)


def tuples_read(url: str) -> int:
    """tup_returned + tup_fetched of the database, as PostgreSQL has them now."""
    import psycopg2

    conn = psycopg2.connect(url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_stat_clear_snapshot()")
            cur.execute("SELECT tup_returned + tup_fetched FROM pg_stat_database WHERE datname = current_database()")
            return int(cur.fetchone()[0])
    finally:
        conn.close()


def measured_cycle(url: str, opts, write: str | None) -> tuple[float, int]:
    """(wall time of one cycle, tuples it read) after `write` (SQL, committed first)."""
    if write:
        execute(url, write)
    time.sleep(1.2)  # the write's own counters published (and not counted below)
    before = tuples_read(url)
    started = time.perf_counter()
    run_cycle(opts)
    wall = time.perf_counter() - started
    time.sleep(1.2)  # the cycle's session has ended: its counters are published
    return wall, tuples_read(url) - before


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def freshness(url: str, rows: int, work: Path, samples: int) -> dict[str, list[float]]:
    """COMMIT -> visible in the protocol server, for inserts, updates and deletes, with a
    daemon at --interval 1 running the code under test."""
    import os

    import procore_ingest
    from tests.vespa_server import vespa_server

    code = Path(procore_ingest.__file__).resolve().parents[1]
    state = work / f"fresh-state-{rows}"
    latencies: dict[str, list[float]] = {"insert": [], "update": [], "delete": []}
    with vespa_server() as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PROCORE_", "VESPA_"))}
        env.update(PYTHONPATH=str(code), PROCORE_DATABASE_URL=url, VESPA_LOCAL_URL=server.url,
                   PROCORE_STATE_DIR=str(state), LOG_LEVEL="WARNING")
        # The full load in its own process (the protocol server, pure Python, has this one to
        # itself), of `items` only: a --full over all tables visits every id in the index
        # afterwards to find dropped tables, which the protocol server serves slowly at 1M.
        started = time.perf_counter()
        subprocess.run([sys.executable, str(code / "scripts" / "ingest_database.py"), "--full", "--no-progress",
                        "--processes", "2", "--tables", "items"], env=env, check=True, stdout=subprocess.DEVNULL)
        print(f"freshness: {rows:,} rows ingested into the protocol server in "
              f"{time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
        daemon = subprocess.Popen([sys.executable, str(code / "scripts" / "sync_database.py"), "--daemon",
                                   "--interval", "1", "--pid-file", str(work / f"daemon-{rows}.pid")],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            # The first cycles are not measured: they trust the counters, keep the schema and (the
            # first time after a full load) list the index once to keep the table's keys.
            probe = P + rows + 999_000
            execute(url, f"INSERT INTO items VALUES ({probe}, 1, 'probe', 'open', now(), now())")  # noqa: S608
            started = time.perf_counter()
            while server.document(f"id:procore_record:procore_record::items:{probe}") is None:
                if time.perf_counter() - started > 900 or daemon.poll() is not None:
                    raise RuntimeError("the daemon did not sync the first write")
                time.sleep(0.2)
            time.sleep(5)
            rng = random.Random(rows)
            for i in range(samples):
                for kind in ("insert", "update", "delete"):
                    key = P + rows + 1000 + i if kind == "insert" else P + rng.randint(1, rows)
                    doc = f"id:procore_record:procore_record::items:{key}"
                    statement = {
                        "insert": f"INSERT INTO items VALUES ({key}, 1, 'fresh {i}', 'open', now(), now())",  # noqa: S608
                        "update": f"UPDATE items SET title = 'edited {i}', last_synced_at = now() WHERE id = {key}",  # noqa: S608
                        "delete": f"DELETE FROM items WHERE id = {key}",  # noqa: S608
                    }[kind]
                    execute(url, statement)
                    committed = time.perf_counter()
                    while time.perf_counter() - committed < FRESHNESS_LIMIT_S:
                        fields = server.document(doc)
                        done = (fields is None if kind == "delete" else
                                fields is not None and (kind == "insert" or f"edited {i}" in str(fields)))
                        if done:
                            break
                        time.sleep(0.01)
                    latencies[kind].append(time.perf_counter() - committed)
                    time.sleep(rng.uniform(0, 1))  # writes land anywhere in the daemon's cycle
        finally:
            daemon.terminate()
            try:
                daemon.wait(30)
            except subprocess.TimeoutExpired:  # mid-cycle on a slow listing: the figures stand
                daemon.kill()
                daemon.wait()
    return latencies


def scale(args) -> int:
    """The --scale section: cost per cycle at each table size, and freshness."""
    import pgserver

    sizes = [int(s) for s in args.scale.split(",")]
    fresh_sizes = {int(s) for s in args.freshness.split(",") if s}
    work = Path(tempfile.mkdtemp(prefix="pgbs"))
    server = pgserver.get_server(work / "pg", cleanup_mode="stop")
    admin = server.get_uri("postgres")
    cost: dict[int, dict[str, tuple[float, int]]] = {}
    try:
        for rows in sizes:
            execute(admin, f"CREATE DATABASE scale_{rows}")
            url = server.get_uri(f"scale_{rows}")
            execute(url, SCALED.format(rows=rows))
            execute(url, "VACUUM ANALYZE items")  # visibility map set: index-only scans possible
            if args.freshness_only:
                continue
            state, feed = work / f"state-{rows}", work / f"feed-{rows}"
            run_full(IngestOptions(database_url=url, vespa_url=f"file://{feed}", state_dir=str(state)))
            opts = SyncOptions(database_url=url, vespa_url=f"file://{feed}", state_dir=str(state))
            for _ in range(changes_settle_cycles(rows)):  # settle: counters trusted, content check done
                run_cycle(opts)
            rng = random.Random(7)
            measures: dict[str, list[tuple[float, int]]] = {k: [] for k in KINDS}
            for i in range(args.repeat):
                measures["idle"].append(measured_cycle(url, opts, None))
                measures["insert"].append(measured_cycle(
                    url, opts, f"INSERT INTO items VALUES ({P + rows + 1 + i}, 1, 'new', 'open', now(), now())"))  # noqa: S608
                measures["delete"].append(measured_cycle(url, opts, f"DELETE FROM items WHERE id = {P + rng.randint(1, rows)}"))  # noqa: S608
                measures["update"].append(measured_cycle(
                    url, opts, f"UPDATE items SET title = 'edited', last_synced_at = now() WHERE id = {P + rng.randint(1, rows)}"))  # noqa: S608
                measures["check"].append(measured_cycle(url, opts, None))  # no write: one slice of the content check
                for _ in range(changes_settle_cycles(rows)):  # the content check after the writes, not measured
                    run_cycle(opts)
            cost[rows] = {k: (statistics.median(w for w, _ in v), int(statistics.median(t for _, t in v)))
                          for k, v in measures.items()}
        if not args.freshness_only:
            publish(args.output, cost_table(args, sizes, cost))
        for rows in sizes:
            if rows in fresh_sizes:
                latencies = freshness(server.get_uri(f"scale_{rows}"), rows, work, args.samples)
                publish(args.output, freshness_table(args, rows, latencies))
    finally:
        server.cleanup()
    return 0


def cost_table(args, sizes: list[int], cost: dict[int, dict[str, tuple[float, int]]]) -> list[str]:
    when, where = run_header()
    lines = [f"\n## bench_sync.py --scale — {when} — {where}{' — ' + args.label if args.label else ''}\n",
             "Cycle cost by table size (file:// target; median of "
             f"{args.repeat}; tuples = pg_stat_database tup_returned + tup_fetched during the cycle):\n",
             "| cycle | " + " | ".join(f"{r:,} rows: wall, tuples" for r in sizes) + " | ratio largest/smallest (wall, tuples) |",
             "|---|" + "---|" * len(sizes) + "---|"]
    for kind in KINDS:
        cells = [f"{cost[r][kind][0]:.2f} s, {cost[r][kind][1]:,}" for r in sizes]
        small, big = cost[sizes[0]][kind], cost[sizes[-1]][kind]
        ratio = f"{big[0] / small[0]:.1f}x, {big[1] / max(small[1], 1):.1f}x"
        lines.append(f"| {KINDS[kind]} | " + " | ".join(cells) + f" | {ratio} |")
    return lines


def freshness_table(args, rows: int, latencies: dict[str, list[float]]) -> list[str]:
    when, where = run_header()
    lines = [f"\nFreshness ({when}; {where}{' — ' + args.label if args.label else ''}): {rows:,} rows, "
             f"`--daemon --interval 1`, COMMIT -> visible in tests/vespa_server ({args.samples} of each; "
             f"{FRESHNESS_LIMIT_S} s means not visible after {FRESHNESS_LIMIT_S} s):\n",
             "| write | p50 | p95 | max |", "|---|---|---|---|"]
    lines += [f"| {kind} | {percentile(v, 0.5):.2f} s | {percentile(v, 0.95):.2f} s | {max(v):.2f} s |"
              for kind, v in latencies.items()]
    return lines


def changes_settle_cycles(rows: int) -> int:
    """Cycles run after each round of writes so the next round starts from a quiet table (the
    rotating content check compares its slices for a number of cycles after a write: 12, or
    more slices of a bounded number of rows where the code measured has `check_slices`)."""
    from procore_ingest.source import changes

    slices = changes.CHECK_SLICES
    if hasattr(changes, "check_slices"):  # the code before the row budget has none
        from procore_ingest.config import DEFAULT_CHECK_ROWS

        slices = changes.check_slices(rows, changes.bucket_count(rows), DEFAULT_CHECK_ROWS)
    return slices + 2  # +1: the first check after a full load may cut the slices again


if __name__ == "__main__":
    sys.exit(main())
