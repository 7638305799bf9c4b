#!/usr/bin/env python3
"""Ingest throughput and memory: how close the full ingest comes to the cost of just reading.

One run builds a wide, Procore-shaped table on an embedded PostgreSQL (pgserver) and measures,
each in its own child process (rows/s and the peak RSS of that process and its workers):

  (a) floor    psycopg2 server-side cursor + json.dumps of each row as a dict (and orjson, if
               installed): the least any ingest must spend reading and serialising the rows;
  (b) cli/file scripts/ingest_database.py --full --vespa-url file://DIR (the real CLI, run as a
               subprocess; its time includes start-up, discovery and the count(*) pass), at
               --rows and at 250,000 rows (peak RSS must not grow with the table);
  (c) cli/http the same CLI feeding the Vespa /document/v1 test server over HTTP (pyvespa);
  (d) pyvespa  feed_iterable of the same number of documents, built before the clock starts,
               to the same server with the same workers/connections/queue as VespaSink.

The test server is pure Python (~1-2k documents/s on this machine), so (c) and (d) use
--http-rows (default 50,000) rows; it runs in its own process so that its CPU is not counted
as the client's. Results are appended to --output as a dated Markdown section.

    .venv/bin/python bench/bench_ingest.py                 # 1M rows, ~10 minutes on 2 cores
    .venv/bin/python bench/bench_ingest.py --rows 200000 --http-rows 20000 --output /tmp/r.md
"""

# The SQL here is built from the bench's own constant names and numbers, never from input.
# ruff: noqa: S608

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
RSS_FLAT_ROWS = 250_000
BASE_ID = 2**49  # Procore ids: 562949953421312 + n
WORKERS = 4  # the CLI's default --workers
BATCH = 10_000  # the CLI's default --batch-size

sys.path.insert(0, str(ROOT))

from _common import TreeRss, append_results, run_header  # noqa: E402  (bench/ is the script's folder)

# --- the data set ----------------------------------------------------------------------------

# Words for titles and descriptions: the vocabulary of construction records.
_WORDS = ("install drywall framing level east wing conduit electrical rough-in inspection "
          "concrete pour slab rebar north stair core HVAC duct shop drawing submittal review "
          "curtain wall anchor waterproofing membrane roof parapet door hardware schedule "
          "sprinkler head ceiling grid tile finish paint punch list owner architect RFI").split()


def _words_sql(seed: str, count: int) -> str:
    """SQL text of `count` pseudo-random words chosen by `seed` (an integer expression)."""
    n = len(_WORDS)
    array = "ARRAY[" + ",".join(f"'{w}'" for w in _WORDS) + "]"
    picks = [f"({array})[1 + (({seed}) * {7 + 6 * i} + {i * 13}) % {n}]" for i in range(count)]
    return " || ' ' || ".join(picks)


