"""`python -m procore_ingest.demo`: build the demo database into a URL, or into the embedded server."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from ..errors import ProcoreIngestError
from .embedded import start_embedded_demo, stop_embedded_demo
from .load import build_demo_database, one_line
from .spec import DEFAULT_EMBEDDED_DIR, DemoSpec, row_counts

# --- CLI ------------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m procore_ingest.demo",
        description="Build the deterministic Procore-shaped demo database (procore_int_v2 look-alike).",
    )
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--database-url", help="build into this existing, empty PostgreSQL database")
    where.add_argument("--embedded", action="store_true",
                       help="start (or reuse) an embedded PostgreSQL (pgserver) and print the demo database URL")
    p.add_argument("--data-dir", default=DEFAULT_EMBEDDED_DIR, help=f"embedded server directory (default {DEFAULT_EMBEDDED_DIR})")
    p.add_argument("--rebuild", action="store_true", help="with --embedded: drop and rebuild the demo database")
    p.add_argument("--stop", action="store_true", help="with --embedded: stop the embedded server and exit")
    p.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    p.add_argument("--scale", type=float, default=1.0, help="multiplier for every row count (default 1.0, ~47k rows)")
    p.add_argument("--no-foreign-keys", action="store_true", help="leave out the 57 formal foreign key constraints")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point; returns the exit code (errors are one line on stderr)."""
    args = _parser().parse_args(argv)
    spec = DemoSpec(seed=args.seed, scale=args.scale, foreign_keys=not args.no_foreign_keys)
    started = time.monotonic()
    try:
        row_counts(spec.scale)  # validate before starting anything
        if args.embedded and args.stop:
            stopped = stop_embedded_demo(args.data_dir)
            print("embedded PostgreSQL stopped" if stopped else "no embedded PostgreSQL running there", file=sys.stderr)
            return 0
        if args.embedded:
            demo = start_embedded_demo(args.data_dir, spec, rebuild=args.rebuild)
            if demo.rows is None:
                print(f"reusing the demo database in {demo.data_dir}", file=sys.stderr)
            else:
                print(_summary(demo.rows, spec, time.monotonic() - started), file=sys.stderr)
            print(demo.url)
            return 0
        counts = build_demo_database(args.database_url, spec)
        print(_summary(counts, spec, time.monotonic() - started))
        return 0
    except ProcoreIngestError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # no tracebacks for users: one line, credentials scrubbed
        print(f"error: {type(exc).__name__}: {one_line(exc, args.database_url or '')}", file=sys.stderr)
        return 1


def _summary(counts: dict[str, int], spec: DemoSpec, seconds: float) -> str:
    fks = "with" if spec.foreign_keys else "without"
    return (f"demo database built: {sum(counts.values()):,} rows in {len(counts)} tables, {fks} foreign keys "
            f"(seed {spec.seed}, scale {spec.scale}) in {seconds:.1f}s")


if __name__ == "__main__":
    sys.exit(main())
