#!/usr/bin/env python3
"""Map a PostgreSQL database: tables, columns, keys, relationships, change-tracking and
file-reference columns, row counts and statistics. Writes JSON and/or Markdown.

Exit codes: 0 success, 1 connection error, 2 permission denied (report still written),
3 output write error.
"""

import sys

import _bootstrap  # noqa: F401  (makes the package importable from a clone)

from procore_ingest.cli.discover import main

if __name__ == "__main__":
    sys.exit(main())
