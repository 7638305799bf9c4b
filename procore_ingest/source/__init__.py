"""Everything that reads PostgreSQL, read only: casters and text parsers, keyset reads, change queries
(sessions: procore_ingest/database.py; reading with worker processes: pipeline/build.py)."""