def create_tables(url: str, table: str, rows: int) -> None:
    """`projects` (200 rows), `<table>` with `rows` rows referencing it, and a small child
    table referencing `<table>` (so its documents carry incoming relationships too)."""
    import psycopg2

    title = _words_sql("n", 5)
    desc = " || '. ' || ".join(_words_sql(f"n + {k}", 8) for k in range(3))
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"""
            CREATE TABLE IF NOT EXISTS projects (
                id bigint PRIMARY KEY, name text NOT NULL, company_id bigint NOT NULL,
                created_at timestamp(3) NOT NULL, updated_at timestamp(3) NOT NULL);
            INSERT INTO projects
            SELECT {BASE_ID} + p, 'Project ' || p, {BASE_ID} + 7,
                   timestamp '2024-01-01' + p * interval '1 day', timestamp '2025-01-01'
            FROM generate_series(1, 200) p ON CONFLICT DO NOTHING;

            DROP TABLE IF EXISTS {table}_comments, {table};
            CREATE TABLE {table} (
                id bigint PRIMARY KEY,
                project_id bigint NOT NULL REFERENCES projects(id),
                title text NOT NULL,
                description text,
                amount numeric(15,2),
                tax_amount numeric(15,2),
                status text NOT NULL,
                position integer,
                is_private boolean NOT NULL,
                due_date date,
                custom_fields jsonb,
                attachments_s3_keys jsonb,
                s3_key text,
                created_at timestamp(3) NOT NULL,
                updated_at timestamp(3) NOT NULL,
                last_synced_at timestamp(3));
            INSERT INTO {table}
            SELECT {BASE_ID} + n,
                   {BASE_ID} + 1 + n % 200,
                   initcap({title}),
                   {desc} || '.',
                   round((n * 7919 % 10000000) / 100.0, 2),
                   CASE WHEN n % 5 = 0 THEN NULL ELSE round((n * 31 % 100000) / 100.0, 2) END,
                   (ARRAY['open','closed','draft','pending_review'])[1 + n % 4],
                   (n % 1000)::integer,
                   n % 9 = 0,
                   date '2025-01-01' + (n % 400)::integer,
                   jsonb_build_object(
                     'custom_field_' || (5000 + n % 40), jsonb_build_object('value', 'Lot ' || n % 97),
                     'custom_field_' || (6000 + n % 13), jsonb_build_object('value', n % 1000, 'unit', 'sf')),
                   jsonb_build_object((900000 + n)::text,
                     '{BASE_ID + 7}/' || ({BASE_ID} + 1 + n % 200) || '/photos/' || (900000 + n)
                     || '/IMG_' || (1000 + n % 9000) || '.jpg'),
                   '{BASE_ID + 7}/' || ({BASE_ID} + 1 + n % 200) || '/drawings/' || n || '/A-' || (100 + n % 800) || '.pdf',
                   timestamp '2024-06-01 08:00:00' + n * interval '1.237 second',
                   timestamp '2025-06-01 08:00:00' + n * interval '0.911 second',
                   -- per-row sync times: with one shared value, every row would sit in the
                   -- sync baseline's overlap window (see bench/README.md)
                   CASE WHEN n % 3 = 0 THEN NULL
                        ELSE timestamp '2025-06-01 08:05:00' + n * interval '0.911 second' END
            FROM generate_series(1::bigint, {rows}) n;

            CREATE TABLE {table}_comments (
                id bigint PRIMARY KEY, {table}_id bigint NOT NULL REFERENCES {table}(id), body text);
            INSERT INTO {table}_comments SELECT {BASE_ID} + c, {BASE_ID} + c, 'ok'
            FROM generate_series(1, least({rows}, 100)) c;
        """)
        # Vacuumed and analysed now, so that autovacuum does not wake up on the fresh tables
        # in the middle of the first measurement (it did: the first (a) ran 40% slower), and
        # the tables are in the state a long-lived mirror's are (hint bits, visibility map).
        for name in ("projects", table, f"{table}_comments"):
            cur.execute(f"VACUUM (ANALYZE) {name}")
    conn.close()


# --- child processes ------------------------------------------------------------------------


def run_child(argv: list[str], env: dict[str, str] | None = None,
              stdout_json: bool = False) -> tuple[float, float, dict]:
    """Run `argv`; (wall seconds, peak RSS MB, its last JSON line if asked).

    Peak RSS is that of the whole process tree (the CLI and its worker processes together),
    sampled every 50 ms, or the child's own ru_maxrss (from os.wait4: exactly that child's
    VmHWM) when that is higher. Output goes to temporary files so nothing else reaps it first.
    """
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, text=True,
                                env={**os.environ, **(env or {})}, cwd=str(ROOT))
        with TreeRss(proc.pid) as tree:
            _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if code != 0:
        raise SystemExit(f"{argv[:4]} failed ({code}):\n{stdout[-2000:]}\n{stderr[-4000:]}")
    info = json.loads(stdout.strip().splitlines()[-1]) if stdout_json else {}
    # CPU of the child and of the descendants it waited for (its worker processes)
    info.setdefault("process_cpu_s", usage.ru_utime + usage.ru_stime)
    return seconds, max(usage.ru_maxrss / 1024, tree.peak_mb), info


