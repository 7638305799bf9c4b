"""A real PostgreSQL for the tests, and loaders for the shared sample databases.

Which server: TEST_DATABASE_URL if set (a superuser-ish URL to an existing server); else a
testcontainers PostgreSQL when a Docker engine answers; else an embedded server from PyPI
(pgserver) in a temporary directory. Each test gets its own database, created from a template
so that loading a sample database happens once per session.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql


def datasets_dir() -> Path:
    """Where the optional corpus of third-party sample databases is: $PROCORE_DATASETS_DIR, else
    the `datasets` folder CI lays beside the clone. A user's clone usually has neither; the tests
    that need the corpus are then skipped (see docs/testing.md)."""
    if os.environ.get("PROCORE_DATASETS_DIR"):
        return Path(os.environ["PROCORE_DATASETS_DIR"])
    return Path(__file__).resolve().parents[2] / "shared" / "datasets"


DATASETS = datasets_dir()
CORPUS_MISSING = (f"needs the sample-database corpus (not in a plain clone): set PROCORE_DATASETS_DIR "
                  f"to a folder holding pagila/, chinook/, northwind/, pgexercises/, iso3166/ "
                  f"(looked in {DATASETS})")


def dbname(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def with_database(url: str, dbname: str, user: str | None = None, password: str | None = None) -> str:
    """`url` pointing at another database (and optionally another login)."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if user is not None:
        host = netloc.rsplit("@", 1)[-1]
        cred = quote(user, safe="") + (":" + quote(password, safe="") if password else "")
        netloc = f"{cred}@{host}"
    return urlunsplit((parts.scheme, netloc, "/" + dbname, parts.query, parts.fragment))


@contextlib.contextmanager
def admin_cursor(url: str):
    """An autocommit cursor (CREATE/DROP DATABASE cannot run in a transaction block)."""
    conn = psycopg2.connect(url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            yield cur
    finally:
        conn.close()


@dataclass
class PostgresServer:
    """A running server and the URL of a superuser session on its maintenance database."""

    admin_url: str
    kind: str
    _stop: list = field(default_factory=list)

    def create_database(self, name: str | None = None, template: str | None = None) -> str:
        name = name or f"t_{uuid.uuid4().hex[:12]}"
        with admin_cursor(self.admin_url) as cur:
            if template:
                cur.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                        sql.Identifier(name), sql.Identifier(template)
                    )
                )
            else:
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return with_database(self.admin_url, name)

    def drop_database(self, name: str) -> None:
        with admin_cursor(self.admin_url) as cur:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def stop(self) -> None:
        for fn in self._stop:  # in order: stop the server, then remove its files
            try:
                fn()
            except Exception:
                pass


def _docker_answers() -> bool:
    try:
        import docker  # shipped with testcontainers

        client = docker.from_env(timeout=3)
        client.ping()
        return True
    except Exception:
        return False


def start_server() -> PostgresServer:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return PostgresServer(admin_url=url, kind="TEST_DATABASE_URL")
    if _docker_answers():
        from testcontainers.postgres import PostgresContainer

        container = PostgresContainer("postgres:16-alpine", driver=None)
        container.start()
        server = PostgresServer(admin_url=container.get_connection_url(), kind="testcontainers")
        server._stop.append(container.stop)
        return server
    import pgserver

    # Short path: the Unix socket lives here and socket paths are limited to ~100 bytes.
    datadir = tempfile.mkdtemp(prefix="pgt", dir="/tmp" if os.path.isdir("/tmp") else None)
    server_handle = pgserver.get_server(datadir, cleanup_mode="stop")
    server = PostgresServer(admin_url=server_handle.get_uri(), kind="pgserver")
    server._stop.append(server_handle.cleanup)
    server._stop.append(lambda: shutil.rmtree(datadir, ignore_errors=True))
    return server


# --- loading plain SQL dumps without psql -------------------------------------------------

_COPY_START = re.compile(r"^COPY\s.+\sFROM\s+stdin.*;\s*$", re.I)
_SKIP_LINE = re.compile(r"^\s*(\\|DROP DATABASE|CREATE DATABASE)", re.I)
_OWNER = re.compile(r"^ALTER\s.+\sOWNER TO\s.+;\s*$", re.I)


def load_sql_file(url: str, path: Path) -> None:
    """Run a psql-style script: SQL, `COPY ... FROM stdin` blocks, psql meta-commands dropped.

    Database-level lines (CREATE/DROP DATABASE, \\c) are dropped as the datasets' READMEs
    suggest for loading into a database of one's own naming; OWNER TO lines are dropped so the
    loading role need not be called `postgres`.
    """
    import io

    conn = psycopg2.connect(url)
    conn.autocommit = True
    cur = conn.cursor()
    pending: list[str] = []

    def flush() -> None:
        text = "".join(pending).strip()
        pending.clear()
        # A chunk of only comments is an "empty query" to the server.
        if any(ln.strip() and not ln.lstrip().startswith("--") for ln in text.splitlines()):
            cur.execute(text)

    with open(path, encoding="utf-8") as fh:
        lines = iter(fh)
        for line in lines:
            if _COPY_START.match(line):
                flush()
                data = io.StringIO()
                for row in lines:
                    if row.rstrip("\r\n") == "\\.":
                        break
                    data.write(row)
                data.seek(0)
                cur.copy_expert(line.strip().rstrip(";"), data)
            elif _SKIP_LINE.match(line) or _OWNER.match(line):
                continue
            else:
                pending.append(line)
    flush()
    cur.execute("SET search_path TO DEFAULT")
    conn.close()


DATASET_FILES: dict[str, list[str]] = {
    "pagila": ["pagila/pagila-schema.sql", "pagila/pagila-data.sql"],
    "chinook": ["chinook/Chinook_PostgreSql.sql"],
    "northwind": ["northwind/northwind.sql"],
    "pgexercises": ["pgexercises/clubdata.sql"],
    "iso3166": ["iso3166/iso-3166.sql"],
}


def load_dataset(url: str, name: str) -> None:
    for rel in DATASET_FILES[name]:
        load_sql_file(url, DATASETS / rel)
