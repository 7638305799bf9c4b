#!/usr/bin/env python3
"""Feed speed against a remote-like Vespa: the project's feeder side by side with pyvespa and
Vespa's own Go client, on the same documents, in one run.

A fast loopback /document/v1 stub (bench/vespa_stub.py, its own process: its CPU is not the
client's) answers every operation after --latency-ms (a network round trip). Per latency:

  (1) cli        scripts/ingest_database.py --full with default flags (--workers 4, batch
                 10,000, one process per CPU): the whole product, PostgreSQL read included;
  (2) feeder     the project's VespaSink (vespa/feed/, 4 connections) on documents built
                 before the clock starts: the feeder alone, like (3) and (4);
  (3) pyvespa    feed_iterable, 32 workers / 32 connections, documents built before the clock;
  (4) vespa feed the Go CLI from PyPI `vespacli` (must be installed in the venv for the bench
                 only), default flags, on the same documents as a JSONL file (written by (1)
                 to file:// beforehand).

Reported: docs/s (wall time of the process for (1) and (4), of the feed call for (2) and (3)),
client CPU seconds per 1,000 documents (user + system, worker processes included), peak RSS.

    .venv/bin/pip install vespacli   # the bench's only extra
    .venv/bin/python bench/bench_feed.py                       # 20,000 at 20 ms, 100,000 at 0 ms
    .venv/bin/python bench/bench_feed.py --runs 20:2000 --output /tmp/r.md   # a quick look
"""

# ruff: noqa: S608

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import append_results, run_header  # noqa: E402
from bench_ingest import PYTHON, ROOT, create_tables, postgres, run_child  # noqa: E402

TABLE = "submittal_records"
VESPA = Path(sys.executable).parent / "vespa"


def _documents(url: str) -> list:
    import psycopg2

    from procore_ingest.discovery import discover_with_connection
    from procore_ingest.discovery.profile import ProfileOptions
    from procore_ingest.documents.record import RowBuilder
    from procore_ingest.plan import build_plans
    from procore_ingest.source.reader import read_batches

    conn = psycopg2.connect(url)
    conn.autocommit = True
    schema = discover_with_connection(conn, host="bench", options=ProfileOptions(include_stats=False))
    (plan,) = build_plans(schema, [TABLE])
    now = int(time.time() * 1000)
    builder = RowBuilder(plan)
    docs = [builder.document(row, now) for batch in read_batches(conn, plan, 10_000) for row in batch.rows]
    conn.close()
    return docs


def _self_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_feeder(url: str, vespa_url: str) -> None:
    from procore_ingest.vespa.http import VespaAuth, VespaSink

    docs = _documents(url)
    sink = VespaSink(vespa_url, workers=4, auth=VespaAuth())
    cpu, started = time.process_time(), time.perf_counter()
    result = sink.feed(docs)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    limits = [c.limit for c in sink.feeder.throttle.history]
    sink.close()
    print(json.dumps({"rows": len(docs), "seconds": seconds, "cpu_s": cpu, "errors": len(result.failures),
                      "peak_rss_mb": _self_rss_mb(), "note": f"in flight up to {max(limits or [0])}"}))


def child_pyvespa(url: str, vespa_url: str) -> None:
    from vespa.application import Vespa

    docs = _documents(url)
    payloads = [{"id": d.id, "fields": d.fields} for d in docs]
    app = Vespa(url=vespa_url)
    errors = 0

    def callback(response, doc_id) -> None:
        nonlocal errors
        errors += response.status_code != 200

    cpu, started = time.process_time(), time.perf_counter()
    app.feed_iterable(payloads, schema="procore_record", namespace="procore_record", callback=callback,
                      operation_type="feed", max_workers=32, max_connections=32)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(json.dumps({"rows": len(payloads), "seconds": seconds, "cpu_s": cpu, "errors": errors,
                      "peak_rss_mb": _self_rss_mb()}))


