"""Which database a session reads, as text safe to store: what binds the sync state to it.

The cluster's `system_identifier` (pg_control_system(), when the role may call it) or else the
server's address, plus the database's name and oid. A restored copy (another database, another
cluster) gets another identity; no user name or password is ever part of it.
"""

from __future__ import annotations

from typing import Any

_QUERY = """
SELECT CASE WHEN has_function_privilege('pg_control_system()', 'EXECUTE')
            THEN (SELECT system_identifier::text FROM pg_control_system()) END,
       current_database(),
       (SELECT oid FROM pg_database WHERE datname = current_database())
"""


def database_identity(conn: Any) -> str:
    """`system <id>, database <name> (oid <oid>)`, or with the server's host and port in place of
    the system identifier when the role may not read it. Ends the transaction it opens."""
    with conn.cursor() as cur:
        cur.execute(_QUERY)
        system, name, oid = cur.fetchone()
    conn.rollback()
    where = f"system {system}" if system else f"server {conn.info.host}:{conn.info.port}"
    return f"{where}, database {name} (oid {oid})"
