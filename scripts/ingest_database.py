#!/usr/bin/env python3
"""Put every row of every chosen table into Vespa as a procore_record document.

Exit codes: 0 success, 1 database connection error, 2 Vespa connection error,
3 partial failure (some records failed), 4 complete failure, 5 job cancelled.
"""

import sys

import _bootstrap  # noqa: F401  (makes the package importable from a clone)

from procore_ingest.cli.ingest import main

if __name__ == "__main__":
    sys.exit(main())