def _self_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_floor(url: str, table: str, serializer: str) -> None:
    """(a): read every row through a named cursor and serialise it; print timing JSON."""
    import psycopg2

    if serializer == "orjson":
        import orjson

        def dump(row: dict) -> bytes:
            return orjson.dumps(row, default=str)
    else:
        def dump(row: dict) -> str:
            return json.dumps(row, default=str)

    conn = psycopg2.connect(url)
    started = time.perf_counter()
    rows = total = 0
    cur = conn.cursor(name="floor")
    cur.itersize = BATCH
    cur.execute(f"SELECT * FROM {table} ORDER BY id")
    names = None
    while True:
        batch = cur.fetchmany(BATCH)
        if not batch:
            break
        names = names or [d[0] for d in cur.description]
        for r in batch:
            total += len(dump(dict(zip(names, r, strict=True))))
        rows += len(batch)
    seconds = time.perf_counter() - started
    conn.close()
    print(json.dumps({"rows": rows, "seconds": seconds, "bytes_per_row": total / max(rows, 1),
                      "peak_rss_mb": _self_rss_mb()}))


def child_pyvespa(url: str, table: str, vespa_url: str) -> None:
    """(d): build every document first (the product's own builder), then time feed_iterable
    with the settings VespaSink uses."""
    import psycopg2
    from vespa.application import Vespa

    from procore_ingest.discovery import discover_with_connection
    from procore_ingest.discovery.profile import ProfileOptions
    from procore_ingest.documents.record import RowBuilder
    from procore_ingest.plan import build_plans
    from procore_ingest.source.reader import read_batches

    conn = psycopg2.connect(url)
    conn.autocommit = True
    schema = discover_with_connection(conn, host="bench", options=ProfileOptions(include_stats=False))
    (plan,) = build_plans(schema, [table])
    now, builder = int(time.time() * 1000), RowBuilder(plan)
    payloads = [{"id": d.id, "fields": d.fields}
                for batch in read_batches(conn, plan, BATCH)
                for d in (builder.document(row, now) for row in batch.rows)]
    conn.close()
    app = Vespa(url=vespa_url)
    errors = 0

    def callback(response, doc_id) -> None:
        nonlocal errors
        errors += response.status_code != 200

    started = time.perf_counter()
    app.feed_iterable(payloads, schema="procore_record", namespace="procore_record",
                      callback=callback, operation_type="feed", max_workers=WORKERS,
                      max_connections=WORKERS, max_queue_size=max(WORKERS * 4, 16), num_retries_429=3)
    seconds = time.perf_counter() - started
    print(json.dumps({"rows": len(payloads), "seconds": seconds, "errors": errors,
                      "peak_rss_mb": _self_rss_mb()}))


def child_vespa_server() -> None:
    """Serve /document/v1 until stdin closes; print the URL first."""
    from tests.vespa_server import vespa_server

    with vespa_server() as server:
        print(server.url, flush=True)
        sys.stdin.read()


def cli_argv(url: str, table: str, vespa_url: str, state_dir: str) -> list[str]:
    return [PYTHON, str(ROOT / "scripts" / "ingest_database.py"), "--full", "--database-url", url,
            "--tables", table, "--vespa-url", vespa_url, "--state-dir", state_dir,
            "--workers", str(WORKERS), "--batch-size", str(BATCH), "--no-progress"]


