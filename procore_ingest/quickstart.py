"""The quick start's main job: an embedded PostgreSQL with the Procore-shaped demo database,
and the project's own scripts run against it as a user would run them.

    python -m procore_ingest.quickstart [--output-dir demo-output] [--scale 1.0] [--keep-running]

No Vespa is needed: ingestion writes Vespa feed files (file://DIR), which `vespa feed` can
load into a real Vespa later.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from .demo import DemoSpec, start_embedded_demo

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "scripts"


def _run(script: str, *args: str, env: dict[str, str]) -> int:
    print(f"\n$ python scripts/{script} {' '.join(args)}", flush=True)
    return subprocess.run([sys.executable, str(SCRIPTS / script), *args], env=env).returncode


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="quickstart", description=__doc__.split("\n\n")[0])
    p.add_argument("--output-dir", default="demo-output", help="where reports and feed files go")
    p.add_argument("--scale", type=float, default=1.0, help="demo size (1.0: about 40k rows)")
    p.add_argument("--keep-running", action="store_true", help="leave the embedded PostgreSQL running")
    args = p.parse_args(argv)

    out = Path(args.output_dir).resolve()
    feed = out / "feed"
    shutil.rmtree(feed, ignore_errors=True)  # feed files are appended to: start clean
    out.mkdir(parents=True, exist_ok=True)
    print("[quickstart] starting embedded PostgreSQL with the Procore-shaped demo database...", flush=True)
    demo = start_embedded_demo(ROOT / ".procore_ingest" / "demo-pg", DemoSpec(scale=args.scale))
    env = {**os.environ, "PROCORE_DATABASE_URL": demo.url, "PROCORE_STATE_DIR": str(out / "state"),
           "VESPA_LOCAL_URL": f"file://{feed}"}
    codes = []
    try:
        codes.append(_run("discover_schema.py", "--format", "both", "--output", str(out / "schema"),
                          "--include-samples", env=env))
        codes.append(_run("ingest_database.py", "--full", "--exclude", "_prisma_migrations", "sync_events",
                          "--batch-size", "2000", env=env))
    finally:
        if args.keep_running:
            print(f"\n[quickstart] PostgreSQL keeps running: PROCORE_DATABASE_URL={demo.url}")
        else:
            demo.stop()
    print("\n[quickstart] done:" if not any(codes) else "\n[quickstart] finished with errors:")
    print(f"  schema report      {out / 'schema.md'} (and schema.json)")
    print(f"  Vespa feed files   {feed}/<table>.jsonl  (load with: vespa feed {feed}/*.jsonl)")
    print(f"  jobs and failures  {out / 'state'}")
    return next((c for c in codes if c), 0)


if __name__ == "__main__":
    sys.exit(main())
