#!/usr/bin/env python3
"""File indexing (--download-files): files/s, MB/s and peak RSS, on loopback S3.

A local S3 endpoint (moto's server, in this process) and an embedded PostgreSQL (pgserver)
hold a table of --files rows whose s3_key points at generated PDFs of 1-20 pages (each page:
~35 lines of text and a --page-kb grey "scan" image, uncompressed, so sizes are realistic while
the text to extract stays the same). Each measurement runs the real CLI in a child process,
reaped with os.wait4 so its rusage is exactly that child's (ru_maxrss = its VmHWM):

  rows only     ingest_database.py --full --tables drawing_files (no files): start-up,
                discovery and the rows, subtracted for the "net" rates;
  workers N     ingest_database.py --full --download-files --file-workers N --refresh-files
                --vespa-url file://DIR, fresh state and feed directories, for N in --workers;
  large objects one row pointing at one object of each --large-mb size, --max-file-mb above
                the largest, --file-workers 1: a random binary (.bin: streamed to a temporary
                file and hashed, no text to extract) and a PDF of size/2 pages with a 2 MB scan
                each (pypdf). Peak RSS must not grow with the object's size.

moto is pure Python and serves from this process: on 2 cores it competes with the child for
CPU, so the rates are a floor for a real S3. Results are appended to --output as a dated
Markdown section and printed.

    .venv/bin/python bench/bench_files.py                        # ~3 minutes on 2 cores
    .venv/bin/python bench/bench_files.py --files 100 --large-mb 10 50 --output /tmp/r.md
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg2  # noqa: E402
import psycopg2.extras  # noqa: E402
from _common import append_results, run_header  # noqa: E402  (bench/ is the script's folder)

from procore_ingest.demo.files import child_env, make_pdf, start_s3_server, upload  # noqa: E402
from procore_ingest.files.extract import extract  # noqa: E402

BUCKET = "bench-files"
PREFIX = "562949953425831/562949955736822"  # company/project, as the mirror's keys start
MB = 1024 * 1024

_WORDS = ("install", "ductwork", "per", "sheet", "M-201", "coordinate", "with", "electrical", "at",
          "grid", "line", "C/4", "provide", "fire", "damper", "access", "panel", "level", "2",
          "corridor", "verify", "field", "dimensions", "prior", "to", "fabrication", "see", "detail",
          "chilled", "water", "piping", "insulate", "all", "hangers", "contractor", "shall", "the",
          "and", "of", "existing", "remove", "replace", "VAV", "box", "RFI", "23", "response")


def page_text(rng: random.Random, title: str, page: int, pages: int) -> str:
    lines = [f"{title} - sheet {page} of {pages}"]
    for _ in range(35):
        lines.append(" ".join(rng.choice(_WORDS) for _ in range(rng.randint(8, 14))).capitalize() + ".")
    return "\n".join(lines)


def drawing_pdf(i: int, seed: int, page_kb: int) -> tuple[bytes, int]:
    rng = random.Random(f"{seed}:{i}")
    pages = rng.randint(1, 20)
    title = f"Drawing set {i}: M-{100 + i % 400} HVAC plan"
    texts = [page_text(rng, title, n, pages) for n in range(1, pages + 1)]
    return make_pdf(texts, image_bytes=page_kb * 1024, seed=i), pages


# --- child processes ----------------------------------------------------------------------------


# Linux carries a process's peak RSS over fork and exec (ru_maxrss of a child of this big process
# starts at this process's RSS), so the CLI is started by a fresh, small Python that reports the
# CLI's own ru_maxrss (RUSAGE_CHILDREN: its only child) and wall time on its last line.
_LAUNCHER = """
import os, resource, subprocess, sys, time
started = time.perf_counter()
code = subprocess.call(sys.argv[1:])
seconds = time.perf_counter() - started
print(f"@@bench {code} {seconds:.3f} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}", flush=True)
"""


def run_child(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run `argv`; (wall seconds, peak RSS MB of that process, its stdout+stderr)."""
    with tempfile.TemporaryFile("w+") as out:
        code = subprocess.call([sys.executable, "-S", "-c", _LAUNCHER, *argv], stdout=out,
                               stderr=subprocess.STDOUT, text=True, env=env, cwd=str(ROOT))
        out.seek(0)
        text = out.read()
    m = re.search(r"^@@bench (-?\d+) ([\d.]+) (\d+)$", text, re.M)
    if code != 0 or not m or m.group(1) != "0":
        raise SystemExit(f"{' '.join(argv[:6])} ... failed:\n{text[-4000:]}")
    return float(m.group(2)), int(m.group(3)) / 1024, text


