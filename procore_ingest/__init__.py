"""procore-ingest: make a PostgreSQL database searchable in Vespa and keep it in sync."""
