"""The embedded PostgreSQL (pgserver, the `demo` extra) the quick start runs the demo in."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from psycopg2 import sql

from ..errors import DatabaseConnectionError
from .load import build_demo_database, connect, one_line
from .preflight import check_embedded
from .spec import DEFAULT_EMBEDDED_DIR, DEFAULT_SPEC, DEMO_DATABASE, DemoSpec

# --- embedded PostgreSQL (pgserver) for the quick start -------------------------------------


@dataclass
class EmbeddedDemo:
    """A running embedded PostgreSQL holding the demo database."""

    url: str
    data_dir: Path
    rows: dict[str, int] | None = None  # rows per table when this call built it, None when reused
    _server: Any = field(default=None, repr=False)

    def stop(self) -> None:
        """Stop the server (unless another process still holds a handle to it)."""
        if self._server is not None:
            self._server.cleanup_mode = "stop"
            self._server.cleanup()
            self._server = None


def _marker(spec: DemoSpec) -> str:
    return f"procore_ingest demo: seed={spec.seed} scale={spec.scale} foreign_keys={spec.foreign_keys}"


def _start_server(data_dir: Path, cleanup_mode: str | None) -> Any:
    check_embedded(data_dir)  # one line with the fix for what pgserver would fail on
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        import pgserver
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # pgserver puts the Unix socket in data_dir, or under a short runtime directory when
            # data_dir is too long for a socket path (~100 bytes).
            return pgserver.get_server(data_dir, cleanup_mode=cleanup_mode)
    except Exception as exc:  # pgserver raises plain exceptions (subprocess, RuntimeError, OSError)
        raise DatabaseConnectionError(f"cannot start the embedded PostgreSQL in {data_dir}: {one_line(exc)}") from None


def start_embedded_demo(
    data_dir: Path | str = DEFAULT_EMBEDDED_DIR, spec: DemoSpec = DEFAULT_SPEC, rebuild: bool = False
) -> EmbeddedDemo:
    """Start (or reuse) an embedded pgserver PostgreSQL under data_dir and make sure database
    `procore_int_v2` exists with the demo data (built once; rebuilt if rebuild=True). Returns a
    URL to it.

    The server keeps running after this process exits, so the URL stays usable by other
    commands; call `EmbeddedDemo.stop()` (or the CLI's --stop) to stop it. A database built
    with a different seed, scale or FK choice is rebuilt.
    """
    path = Path(data_dir).expanduser().resolve()
    server = _start_server(path, cleanup_mode=None)
    admin_url = server.get_uri("postgres")
    conn = connect(admin_url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", (DEMO_DATABASE,))
            found = cur.fetchone()
            if found and found[0] == _marker(spec) and not rebuild:
                return EmbeddedDemo(server.get_uri(DEMO_DATABASE), path, None, server)
            db = sql.Identifier(DEMO_DATABASE)
            if found:
                cur.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(db))
            cur.execute(sql.SQL("CREATE DATABASE {}").format(db))
            url = server.get_uri(DEMO_DATABASE)
            counts = build_demo_database(url, spec)
            # Recorded last, so a build that died half-way is redone next time.
            cur.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(db, sql.Literal(_marker(spec))))
    finally:
        conn.close()
    return EmbeddedDemo(url, path, counts, server)


def stop_embedded_demo(data_dir: Path | str = DEFAULT_EMBEDDED_DIR) -> bool:
    """Stop the embedded server under data_dir if it runs; False when there was none."""
    path = Path(data_dir).expanduser().resolve()
    if not (path / "postmaster.pid").exists():
        return False
    EmbeddedDemo("", path, None, _start_server(path, cleanup_mode="stop")).stop()
    return True
