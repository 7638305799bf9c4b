"""The quick start's main job: an embedded PostgreSQL with the Procore-shaped demo database,
and the project's own scripts run against it as a user would run them.

    python -m procore_ingest.demo.quickstart [--output-dir demo-output] [--scale 1.0] [--keep-running]

No Vespa is needed: ingestion writes Vespa feed files (file://DIR), which `vespa feed` can
load into a real Vespa later. Nor is AWS: the files the demo's submittal attachments and change
orders refer to are served from a local S3 endpoint (moto, see `procore_ingest.demo.files`)
and indexed with --download-files as pdf_page documents.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from ..errors import ProcoreIngestError
from . import DemoSpec, start_embedded_demo

# The installed commands (pyproject's [project.scripts]) and the modules that hold their mains:
# the quick start runs the modules with this interpreter, so it works from a wheel as well as
# from a clone; `scripts/<name>.py` are the same mains.
COMMANDS = {"discover_schema.py": ("procore-discover", "procore_ingest.cli.discover"),
            "ingest_database.py": ("procore-ingest", "procore_ingest.cli.ingest"),
            "sync_database.py": ("procore-sync", "procore_ingest.cli.sync")}


def _run(script: str, *args: str, env: dict[str, str], show_env: tuple[str, ...] = ()) -> int:
    command, module = COMMANDS[script]
    shown = "".join(f"{name}={env[name]} " for name in show_env)
    print(f"\n$ {shown}{command} {' '.join(args)}    # = python scripts/{script}", flush=True)
    return subprocess.run([sys.executable, "-m", module, *args], env=env).returncode


# The demo's files come from these tables only: the others refer to signed storage.procore.com
# URLs too, which would need the network (and have expired anyway).
FILE_TABLES = ("submittal_attachments", "change_orders")


def index_demo_files(database_url: str, env: dict[str, str]) -> tuple[int, int | None]:
    """Serve the files FILE_TABLES refer to from a local S3 endpoint (in this process) and
    ingest those tables with --download-files. Returns (exit code, objects served)."""
    from .files import child_env, start_demo_s3

    print(f"\n[quickstart] serving the files {' and '.join(FILE_TABLES)} refer to from a local S3 "
          "endpoint (moto)...", flush=True)
    s3 = start_demo_s3(database_url, FILE_TABLES)
    try:
        print(f"  {s3.objects} objects ({s3.total_bytes / 1e6:.1f} MB) in s3://{s3.bucket} at {s3.endpoint}, "
              f"uploaded in {s3.upload_s:.1f}s", flush=True)
        code = _run("ingest_database.py", "--full", "--tables", *FILE_TABLES, "--download-files",
                    env=child_env(env, s3), show_env=("AWS_ENDPOINT_URL", "S3_BUCKET"))
    finally:
        s3.stop()
    return code, s3.objects


def _count_puts(path: Path) -> int:
    if not path.exists():
        return 0
    with open(path, encoding="utf-8") as fh:
        return sum(1 for line in fh if "put" in json.loads(line))


MIRROR_CHANGES = [
    ("an RFI is answered in Procore (updated_at and last_synced_at move)",
     "UPDATE rfis SET status = 'closed', updated_at = now(), last_synced_at = now() "
     "WHERE id = (SELECT min(id) FROM rfis)"),
    ("the mirror rewrites a photo (only last_synced_at moves)",
     "UPDATE photos SET description = 'Re-synced: north elevation', last_synced_at = now() "
     "WHERE id = (SELECT min(id) FROM photos)"),
    ("a new photo arrives",
     "INSERT INTO photos SELECT (SELECT max(id) + 1 FROM photos), project_id, url, thumbnail_url, s3_key, image_category_id, "
     "'New photo from the field', location, taken_at, now(), now(), now() FROM photos ORDER BY id LIMIT 1"),
    ("a photo is deleted",
     "DELETE FROM photos WHERE id = (SELECT id FROM photos ORDER BY id OFFSET 1 LIMIT 1)"),
    ("a prime contract is soft-deleted",
     "UPDATE prime_contracts SET deleted_at = now(), last_synced_at = now() "
     "WHERE id = (SELECT min(id) FROM prime_contracts WHERE deleted_at IS NULL)"),
    ("a webhook trigger changes (a table without timestamps)",
     "UPDATE webhook_triggers SET event_type = 'update' WHERE id = (SELECT min(id) FROM webhook_triggers)"),
]


def simulate_mirror_changes(url: str) -> list[str]:
    """Play the mirroring app for the demo: the writes sync_database.py must then find.
    (procore-ingest itself never writes to the source database.)"""
    import psycopg2

    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            for _, statement in MIRROR_CHANGES:
                cur.execute(statement)
    finally:
        conn.close()
    return [what for what, _ in MIRROR_CHANGES]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="quickstart", description=__doc__.split("\n\n")[0])
    p.add_argument("--output-dir", default="demo-output", help="where reports and feed files go")
    p.add_argument("--scale", type=float, default=1.0, help="demo size (1.0: about 40k rows)")
    p.add_argument("--keep-running", action="store_true", help="leave the embedded PostgreSQL running")
    args = p.parse_args(argv)

    out = Path(args.output_dir).resolve()
    feed = out / "feed"
    try:
        for old in (feed, out / "state"):  # a fresh run: feed files are appended to, state follows them
            shutil.rmtree(old, ignore_errors=True)
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"[quickstart] error: cannot write the demo's output to {out} ({exc.strerror}): "
              "choose another --output-dir", file=sys.stderr)
        return 1
    print("[quickstart] starting embedded PostgreSQL with the Procore-shaped demo database...", flush=True)
    try:  # rebuilt every run: the demo's mirror changes below must start from the same data
        demo = start_embedded_demo(Path.cwd() / ".procore_ingest" / "demo-pg", DemoSpec(scale=args.scale), rebuild=True)
    except ProcoreIngestError as exc:
        print(f"[quickstart] error: {exc}", file=sys.stderr)
        return 1
    env = {**os.environ, "PROCORE_DATABASE_URL": demo.url, "PROCORE_STATE_DIR": str(out / "state"),
           "VESPA_LOCAL_URL": f"file://{feed}"}
    codes = []
    served = None
    try:
        codes.append(_run("discover_schema.py", "--format", "both", "--output", str(out / "schema"),
                          "--include-samples", env=env))
        # FILE_TABLES are ingested once, by the files step, when it can run (it needs moto)
        with_files = importlib.util.find_spec("moto") is not None
        codes.append(_run("ingest_database.py", "--full", "--exclude", "_prisma_migrations", "sync_events",
                          *(FILE_TABLES if with_files else ()), "--batch-size", "2000", env=env))
        if with_files:
            code, served = index_demo_files(demo.url, env)
            codes.append(code)
        else:
            print("\n[quickstart] no files step: it needs moto (pip install -e '.[demo]')", flush=True)
        print("\n[quickstart] the mirroring app writes to the database:", flush=True)
        for line in simulate_mirror_changes(demo.url):
            print(f"  {line}")
        codes.append(_run("sync_database.py", "--once", "--exclude", "_prisma_migrations", "sync_events", env=env))
        codes.append(_run("sync_database.py", "--status", env=env))
    finally:
        if args.keep_running:
            print(f"\n[quickstart] PostgreSQL keeps running: PROCORE_DATABASE_URL={demo.url}")
        else:
            demo.stop()
    print("\n[quickstart] done:" if not any(codes) else "\n[quickstart] finished with errors:")
    print(f"  schema report      {out / 'schema.md'} (and schema.json)")
    print(f"  Vespa feed files   {feed}/<table>.jsonl  (load with: vespa feed {feed}/*.jsonl)")
    if served:
        pages = feed / "_pdf_page.jsonl"
        print(f"  file pages         {pages}  ({_count_puts(pages):,} pdf_page documents from "
              f"{served} files in S3)")
    print(f"  jobs and failures  {out / 'state'}")
    return next((c for c in codes if c), 0)


if __name__ == "__main__":
    sys.exit(main())
