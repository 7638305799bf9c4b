"""Everything that reads PostgreSQL, read only: sessions, casters, keyset reads, change queries, workers."""