# --- the measurements -----------------------------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace, url: str, scratch: Path) -> None:
        self.args, self.url, self.scratch = args, url, scratch
        self.results: list[dict] = []

    def record(self, name: str, rows: int, runs: list[tuple[float, float]], note: str = "") -> dict:
        seconds = statistics.median(s for s, _ in runs)
        rss = max(r for _, r in runs)
        row = {"name": name, "rows": rows, "seconds": seconds, "rate": rows / seconds, "rss": rss, "note": note}
        self.results.append(row)
        print(f"  {name:<44} {rows:>9,} rows {seconds:8.1f}s {row['rate']:>9,.0f} rows/s "
              f"peak RSS {rss:6.0f} MB {note}", flush=True)
        return row

    def floor_run(self, table: str, serializer: str) -> tuple[tuple[float, float], str]:
        _, rss, info = run_child([PYTHON, __file__, "--child", "floor", self.url, table, serializer],
                                 stdout_json=True)
        return (info["seconds"], rss), f"{info['bytes_per_row']:.0f} B JSON/row"

    def floor(self, table: str, rows: int, serializer: str) -> dict:
        runs, note = [], ""
        for _ in range(self.args.repeat):
            run, note = self.floor_run(table, serializer)
            runs.append(run)
        return self.record(f"(a) floor: named cursor + {serializer}.dumps", rows, runs, note)

    def cli_run(self, table: str, rows: int, vespa_url: str | None) -> tuple[tuple[float, float], str]:
        out = self.scratch / "feed"
        state = self.scratch / "state"
        seconds, rss, _ = run_child(cli_argv(self.url, table, vespa_url or f"file://{out}", str(state)))
        size = sum(f.stat().st_size for f in out.glob("*.jsonl")) if vespa_url is None else 0
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(state, ignore_errors=True)
        return (seconds, rss), (f"{size / rows:.0f} B feed JSON/row" if vespa_url is None else "")

    def cli(self, label: str, table: str, rows: int, vespa_url: str | None) -> dict:
        runs, note = [], ""
        for _ in range(self.args.repeat):
            run, note = self.cli_run(table, rows, vespa_url)
            runs.append(run)
        return self.record(label, rows, runs, note)

    def floor_and_cli(self, table: str, rows: int) -> tuple[dict, dict, list[float]]:
        """(a) json.dumps and (b) in turns, a then b, `repeat` times: this machine's speed
        drifts by up to a third over minutes, and a ratio of neighbours is not thrown by it.
        Returns both records and each pair's (b)/(a)."""
        floors, clis, pair_ratios = [], [], []
        floor_note = cli_note = ""
        for _ in range(self.args.repeat):
            run_a, floor_note = self.floor_run(table, "json")
            run_b, cli_note = self.cli_run(table, rows, None)
            floors.append(run_a)
            clis.append(run_b)
            pair_ratios.append(run_a[0] / run_b[0])  # rates are rows / seconds: b/a = sa/sb
        a = self.record("(a) floor: named cursor + json.dumps", rows, floors, floor_note)
        b = self.record("(b) CLI → file:// feed files", rows, clis, cli_note)
        return a, b, pair_ratios

    def pyvespa(self, table: str, rows: int, vespa_url: str) -> dict:
        runs = []
        for _ in range(self.args.repeat):
            _, rss, info = run_child([PYTHON, __file__, "--child", "pyvespa", self.url, table, vespa_url],
                                     stdout_json=True)
            if info["errors"]:
                raise SystemExit(f"pyvespa feed: {info['errors']} documents refused")
            runs.append((info["seconds"], rss))
        return self.record("(d) pyvespa feed_iterable, prebuilt docs", rows, runs)


