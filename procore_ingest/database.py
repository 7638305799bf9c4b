"""Read-only PostgreSQL sessions: the bottom of the data path, used by discovery and source alike.

Every session this package opens is a read-only transaction with a statement timeout: the
source database is never written. Connection failures become `DatabaseConnectionError` and
privilege failures `DatabasePermissionError`, with messages that carry no password.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg2
import psycopg2.errors
import psycopg2.extensions

from .config import scrub
from .errors import ConfigError, DatabaseConnectionError, DatabasePermissionError
from .logs import logger

APPLICATION_NAME = "procore-ingest"
# Failures worth another attempt: the server is starting, restarting or briefly unreachable.
_TRANSIENT_MARKERS = (
    "could not connect",
    "connection refused",
    "timeout expired",
    "the database system is starting up",
    "the database system is shutting down",
    "server closed the connection",
    "terminating connection",
)


@dataclass(frozen=True)
class DatabaseTarget:
    """Where a URL points, safe to print: no password."""

    host: str
    port: str
    dbname: str
    user: str


def dsn_problem(message: str) -> str:
    """The kind of problem in libpq's message about a URL it cannot parse, without the quoted
    tokens: libpq quotes the failing piece, which may be part of the password
    (`invalid percent-encoded token: "Pa%ss-W0rd"`, `missing "=" after "secret"`)."""
    first = message.strip().splitlines()[0] if message.strip() else "cannot be parsed"
    first = first.removeprefix("invalid dsn: ")
    return re.sub(r'"[^"]*"', lambda m: m.group(0) if len(m.group(0)) <= 3 else "(…)", first)


def describe(url: str) -> DatabaseTarget:
    """Parse a libpq URL or key=value string into its printable parts."""
    try:
        params = psycopg2.extensions.parse_dsn(url)
    except psycopg2.ProgrammingError as exc:
        raise ConfigError(f"the database URL is not valid: {dsn_problem(str(exc))}") from None
    return DatabaseTarget(
        host=params.get("host", "localhost"),
        port=params.get("port", "5432"),
        dbname=params.get("dbname", params.get("user", "")),
        user=params.get("user", ""),
    )


def _connect_once(url: str, statement_timeout_ms: int, connect_timeout_s: int):
    conn = psycopg2.connect(
        url, application_name=APPLICATION_NAME, connect_timeout=connect_timeout_s
    )
    conn.autocommit = True
    with conn.cursor() as cur:
        # Session-level so every later transaction, including server-side cursors, is read only.
        cur.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        cur.execute("SELECT set_config('statement_timeout', %s, false)", (str(statement_timeout_ms),))
    conn.autocommit = False
    return conn


def connect(
    url: str,
    *,
    statement_timeout_ms: int = 300_000,
    connect_timeout_s: int = 10,
    attempts: int = 3,
    backoff_s: float = 0.5,
):
    """Open a read-only session, retrying transient failures with exponential backoff."""
    describe(url)  # ConfigError for a malformed URL before any network traffic
    last_message = ""
    for attempt in range(1, attempts + 1):
        try:
            return _connect_once(url, statement_timeout_ms, connect_timeout_s)
        except psycopg2.OperationalError as exc:
            last_message = scrub(str(exc).strip().splitlines()[0] if str(exc).strip() else "", url)
            transient = any(m in str(exc).lower() for m in _TRANSIENT_MARKERS)
            if not transient or attempt == attempts:
                break
            logger.debug("connection attempt %d failed (%s); retrying", attempt, last_message)
            time.sleep(backoff_s * 2 ** (attempt - 1))
    target = describe(url)
    if "permission denied for database" in last_message:  # SQLSTATE 42501 at login: no CONNECT privilege
        raise DatabasePermissionError(
            f"permission denied: role {target.user!r} may not connect to database {target.dbname!r} at "
            f"{target.host}:{target.port} (GRANT CONNECT ON DATABASE {target.dbname} TO {target.user})")
    raise DatabaseConnectionError(
        f"cannot connect to database {target.dbname!r} at {target.host}:{target.port}: {last_message}"
    )


@contextlib.contextmanager
def session(url: str, **kwargs) -> Iterator[psycopg2.extensions.connection]:
    """`connect()` as a context manager that always closes the connection."""
    conn = connect(url, **kwargs)
    try:
        yield conn
    finally:
        conn.close()


def is_permission_error(exc: BaseException) -> bool:
    """True for 'permission denied' (SQLSTATE 42501) from the server."""
    return isinstance(exc, psycopg2.errors.InsufficientPrivilege)


def first_line(exc: BaseException) -> str:
    """The first line of a driver error: PostgreSQL's message without DETAIL/HINT lines."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def connection_lost(conn, exc: BaseException) -> bool:
    """True when `exc` means the session is gone (server down, restarted, network), as
    opposed to an error about one statement."""
    code = getattr(exc, "pgcode", None)
    return bool(conn.closed) or code is None or code.startswith(("08", "57P"))
