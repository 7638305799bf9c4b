"""procore-ingest: make a PostgreSQL database searchable in Vespa and keep it in sync.

Notebook use::

    from procore_ingest import discover
    schema = discover("postgresql://reader:...@host:5432/procore_int_v2")
    schema.table("photos").file_reference_columns
    print(schema.to_markdown())

    from procore_ingest import verify
    report = verify("postgresql://reader:...@host:5432/procore_int_v2", "http://localhost:8080")
    report.equal, report.tables["photos"].missing_ids

The library never exits the process or prints; it raises the errors in `procore_ingest.errors`.
"""

from .discovery import discover
from .discovery.model import SchemaMap, Table
from .errors import (
    DatabaseConnectionError,
    DatabasePermissionError,
    OutputWriteError,
    ProcoreIngestError,
    VespaConnectionError,
)
from .pipeline.verify import TableVerify, VerifyReport, verify

__version__ = "0.1.0"

__all__ = [
    "DatabaseConnectionError", "DatabasePermissionError", "OutputWriteError",
    "ProcoreIngestError", "SchemaMap", "Table", "TableVerify", "VerifyReport", "VespaConnectionError",
    "discover", "verify",
]