@contextlib.contextmanager
def vespa_test_server():
    proc = subprocess.Popen([PYTHON, __file__, "--child", "vespa-server"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, cwd=str(ROOT))
    try:
        url = proc.stdout.readline().strip()
        if not url.startswith("http"):
            raise SystemExit("the Vespa test server did not start")
        yield url
    finally:
        proc.stdin.close()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def postgres():
    """An embedded server in a short temporary directory (Unix socket paths are short)."""
    import pgserver

    datadir = tempfile.mkdtemp(prefix="pgb", dir="/tmp")
    server = pgserver.get_server(datadir, cleanup_mode="stop")
    try:
        yield server
    finally:
        server.cleanup()
        shutil.rmtree(datadir, ignore_errors=True)


def markdown(results: list[dict], ratios: list[str], args: argparse.Namespace, setup_s: float) -> str:
    now, machine = run_header()
    label = f" — {args.label}" if args.label else ""
    lines = [f"## bench_ingest.py — {now}{label}", "",
             f"{machine}; "
             f"--rows {args.rows:,} --http-rows {args.http_rows:,} --repeat {args.repeat} "
             f"(median seconds; peak RSS: of the process and its worker processes together, "
             f"max over runs); data built in {setup_s:.0f}s.",
             "",
             "| measurement | rows | seconds | rows/s | peak RSS MB | note |",
             "|---|---:|---:|---:|---:|---|"]
    for r in results:
        lines.append(f"| {r['name']} | {r['rows']:,} | {r['seconds']:.1f} | {r['rate']:,.0f} | "
                     f"{r['rss']:.0f} | {r['note']} |")
    lines += ["", *[f"- {r}" for r in ratios], ""]
    return "\n".join(lines) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=1_000_000, help="rows for (a) and (b)")
    p.add_argument("--http-rows", type=int, default=50_000,
                   help="rows for (c) and (d): the Python test server does ~1-2k docs/s")
    p.add_argument("--repeat", type=int, default=1, help="runs per measurement (median)")
    p.add_argument("--output", default=str(ROOT / "bench" / "RESULTS.md"))
    p.add_argument("--label", default="", help="words for the section title (e.g. 'before')")
    p.add_argument("--skip", nargs="*", default=[], choices=["floor", "file", "flat", "http"],
                   help="leave measurements out (for quick iterations)")
    p.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        kind, *rest = args.child
        {"floor": child_floor, "pyvespa": child_pyvespa, "vespa-server": child_vespa_server}[kind](*rest)
        return

    with postgres() as server, tempfile.TemporaryDirectory(prefix="bench_ingest_") as scratch:
        url = server.get_uri()
        started = time.perf_counter()
        print(f"Building data on {url.split('@')[-1]} ...", flush=True)
        # One database per size: the CLI discovers the whole database before it reads.
        sizes = {"big": args.rows, "flat": RSS_FLAT_ROWS, "http": args.http_rows}
        urls = {}
        admin = __import__("psycopg2").connect(url)
        admin.autocommit = True
        for name, rows in sizes.items():
            with admin.cursor() as cur:
                cur.execute(f"DROP DATABASE IF EXISTS bench_{name}")
                cur.execute(f"CREATE DATABASE bench_{name}")
            urls[name] = server.get_uri(f"bench_{name}")
            if name == "big" or name not in args.skip:
                create_tables(urls[name], "submittal_records", rows)
        admin.close()
        setup_s = time.perf_counter() - started
        print(f"  built in {setup_s:.0f}s", flush=True)

        t = "submittal_records"
        bench = Bench(args, urls["big"], Path(scratch))
        ratios = []
        a = b = None
        pairs: list[float] = []
        if "floor" not in args.skip and "file" not in args.skip:
            a, b, pairs = bench.floor_and_cli(t, args.rows)
        elif "floor" not in args.skip:
            a = bench.floor(t, args.rows, "json")
        elif "file" not in args.skip:
            b = bench.cli("(b) CLI → file:// feed files", t, args.rows, None)
        if "floor" not in args.skip:
            with contextlib.suppress(ImportError):
                import orjson  # noqa: F401

                bench.floor(t, args.rows, "orjson")
        if "flat" not in args.skip:
            bench.url = urls["flat"]
            b250 = bench.cli("(b) CLI → file:// feed files, 250k rows", t, RSS_FLAT_ROWS, None)
            if b:
                ratios.append(f"peak RSS (b) at {RSS_FLAT_ROWS:,} rows {b250['rss']:.0f} MB vs at "
                              f"{args.rows:,} rows {b['rss']:.0f} MB (target: < 300 MB, flat)")
        if a and b:
            each = f"; run in turns, each pair's ratio: {', '.join(f'{r:.2f}' for r in pairs)}" if pairs else ""
            ratios.insert(0, f"(b)/(a) = {b['rate'] / a['rate']:.2f} (medians; target ≥ 0.5){each}")
        if "http" not in args.skip:
            bench.url = urls["http"]
            with vespa_test_server() as vespa_url:
                c = bench.cli("(c) CLI → Vespa test server over HTTP", t, args.http_rows, vespa_url)
                d = bench.pyvespa(t, args.http_rows, vespa_url)
            ratios.append(f"(c)/(d) = {c['rate'] / d['rate']:.2f} (target ≥ 0.8)")
        for r in ratios:
            print("  " + r)
    text = markdown(bench.results, ratios, args, setup_s)
    out = append_results(args.output, text)
    print(f"Appended to {out}")


if __name__ == "__main__":
    main()
