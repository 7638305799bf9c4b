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

from importlib import metadata as _metadata
from pathlib import Path as _Path

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


def _package_version() -> str:
    """The installed distribution's version (pyproject.toml is the one place it is written);
    from a clone that was never installed, pyproject.toml's own line."""
    try:
        return _metadata.version("procore-ingest")
    except _metadata.PackageNotFoundError:
        pyproject = _Path(__file__).resolve().parents[1] / "pyproject.toml"
        try:
            for line in pyproject.read_text().splitlines():
                if line.startswith("version"):
                    return line.split("=", 1)[1].strip().strip('"')
        except OSError:
            pass
        return "0+unknown"


__version__ = _package_version()

__all__ = [
    "DatabaseConnectionError", "DatabasePermissionError", "OutputWriteError",
    "ProcoreIngestError", "SchemaMap", "Table", "TableVerify", "VerifyReport", "VespaConnectionError",
    "discover", "verify",
]
