"""A role the database refuses (no CONNECT privilege) is the contract's "permission denied":
exit 2 from discovery with one line naming the database and the role, never the password;
ingestion and sync have no such code and keep exit 1."""

from __future__ import annotations

import psycopg2.extensions

from tests.helpers import execute, run_script
from tests.pgharness import dbname


def _as_role(url: str, user: str, password: str) -> str:
    params = psycopg2.extensions.parse_dsn(url)
    params.update(user=user, password=password)
    return psycopg2.extensions.make_dsn(**params)


def test_a_role_without_connect_is_exit_2_for_discovery_and_1_for_the_others(pg_url, tmp_path):
    name = dbname(pg_url)
    execute(pg_url, f"""DROP ROLE IF EXISTS no_connect; CREATE ROLE no_connect LOGIN PASSWORD 'pw-s3cret-xyz';
                        REVOKE CONNECT ON DATABASE "{name}" FROM PUBLIC;""")
    try:
        url = _as_role(pg_url, "no_connect", "pw-s3cret-xyz")
        discover = run_script("discover_schema.py", "--database-url", url)
        assert discover.returncode == 2, discover.stderr
        line = discover.stderr.strip().splitlines()[-1]
        assert "permission denied" in line and name in line and "no_connect" in line
        assert "pw-s3cret-xyz" not in discover.stderr and "Traceback" not in discover.stderr
        ingest = run_script("ingest_database.py", "--full", "--database-url", url,
                            "--vespa-url", f"file://{tmp_path}/feed", "--state-dir", str(tmp_path / "s"))
        sync = run_script("sync_database.py", "--once", "--database-url", url, "--vespa-url",
                          f"file://{tmp_path}/feed", "--state-dir", str(tmp_path / "s"),
                          "--pid-file", str(tmp_path / "p.pid"))
        for result in (ingest, sync):
            assert result.returncode == 1, result.stderr
            assert "permission denied" in result.stderr and "pw-s3cret-xyz" not in result.stderr
        missing = run_script("discover_schema.py", "--database-url", pg_url.replace(name, name + "_missing"))
        assert missing.returncode == 1, missing.stderr  # a missing database stays a connection error
    finally:
        execute(pg_url, f'GRANT CONNECT ON DATABASE "{name}" TO PUBLIC; DROP ROLE no_connect;')