def summary_count(text: str, label: str) -> int:
    m = re.search(rf"{re.escape(label)}: ([\d,]+)", text)
    return int(m.group(1).replace(",", "")) if m else 0


class Runner:
    def __init__(self, url: str, env: dict[str, str], scratch: Path) -> None:
        self.url, self.env, self.scratch = url, env, scratch
        self.n = 0

    def ingest(self, table: str, *extra: str) -> dict:
        """One CLI run with fresh state and feed directories."""
        self.n += 1
        work = self.scratch / f"run{self.n}"
        argv = [sys.executable, str(ROOT / "scripts" / "ingest_database.py"), "--full",
                "--database-url", self.url, "--tables", table, "--vespa-url", f"file://{work / 'feed'}",
                "--state-dir", str(work / "state"), "--no-progress", *extra]
        seconds, rss, text = run_child(argv, self.env)
        pages_file = work / "feed" / "_pdf_page.jsonl"
        pages = sum(1 for _ in open(pages_file, encoding="utf-8")) if pages_file.exists() else 0
        result = {"seconds": seconds, "rss": rss, "feed_pages": pages,
                  "downloaded": summary_count(text, "Files downloaded"),
                  "failed": summary_count(text, "Files failed"),
                  "too_large": summary_count(text, "Files too large (metadata only)"),
                  "documents": summary_count(text, "File documents indexed")}
        if result["failed"] or result["too_large"]:
            raise SystemExit(f"unexpected file failures in run {self.n}:\n{text[-3000:]}")
        shutil.rmtree(work, ignore_errors=True)
        return result


# --- data ---------------------------------------------------------------------------------------


def create_tables(url: str, keys: list[str]) -> None:
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute("""
            CREATE TABLE drawing_files (id bigint PRIMARY KEY, project_id bigint NOT NULL, title text NOT NULL,
                                        s3_key text, created_at timestamp(3) NOT NULL, updated_at timestamp(3) NOT NULL);
            CREATE TABLE large_files (id bigint PRIMARY KEY, title text NOT NULL, s3_key text,
                                      updated_at timestamp(3) NOT NULL)""")
        psycopg2.extras.execute_values(
            cur, "INSERT INTO drawing_files VALUES %s",
            [(562949953421312 + i, 562949955736822, f"Drawing set {i}", key, "2025-06-01", "2025-06-01")
             for i, key in enumerate(keys)])
        # a few rows so discovery sees the column's shape (keys of the same form as the real one)
        psycopg2.extras.execute_values(
            cur, "INSERT INTO large_files VALUES %s",
            [(1, "Large object", f"{PREFIX}/large/placeholder.bin", "2025-06-01")])
    conn.close()


def point_large_row(url: str, key: str) -> None:
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute("UPDATE large_files SET s3_key = %s, updated_at = now() WHERE id = 1", (key,))
    conn.close()


