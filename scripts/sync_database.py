#!/usr/bin/env python3
"""Keep Vespa equal to the database: inserts, updates and deletes, as a daemon or one cycle.

Exit codes: 0 success (--once or --status), 1 connection error, 2 already running (--daemon),
3 some documents failed (--once), 130 interrupted (SIGINT), 143 terminated (SIGTERM).
"""

import sys

import _bootstrap  # noqa: F401  (makes the package importable from a clone)

from procore_ingest.cli.sync import main

if __name__ == "__main__":
    sys.exit(main())
