"""Map a PostgreSQL database: tables, columns, keys, relationships, change-tracking and
file-reference columns, row counts and statistics. Writes JSON and/or Markdown.

Exit codes: 0 success, 1 connection error, 2 permission denied (report still written),
3 output write error.

A bad setting or configuration file exits 1; a mistyped flag exits 2 (argparse's usage error).
"""

from __future__ import annotations

import argparse
import sys

from .. import config
from ..discovery import discover
from ..errors import DISCOVER_EXIT_CODES
from ..logs import logger
from . import CommandLine, run
from .reports import check_writable, report_paths, write_reports

EXAMPLES = """\
  procore-discover --format markdown --output schema-report.md
  procore-discover --format both --output schema-map      # schema-map.json and schema-map.md
  procore-discover --no-include-stats > schema-map.json   # planner estimates only: fast"""


def command_line(prog: str | None = None) -> CommandLine:
    cli = CommandLine("discover", __doc__, EXAMPLES, prog)
    source = cli.group("source")
    cli.setting(source, "--database-url", "database_url", "PostgreSQL URL", default_text="none, required",
                metavar="URL")
    what = cli.group("what to include")
    cli.setting(what, "--include-samples", "include_samples",
                "include the first 5 rows of each table (secrets redacted)")
    cli.setting(what, "--include-stats", "include_stats",
                "exact row counts and column statistics (--no-include-stats: planner estimates only)")
    output = cli.group("output")
    cli.setting(output, "--output", "output", "output file; with --format both, OUTPUT.json and OUTPUT.md "
                "(a .json/.md suffix on OUTPUT is dropped first)", default_text="stdout", metavar="PATH")
    cli.setting(output, "--format", "format", "report format")
    output.add_argument("--print-config", action="store_true",
                        help="print every setting in effect and where it came from, then exit")
    cli.add_output_options(output)
    return cli


def parse_args(argv: list[str] | None = None, prog: str | None = None) -> argparse.Namespace:
    return command_line(prog).parse(argv, DISCOVER_EXIT_CODES)


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    args = parse_args(argv, prog)

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

    return run(job, DISCOVER_EXIT_CODES, args)


if __name__ == "__main__":
    raise SystemExit(main())
