"""Map a PostgreSQL database: tables, columns, keys, relationships, change-tracking and
file-reference columns, row counts and statistics. Writes JSON and/or Markdown.

Exit codes: 0 success, 1 connection error, 2 permission denied (report still written),
3 output write error.
"""

from __future__ import annotations

import argparse
import sys

from .. import config
from ..discovery import discover
from ..errors import DISCOVER_EXIT_CODES
from ..logs import logger
from . import run
from .reports import check_writable, report_paths, write_reports


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", help="PostgreSQL URL (default: $PROCORE_DATABASE_URL)")
    p.add_argument("--output", help="output file (default: stdout); with --format both, "
                   "OUTPUT.json and OUTPUT.md (a .json/.md suffix on OUTPUT is dropped first)")
    p.add_argument("--format", choices=["json", "markdown", "both"], default="json")
    p.add_argument("--include-samples", action="store_true",
                   help="include the first 5 rows of each table (secrets redacted)")
    p.add_argument("--include-stats", action=argparse.BooleanOptionalAction, default=True,
                   help="exact row counts and column statistics (default: on; "
                   "--no-include-stats uses planner estimates only)")
    p.add_argument("--verbose", action="store_true", help="debug logging")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def job() -> int:
        url = config.database_url(args.database_url)
        targets = report_paths(args.output, args.format)
        check_writable(targets)  # fail before the (possibly long) discovery, not after
        schema = discover(url, include_stats=args.include_stats,
                          include_samples=args.include_samples)
        written = write_reports(schema, targets, sys.stdout)
        tables = len([t for t in schema.tables if t.kind != "partition"])
        logger.info("Discovered %d tables, %d relationships, %d file-reference columns in %s",
                    tables, len(schema.relationships),
                    schema.file_references_summary.total_columns, schema.database_name)
        for path in written:
            logger.info("Report written: %s", path)
        for warning in schema.warnings:
            logger.warning("%s", warning)
        return 2 if any(not t.readable for t in schema.tables) else 0

    return run(job, DISCOVER_EXIT_CODES, verbose=args.verbose)


if __name__ == "__main__":
    raise SystemExit(main())