def large_object(path: Path, kind: str, size_mb: int, seed: int) -> int:
    """Write a `kind` (bin or pdf) object of about size_mb MB to `path`; its page count."""
    if kind == "bin":
        rng = random.Random(f"{seed}:bin:{size_mb}")
        with open(path, "wb") as fh:
            for _ in range(size_mb):
                fh.write(rng.randbytes(MB))
        return 0
    pages = max(1, size_mb // 2)  # a scanned set: 2 MB per page
    rng = random.Random(f"{seed}:pdf:{size_mb}")
    texts = [page_text(rng, f"Scanned set {size_mb} MB", n, pages) for n in range(1, pages + 1)]
    path.write_bytes(make_pdf(texts, image_bytes=size_mb * MB // pages, seed=seed))
    return pages


def extraction_alone(scratch: Path, files: int, seed: int, page_kb: int) -> tuple[float, int]:
    """Seconds and pages of procore_ingest's text extraction alone (pypdf), over the first
    `files` PDFs, in this process: the CPU floor of a file under --download-files."""
    path = scratch / "sample.pdf"
    seconds, pages = 0.0, 0
    for i in range(files):
        data, n = drawing_pdf(i, seed, page_kb)
        path.write_bytes(data)
        started = time.perf_counter()
        got = extract(path, "sample.pdf", "application/pdf")
        seconds += time.perf_counter() - started
        assert len(got.pages) == n, (i, got.error)
        pages += n
    path.unlink()
    return seconds, pages


# --- report -------------------------------------------------------------------------------------


def markdown(args: argparse.Namespace, setup: str, rows: list[str], large: list[str], notes: list[str]) -> str:
    now, machine = run_header()
    lines = [f"## bench_files.py — {now}", "",
             f"{machine}; "
             f"--files {args.files} --page-kb {args.page_kb} --seed {args.seed}. {setup}", "",
             "| run | file workers | files | pages | MB | seconds | files/s | MB/s | net files/s | net MB/s | peak RSS MB |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|", *rows, ""]
    if large:
        lines += ["Peak RSS against object size (one object, --file-workers 1, --max-file-mb above the largest):", "",
                  "| object | MB | pages indexed | seconds | MB/s | peak RSS MB | RSS over rows-only run |",
                  "|---|---:|---:|---:|---:|---:|---:|", *large, ""]
    lines += [f"- {n}" for n in notes] + [""]
    return "\n".join(lines) + "\n"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--files", type=int, default=500, help="PDFs of 1-20 pages (default 500)")
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4], help="--file-workers values")
    p.add_argument("--page-kb", type=int, default=50, help="scan image bytes per page, KiB (default 50)")
    p.add_argument("--large-mb", type=int, nargs="*", default=[10, 50, 200],
                   help="sizes of the single large objects (none: skip)")
    p.add_argument("--large-kinds", nargs="+", default=["bin", "pdf"], choices=["bin", "pdf"])
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--output", default=str(ROOT / "bench" / "RESULTS.md"))
    args = p.parse_args()

    import pgserver

    scratch = Path(tempfile.mkdtemp(prefix="bench_files_"))
    server = pgserver.get_server(scratch / "pg", cleanup_mode="stop")
    s3 = None
    rows: list[str] = []
    large: list[str] = []
    notes: list[str] = []
    try:
        started = time.perf_counter()
        admin = psycopg2.connect(server.get_uri("postgres"))
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute("DROP DATABASE IF EXISTS bench_files")
            cur.execute("CREATE DATABASE bench_files")
        admin.close()
        url = server.get_uri("bench_files")

        print(f"Generating {args.files} PDFs and uploading them to moto ...", flush=True)
        s3 = start_s3_server(BUCKET)
        keys, sizes, page_counts = [], [], []

        def items():
            for i in range(args.files):
                data, pages = drawing_pdf(i, args.seed, args.page_kb)
                key = f"{PREFIX}/drawings/{562949953421312 + i}/M-{100 + i % 400}_rev{i % 5}.pdf"
                keys.append(key)
                sizes.append(len(data))
                page_counts.append(pages)
                yield key, data, "application/pdf"

        upload(s3, items(), workers=4)
        create_tables(url, keys)
        total_mb, total_pages = sum(sizes) / MB, sum(page_counts)
        setup_s = time.perf_counter() - started
        setup = (f"{args.files} PDFs, {total_pages:,} pages, {total_mb:.0f} MB "
                 f"({min(sizes) / 1024:.0f} KB-{max(sizes) / MB:.1f} MB); data built in {setup_s:.0f}s.")
        print(f"  {setup}", flush=True)

        sample = min(args.files, 100)
        ex_s, ex_pages = extraction_alone(scratch, sample, args.seed, args.page_kb)
        per_page = ex_s / ex_pages
        print(f"  text extraction alone: {per_page * 1000:.2f} ms/page ({sample} files)", flush=True)

        runner = Runner(url, child_env(dict(os.environ), s3), scratch)
        base = runner.ingest("drawing_files")
        rows.append(f"| rows only (no --download-files) | - | - | - | - | {base['seconds']:.1f} | - | - | - | - | "
                    f"{base['rss']:.0f} |")
        print(f"  rows only: {base['seconds']:.1f}s, peak RSS {base['rss']:.0f} MB", flush=True)
        rows.append(f"| text extraction alone (extract(), in-process, first {sample} files: "
                    f"{per_page * 1000:.2f} ms/page) | (1 thread) | {args.files} | {total_pages:,} | {total_mb:.0f} | "
                    f"{per_page * total_pages:.1f} (est.) | {args.files / (per_page * total_pages):.1f} | "
                    f"{total_mb / (per_page * total_pages):.1f} | - | - | - |")
        timings = {}
        for n in args.workers:
            r = runner.ingest("drawing_files", "--download-files", "--file-workers", str(n), "--refresh-files",
                              "--s3-bucket", BUCKET)
            if r["downloaded"] != args.files or r["feed_pages"] != total_pages:
                raise SystemExit(f"workers {n}: {r['downloaded']} files / {r['feed_pages']} pages indexed, "
                                 f"expected {args.files} / {total_pages}")
            timings[n] = r["seconds"]
            net = max(r["seconds"] - base["seconds"], 1e-6)
            rows.append(f"| --download-files | {n} | {args.files} | {total_pages:,} | {total_mb:.0f} | "
                        f"{r['seconds']:.1f} | {args.files / r['seconds']:.1f} | {total_mb / r['seconds']:.1f} | "
                        f"{args.files / net:.1f} | {total_mb / net:.1f} | {r['rss']:.0f} |")
            print(f"  workers {n}: {r['seconds']:.1f}s, {args.files / r['seconds']:.1f} files/s, "
                  f"{total_mb / r['seconds']:.1f} MB/s, peak RSS {r['rss']:.0f} MB", flush=True)

        if len(timings) > 1:
            lo, hi = min(timings), max(timings)
            notes.append(f"--file-workers {hi} vs {lo}: {timings[lo] / timings[hi]:.2f}x the speed; text "
                         f"extraction alone accounts for {per_page * total_pages / timings[lo]:.0%} of the "
                         f"{lo}-worker run, and it is pure-Python CPU work (pypdf) under one GIL, which "
                         "file worker threads share")
        rss_by_kind: dict[str, list[tuple[int, float]]] = {}
        if args.large_mb:
            limit = str(max(args.large_mb) + 50)
            client = s3.client()
            for kind in args.large_kinds:
                for size in sorted(args.large_mb):
                    path = scratch / f"large-{size}.{kind}"
                    pages = large_object(path, kind, size, args.seed)
                    key = f"{PREFIX}/large/{kind}-{size}MB.{kind}"
                    client.upload_file(str(path), BUCKET, key,
                                       ExtraArgs={"ContentType": "application/pdf" if kind == "pdf"
                                                  else "application/octet-stream"})
                    actual = path.stat().st_size / MB
                    path.unlink()
                    point_large_row(url, key)
                    r = runner.ingest("large_files", "--download-files", "--file-workers", "1", "--refresh-files",
                                      "--s3-bucket", BUCKET, "--max-file-mb", limit)
                    client.delete_object(Bucket=BUCKET, Key=key)  # moto keeps objects in this process
                    if r["downloaded"] != 1:
                        raise SystemExit(f"{kind} {size} MB: not downloaded")
                    label = ("random binary .bin (download + SHA-256, metadata-only document)" if kind == "bin"
                             else f"PDF, {pages} pages with a {size * 1024 // pages:,} KB scan each (pypdf)")
                    large.append(f"| {label} | {actual:.0f} | {r['feed_pages']} | {r['seconds']:.1f} | "
                                 f"{actual / r['seconds']:.0f} | {r['rss']:.0f} | {r['rss'] - base['rss']:+.0f} |")
                    rss_by_kind.setdefault(kind, []).append((size, r["rss"]))
                    print(f"  {kind} {size} MB: {r['seconds']:.1f}s, peak RSS {r['rss']:.0f} MB", flush=True)
        for kind, points in rss_by_kind.items():
            (small, rss_small), (big, rss_big) = points[0], points[-1]
            if big == small:
                continue
            slope = (rss_big - rss_small) / (big - small)
            slope = 0.0 if abs(slope) < 0.005 else slope  # no "-0.00"
            verdict = ("flat: the object is streamed to a temporary file, never held in memory" if slope < 0.1
                       else "grows with the file" + (": pypdf.PdfReader(path) reads the whole file into memory "
                                                     "and keeps the objects it resolves" if kind == "pdf" else ""))
            notes.append(f"{kind}: peak RSS {rss_small:.0f} MB at {small} MB, {rss_big:.0f} MB at {big} MB "
                         f"({slope:+.2f} MB per MB of object) - {verdict}")
        notes[:0] = ["seconds: wall time of the CLI child (start-up, discovery, rows and files); "
                     "net: minus the rows-only run, i.e. the files' own cost; peak RSS: the child's "
                     "ru_maxrss, taken in a fresh launcher process",
                     "S3 is moto's server in the benchmark's process (pure Python, ~5 ms per request on "
                     "this machine, HEAD + GET per file): on 2 cores it shares the CPU with the child"]
    finally:
        if s3 is not None:
            s3.stop()
        server.cleanup()
        shutil.rmtree(scratch, ignore_errors=True)

    text = markdown(args, setup, rows, large, notes)
    out = append_results(args.output, text)
    print("\n" + text)
    print(f"Appended to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