@contextlib.contextmanager
def stub(latency_ms: float):
    proc = subprocess.Popen([PYTHON, str(ROOT / "bench" / "vespa_stub.py"), "--latency-ms", str(latency_ms)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()
        if not url.startswith("http"):
            raise SystemExit("the stub did not start")
        yield url
    finally:
        proc.stdin.close()
        proc.wait(10)


def write_feed_file(db_url: str, feed_dir: Path, feed_file: Path, state: Path) -> None:
    """The documents as one JSONL file for `vespa feed`: the CLI's own file:// output."""
    run_child([PYTHON, str(ROOT / "scripts" / "ingest_database.py"), "--full", "--database-url", db_url,
               "--tables", TABLE, "--vespa-url", f"file://{feed_dir}", "--state-dir", str(state),
               "--no-progress"])
    shutil.rmtree(state, ignore_errors=True)
    with feed_file.open("wb") as out:  # streamed: a child forked from a big parent reports its RSS
        for f in sorted(feed_dir.glob("*.jsonl")):
            with f.open("rb") as lines:
                out.writelines(line for line in lines if b"procore_record:procore_record::" in line)
    shutil.rmtree(feed_dir, ignore_errors=True)


def measure(args: argparse.Namespace, db_url: str, rows: int, latency_ms: float, scratch: Path) -> list[dict]:
    results = []

    def record(name: str, seconds: float, cpu: float, rss: float, note: str = "") -> dict:
        row = {"name": name, "latency": latency_ms, "rows": rows, "rate": rows / seconds,
               "cpu_per_1000": cpu / rows * 1000, "rss": rss, "note": note}
        results.append(row)
        print(f"  {latency_ms:>4g} ms {name:<40} {row['rate']:>8,.0f} docs/s  "
              f"{row['cpu_per_1000']:.3f} CPU s/1000  {rss:5.0f} MB {note}", flush=True)
        return row

    feed_dir = scratch / f"feed{latency_ms:g}"
    state = scratch / "state"
    feed_file = scratch / "feed.jsonl"
    if "vespa-cli" not in args.skip:
        write_feed_file(db_url, feed_dir, feed_file, state)
    with stub(latency_ms) as url:
        if "cli" not in args.skip:
            seconds, rss, info = run_child(
                [PYTHON, str(ROOT / "scripts" / "ingest_database.py"), "--full", "--database-url", db_url,
                 "--tables", TABLE, "--vespa-url", url, "--state-dir", str(state), "--no-progress"])
            shutil.rmtree(state, ignore_errors=True)
            record("(1) ingest_database.py --full, default flags", seconds, info["process_cpu_s"], rss)
        if "feeder" not in args.skip:
            _, rss, info = run_child([PYTHON, __file__, "--child", "feeder", db_url, url], stdout_json=True)
            record("(2) project feeder (VespaSink, 4 connections)", info["seconds"], info["cpu_s"], rss,
                   info.get("note", ""))
        if "pyvespa" not in args.skip:
            _, rss, info = run_child([PYTHON, __file__, "--child", "pyvespa", db_url, url], stdout_json=True)
            record("(3) pyvespa feed_iterable 32/32", info["seconds"], info["cpu_s"], rss)
        if "vespa-cli" not in args.skip and VESPA.exists():
            seconds, rss, info = run_child([str(VESPA), "feed", "--target", url, str(feed_file)])
            record("(4) vespa feed (vespacli), default flags", seconds, info["process_cpu_s"], rss)
    return results


def markdown(results: list[dict], args: argparse.Namespace) -> str:
    now, machine = run_header()
    lines = [f"## bench_feed.py — {now}", "", f"{machine}; `python bench/bench_feed.py --runs "
             f"{' '.join(args.runs)}`; stub: bench/vespa_stub.py (h2c + HTTP/1.1, own process).", "",
             "| latency | client | docs | docs/s | client CPU s / 1,000 docs | peak RSS MB | note |",
             "|---:|---|---:|---:|---:|---:|---|"]
    for r in results:
        lines.append(f"| {r['latency']:g} ms | {r['name']} | {r['rows']:,} | {r['rate']:,.0f} | "
                     f"{r['cpu_per_1000']:.3f} | {r['rss']:.0f} | {r['note']} |")
    lines.append("")
    by = {(r["latency"], r["name"][:3]): r for r in results}
    for latency in sorted({r["latency"] for r in results}, reverse=True):
        cli, feeder = by.get((latency, "(1)")), by.get((latency, "(2)"))
        py, go = by.get((latency, "(3)")), by.get((latency, "(4)"))
        for mine, label in ((cli, "(1)"), (feeder, "(2)")):
            if mine and go:
                lines.append(f"- {latency:g} ms: {label}/(4) vespa feed = {mine['rate'] / go['rate']:.2f}x")
            if mine and py:
                lines.append(f"- {latency:g} ms: {label}/(3) pyvespa = {mine['rate'] / py['rate']:.2f}x docs/s, "
                             f"CPU per doc {mine['cpu_per_1000'] / py['cpu_per_1000']:.2f}x")
    return "\n".join(lines) + "\n\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", nargs="+", default=["20:20000", "0:100000"],
                   help="LATENCY_MS:DOCUMENTS pairs (default: 20:20000 0:100000)")
    p.add_argument("--skip", nargs="*", default=[], choices=["cli", "feeder", "pyvespa", "vespa-cli"])
    p.add_argument("--rss-rows", type=int, default=0,
                   help="instead: peak RSS of (1) alone on this many rows at 0 ms (e.g. 1000000)")
    p.add_argument("--output", default=str(ROOT / "bench" / "RESULTS.md"))
    p.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        kind, *rest = args.child
        {"feeder": child_feeder, "pyvespa": child_pyvespa}[kind](*rest)
        return
    if not VESPA.exists():
        print(f"note: {VESPA} not found (pip install vespacli): (4) is left out", flush=True)
    results: list[dict] = []
    with postgres() as server, tempfile.TemporaryDirectory(prefix="bench_feed_") as scratch:
        admin = __import__("psycopg2").connect(server.get_uri())
        admin.autocommit = True
        if args.rss_rows:
            args.runs, args.skip = [f"0:{args.rss_rows}"], ["feeder", "pyvespa", "vespa-cli"]
        for run in args.runs:
            latency, rows = run.split(":")
            name = f"bench_feed_{rows}"
            with admin.cursor() as cur:
                cur.execute(f"DROP DATABASE IF EXISTS {name}")
                cur.execute(f"CREATE DATABASE {name}")
            db_url = server.get_uri(name)
            print(f"Building {int(rows):,} rows ...", flush=True)
            create_tables(db_url, TABLE, int(rows))
            results += measure(args, db_url, int(rows), float(latency), Path(scratch))
        admin.close()
    out = append_results(args.output, markdown(results, args))
    print(f"Appended to {out}")


if __name__ == "__main__":
    main()
