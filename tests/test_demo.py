"""The deterministic Procore-shaped demo database (procore_ingest.demo)."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2
import pytest
from psycopg2 import sql

from procore_ingest.demo import (
    BASE_COUNTS,
    DemoSpec,
    build_demo_database,
    row_counts,
    start_embedded_demo,
)
from procore_ingest.demo.preflight import Host, check_embedded
from procore_ingest.errors import ConfigError, ProcoreIngestError
from tests.helpers import query
from tests.pgharness import dbname

P49 = 2**49
SMALL = 0.05
REPO = Path(__file__).resolve().parents[1]
# the S3 key pattern the mirroring app's file detector checks keys with
S3_KEY = re.compile(r"^\d+/\d+/\w+/\d+/.+$")
MAP_COLUMNS = [
    ("change_orders", "attachment_s3_keys"),
    ("change_events", "attachment_s3_keys"),
    ("commitment_contracts", "attachments_s3_keys"),
    ("commitment_change_orders", "attachments_s3_keys"),
    ("requisitions", "attachments_s3_keys"),
    ("direct_costs", "attachments_s3_keys"),
    ("rfis", "official_response_attachment_s3_keys"),
    ("submittals", "official_response_attachment_s3_keys"),
]


def scalar(url: str, text: str | sql.Composable, args: tuple = ()):
    return query(url, text, args or None)[0][0]


def public_tables(url: str) -> list[str]:
    rows = query(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
    return [r[0] for r in rows]


def table_counts(url: str) -> dict[str, int]:
    return {
        t: scalar(url, sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(t)))
        for t in public_tables(url)
    }


def content_digest(url: str) -> dict[str, str]:
    """md5 of every table's rows in id order, computed by the server."""
    return {
        t: scalar(
            url,
            sql.SQL("SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM {} t").format(
                sql.Identifier(t)
            ),
        )
        for t in public_tables(url)
    }


@pytest.fixture
def new_db(pg_server) -> Iterator[Callable[[], str]]:
    """Factory of fresh empty databases, all dropped after the test."""
    made: list[str] = []

    def make() -> str:
        made.append(pg_server.create_database())
        return made[-1]

    yield make
    for url in made:
        pg_server.drop_database(dbname(url))


@pytest.fixture
def small_url(new_db) -> str:
    url = new_db()
    build_demo_database(url, DemoSpec(scale=SMALL))
    return url


# --- plan -----------------------------------------------------------------------------------


def test_row_counts_follow_the_published_numbers() -> None:
    full = row_counts()
    assert len(full) == 46
    for table, rows in {"photos": 7631, "sync_events": 5973, "drawings": 5701, "projects": 31,
                        "prime_contracts": 8, "project_users": 1610, "requisitions": 2704}.items():
        assert full[table] == rows
    assert full["submittal_attachments"] > 0  # 0 in the real database, but files need keys there
    assert 40_000 <= sum(full.values()) <= 50_000

    small = row_counts(SMALL)
    assert set(small) == set(BASE_COUNTS)
    assert all(n >= 1 for n in small.values())
    assert sum(small.values()) < 3_000
    # unique (project_id, user_id) must fit: never more project users than pairs
    assert small["project_users"] <= small["projects"] * small["company_users"]

    for bad in (0, -1, float("nan")):
        with pytest.raises(ConfigError):
            row_counts(bad)


# --- full-size database: shape, types, constraints ------------------------------------------


def test_full_build_has_every_table_with_the_planned_rows(demo_url: str) -> None:
    counts = table_counts(demo_url)
    assert len(counts) == 46
    assert "_prisma_migrations" in counts
    assert counts == row_counts(1.0)
    assert 40_000 <= sum(counts.values()) <= 50_000


def test_columns_use_prismas_postgres_types(demo_url: str) -> None:
    types = dict(
        ((t, c), typ)
        for t, c, typ in query(
            demo_url,
            "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
            "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped",
        )
    )
    expected = {
        ("photos", "id"): "bigint",
        ("photos", "created_at"): "timestamp(3) without time zone",
        ("photos", "url"): "text",
        ("prime_contracts", "grand_total"): "numeric(15,2)",
        ("prime_contracts", "percentage_paid"): "numeric(15,10)",
        ("commitment_contracts", "retainage_percent"): "numeric(5,2)",
        ("commitment_contract_items", "quantity"): "numeric(15,4)",
        ("commitment_contracts", "contract_date"): "date",
        ("direct_costs", "attachment_ids"): "bigint[]",
        ("change_orders", "attachment_s3_keys"): "jsonb",
        ("webhook_health_metrics", "success_rate"): "double precision",
        ("daily_logs", "location_id"): "integer",
        ("budget_line_items", "is_forecast_manual"): "boolean",
        ("api_credentials", "id"): "integer",
        ("project_users", "id"): "text",
        ("_prisma_migrations", "id"): "character varying(36)",
        ("_prisma_migrations", "started_at"): "timestamp with time zone",
    }
    assert {k: types.get(k) for k in expected} == expected
    # No Prisma type maps to plain timestamp/numeric/json.
    assert not {v for v in types.values() if v in ("timestamp without time zone", "numeric", "json")}

    defaults = dict(
        query(
            demo_url,
            "SELECT table_name || '.' || column_name, column_default FROM information_schema.columns "
            "WHERE table_schema = 'public' AND column_default IS NOT NULL",
        )
    )
    assert defaults["photos.last_synced_at"] == "CURRENT_TIMESTAMP"
    assert defaults["api_credentials.id"].startswith("nextval(")
    assert defaults["api_credentials.token_type"] == "'Bearer'::text"
    assert defaults["submittals.revision_number"] == "1"
    assert "photos.created_at" not in defaults  # Procore's own timestamp: no default


def test_keys_and_indexes_use_prisma_names(demo_url: str) -> None:
    indexes = {r[0]: r[1] for r in query(demo_url, "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'")}
    assert len(indexes) == 46 + 228  # a primary key per table, 228 @@index/@@unique/@unique
    assert "UNIQUE" in indexes["drawings_project_id_drawing_number_key"]
    assert "UNIQUE" in indexes["direct_costs_origin_id_key"]
    assert "UNIQUE" not in indexes["photos_project_id_idx"]
    assert "(project_id, number)" in indexes["submittals_project_id_number_idx"]
    # Names longer than 63 bytes are cut the way Prisma cuts them: the suffix survives.
    assert "specification_section_revisions_specification_section_divis_idx" in indexes
    pks = query(
        demo_url,
        "SELECT conrelid::regclass::text, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'p' AND connamespace = 'public'::regnamespace",
    )
    assert len(pks) == 46
    assert all(d == "PRIMARY KEY (id)" for _, d in pks)


def test_fk_variant_has_prismas_foreign_keys(demo_url: str, demo_nofk_url: str) -> None:
    fks = query(
        demo_url,
        "SELECT conname, confdeltype, confupdtype FROM pg_constraint WHERE contype = 'f' "
        "AND connamespace = 'public'::regnamespace",
    )
    assert len(fks) == 57
    actions = {name: (d, u) for name, d, u in fks}
    assert sum(d == "c" for d, _ in actions.values()) == 48  # onDelete: Cascade
    assert all(u == "c" for _, u in actions.values())  # Prisma's default ON UPDATE CASCADE
    assert actions["commitment_contracts_vendor_id_fkey"][0] == "r"  # required, no onDelete: RESTRICT
    assert actions["documents_parent_id_fkey"][0] == "n"  # optional, no onDelete: SET NULL
    assert "integration_response_events_request_id_fkey" in actions

    assert scalar(demo_nofk_url, "SELECT count(*) FROM pg_constraint WHERE contype = 'f'") == 0
    # Same rows either way.
    assert table_counts(demo_nofk_url) == table_counts(demo_url)


def test_nofk_data_still_satisfies_every_formal_key(demo_nofk_url: str) -> None:
    from procore_ingest.demo.schema import read_sql

    conn = psycopg2.connect(demo_nofk_url)
    try:
        with conn.cursor() as cur:
            cur.execute(read_sql("foreign_keys.sql"))  # raises if any formal link dangles
            cur.execute("SELECT count(*) FROM pg_constraint WHERE contype = 'f'")
            assert cur.fetchone()[0] == 57
    finally:
        conn.rollback()
        conn.close()


# --- determinism ----------------------------------------------------------------------------


def test_same_seed_same_content_other_seed_differs(new_db) -> None:
    a, b, c = new_db(), new_db(), new_db()
    build_demo_database(a, DemoSpec(seed=42, scale=SMALL))
    build_demo_database(b, DemoSpec(seed=42, scale=SMALL))
    build_demo_database(c, DemoSpec(seed=7, scale=SMALL))
    da, db, dc = content_digest(a), content_digest(b), content_digest(c)
    assert len(da) == 46
    assert da == db
    differing = [t for t in da if da[t] != dc[t]]
    assert len(differing) >= 40  # every table with generated content changes with the seed


def test_build_refuses_a_non_empty_database(small_url: str) -> None:
    with pytest.raises(ConfigError, match="not empty"):
        build_demo_database(small_url, DemoSpec(scale=SMALL))


def test_a_failed_build_leaves_nothing_behind(pg_url: str) -> None:
    conn = psycopg2.connect(pg_url)
    conn.autocommit = True
    with conn.cursor() as cur:  # not a table, so the database counts as empty, but it clashes
        cur.execute("CREATE TYPE public.projects AS (x int)")
    conn.close()
    with pytest.raises(ProcoreIngestError, match="building the demo database failed"):
        build_demo_database(pg_url, DemoSpec(scale=SMALL))
    assert public_tables(pg_url) == []  # one transaction: the tables made before the clash are gone


def test_unreachable_database_is_a_clean_error() -> None:
    with pytest.raises(ProcoreIngestError) as info:
        build_demo_database("postgresql://demo:s3cret@127.0.0.1:1/nowhere", DemoSpec(scale=SMALL))
    assert "s3cret" not in str(info.value)
    assert "\n" not in str(info.value)


# --- content --------------------------------------------------------------------------------


def test_procore_ids_are_2_pow_49_plus_n(small_url: str) -> None:
    bigint_id_tables = [
        r[0]
        for r in query(
            small_url,
            "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND column_name = 'id' AND data_type = 'bigint'",
        )
    ]
    assert len(bigint_id_tables) == 34  # 45 models less 10 text ids and the serial one
    for t in bigint_id_tables:
        lo, hi = query(small_url, sql.SQL("SELECT min(id), max(id) FROM {}").format(sql.Identifier(t)))[0]
        assert P49 < lo <= hi < 2**53, t
    gaps = scalar(
        small_url,
        "SELECT count(*) FILTER (WHERE gap > 1)::float / count(*) FROM "
        "(SELECT id - lag(id) OVER (ORDER BY id) AS gap FROM photos) x WHERE gap IS NOT NULL",
    )
    assert gaps > 0.8  # not consecutive
    assert query(small_url, "SELECT id FROM api_credentials ORDER BY id")[0][0] == 1
    assert scalar(small_url, "SELECT nextval(pg_get_serial_sequence('api_credentials', 'id'))") > 1
    assert all(
        re.fullmatch(r"c[0-9a-z]{24}", i) for (i,) in query(small_url, "SELECT id FROM sync_events")
    )


def test_project_names_addresses_and_text_look_real(small_url: str) -> None:
    name, state = query(small_url, "SELECT name, state_code FROM projects ORDER BY id LIMIT 1")[0]
    assert name == "537-18-141 Failed AHU-1 and Rem Chiller"
    assert state == "IL"
    question = scalar(small_url, "SELECT question FROM rfis WHERE question IS NOT NULL LIMIT 1")
    assert "\n\n" in question and "\t" in question  # multi-line text survives COPY escaping
    names = [r[0] for r in query(small_url, "SELECT name FROM vendors")]
    assert len(set(names)) > len(names) * 0.8
    assert scalar(small_url, "SELECT count(DISTINCT title) FROM change_orders") > 1


def test_implicit_links_dangle_but_formal_ones_never_do(small_url: str) -> None:
    dangling = {
        "prime_contracts.vendor_id": "SELECT count(*) FROM prime_contracts p WHERE vendor_id IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM vendors v WHERE v.id = p.vendor_id)",
        "direct_cost_items.project_id": "SELECT count(*) FROM direct_cost_items d "
        "WHERE NOT EXISTS (SELECT 1 FROM projects p WHERE p.id = d.project_id)",
    }
    for link, q in dangling.items():
        assert scalar(small_url, q) >= 1, link
    # Formal links point at real rows (the FK variant loads, so this is the no-FK-specific check).
    assert scalar(small_url, "SELECT count(*) FROM requisitions r WHERE commitment_id IS NOT NULL AND "
                             "NOT EXISTS (SELECT 1 FROM commitment_contracts c WHERE c.id = r.commitment_id)") == 0
    # Children sit in their parent's project.
    assert scalar(small_url, "SELECT count(*) FROM drawing_revisions r JOIN drawings d ON d.id = r.drawing_id "
                             "WHERE d.project_id <> r.project_id OR d.drawing_area_id <> r.drawing_area_id") == 0
    assert scalar(small_url, "SELECT count(*) FROM specification_sections s WHERE current_revision_id IS NOT NULL "
                             "AND NOT EXISTS (SELECT 1 FROM specification_section_revisions r "
                             "WHERE r.id = s.current_revision_id AND r.specification_section_id = s.id)") == 0


def test_s3_keys_urls_and_filenames(small_url: str) -> None:
    for table, resource in (("photos", "photos"), ("drawing_revisions", "drawings"),
                            ("specification_section_revisions", "specification_sections"),
                            ("submittal_attachments", "submittals")):
        rows = query(small_url, sql.SQL("SELECT id, project_id, s3_key FROM {} WHERE s3_key IS NOT NULL").format(sql.Identifier(table)))
        assert rows, table
        for id_, project, key in rows:
            assert S3_KEY.match(key), key
            company, proj, res, rid, _ = key.split("/", 4)
            assert (int(proj), res, int(rid)) == (project, resource, id_)  # drawings: the revision id
    assert scalar(small_url, "SELECT count(*) FROM submittal_attachments") >= 1
    # Camera filenames repeat across photos.
    assert scalar(small_url, "SELECT count(*) - count(DISTINCT regexp_replace(s3_key, '^.*/', '')) FROM photos") > 0
    for table, column in (("photos", "url"), ("photos", "thumbnail_url"), ("documents", "url"),
                          ("specification_section_divisions", "url"), ("company_users", "avatar_url")):
        url = scalar(small_url, sql.SQL("SELECT {c} FROM {t} WHERE {c} IS NOT NULL LIMIT 1").format(
            c=sql.Identifier(column), t=sql.Identifier(table)))
        assert url.startswith("https://storage.procore.com/api/v5/files/us-east-1/pro-core.com/companies/"), (table, column)
        assert re.search(r"[?&]companyId=\d+", url) and re.search(r"[?&]sig=[0-9a-f]{32,}", url)
    assert scalar(small_url, "SELECT destination_url FROM webhook_hooks LIMIT 1").startswith("https://")


def test_jsonb_attachment_maps_hold_s3_keys_and_edge_cases(small_url: str) -> None:
    kinds: dict[str, int] = {}
    for table, column in MAP_COLUMNS:
        ident = sql.SQL("{} FROM {}").format(sql.Identifier(column), sql.Identifier(table))
        for (value,) in query(small_url, sql.SQL("SELECT ") + ident):
            if value is None:
                kinds["sql null"] = kinds.get("sql null", 0) + 1
            elif isinstance(value, dict):
                kinds["empty object" if not value else "object"] = kinds.get("empty object" if not value else "object", 0) + 1
                for file_id, key in value.items():
                    assert file_id.isdigit() and int(file_id) > P49
                    if key in ("", None):
                        kinds[repr(key)] = kinds.get(repr(key), 0) + 1
                    else:
                        assert S3_KEY.match(key) and f"/{table}/" in key, key
            else:
                kinds[type(value).__name__] = kinds.get(type(value).__name__, 0) + 1
    assert {"sql null", "empty object", "object", "''", "None", "list", "str"} <= set(kinds), kinds
    assert kinds["object"] > kinds["list"] + kinds["str"]
    # direct_costs.attachment_ids (bigint[]) lists the same files as its map.
    assert scalar(small_url, "SELECT count(*) FROM direct_costs WHERE jsonb_typeof(attachments_s3_keys) = 'object' "
                             "AND NOT attachment_ids <@ ARRAY(SELECT k::bigint FROM jsonb_object_keys(attachments_s3_keys) k)") == 0


def test_other_json_columns_are_small_plausible_documents(small_url: str) -> None:
    assert scalar(small_url, "SELECT count(*) FROM daily_logs WHERE jsonb_typeof(log_data) <> 'object'") == 0
    assert scalar(small_url, "SELECT bool_and(jsonb_typeof(timecard_entries) = 'array' AND jsonb_array_length(timecard_entries) > 0) FROM timesheets")
    assert scalar(small_url, "SELECT bool_and(summary ? 'current_payment_due') FROM requisitions")
    assert scalar(small_url, "SELECT count(*) FROM sync_events WHERE NOT (record_counts ?& ARRAY(SELECT jsonb_array_elements_text(entity_types)))") == 0


def test_timestamps_lag_batch_and_soft_delete(demo_url: str) -> None:
    for table in ("photos", "drawings", "timesheets", "requisitions"):
        lag, ahead, bad = query(
            demo_url,
            sql.SQL(
                "SELECT avg((last_synced_at - updated_at > interval '1 day')::int), "
                "avg((last_synced_at < updated_at)::int), count(*) FILTER (WHERE created_at > updated_at) FROM {}"
            ).format(sql.Identifier(table)),
        )[0]
        assert 0.1 < lag < 0.3, table  # ~20% rewritten by the mirror long after Procore's update
        assert ahead == 0 and bad == 0, table
    shared = scalar(demo_url, "SELECT max(n) FROM (SELECT count(*) n FROM photos GROUP BY updated_at, last_synced_at) x")
    assert shared >= 10  # batch upserts share both values
    # Timestamps are naive UTC with millisecond precision, and no row comes from the future.
    assert scalar(demo_url, "SELECT max(last_synced_at) < '2026-02-01' AND min(created_at) >= '2018-01-01' FROM photos")
    assert scalar(demo_url, "SELECT count(*) FROM photos WHERE date_trunc('milliseconds', updated_at) <> updated_at") == 0
    # direct_costs: Prisma's @updatedAt, nullable last_synced_at set just before the write.
    assert scalar(demo_url, "SELECT count(*) FROM direct_costs WHERE last_synced_at IS NULL") > 0
    for table in ("prime_contracts", "direct_costs"):
        deleted, total = query(demo_url, sql.SQL("SELECT count(deleted_at), count(*) FROM {}").format(sql.Identifier(table)))[0]
        assert 1 <= deleted <= max(1, round(total * 0.1)), table


def test_api_credentials_hold_only_fake_tokens(small_url: str) -> None:
    rows = query(small_url, "SELECT access_token, refresh_token FROM api_credentials")
    assert rows
    for access, refresh in rows:
        assert access.startswith("fake-") and len(access) > 40
        assert refresh is None or refresh.startswith("fake-")


def test_prisma_migrations_rows(small_url: str) -> None:
    rows = query(small_url, "SELECT migration_name, checksum, finished_at FROM _prisma_migrations")
    assert rows
    for name, checksum, finished in rows:
        assert re.fullmatch(r"\d{14}_\w+", name) and len(checksum) == 64 and finished is not None


# --- CLI and embedded server ----------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "procore_ingest.demo", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=300)


def test_cli_builds_and_reports_errors_in_one_line(pg_url: str) -> None:
    done = run_cli("--database-url", pg_url, "--scale", str(SMALL), "--seed", "3", "--no-foreign-keys")
    assert done.returncode == 0, done.stderr
    assert "rows in 46 tables" in done.stdout and "without foreign keys" in done.stdout
    assert scalar(pg_url, "SELECT count(*) FROM pg_constraint WHERE contype = 'f'") == 0

    for args in (("--database-url", pg_url, "--scale", str(SMALL)),  # not empty any more
                 ("--database-url", "postgresql://demo:s3cret@127.0.0.1:1/x"),
                 ("--database-url", pg_url, "--scale", "-1")):
        failed = run_cli(*args)
        assert failed.returncode == 1, args
        lines = failed.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), failed.stderr
        assert "Traceback" not in failed.stderr and "s3cret" not in failed.stderr

    usage = run_cli("--scale", "1")  # neither --database-url nor --embedded
    assert usage.returncode == 2


@pytest.mark.slow
def test_embedded_demo_builds_once_then_reuses(tmp_path: Path) -> None:
    pytest.importorskip("pgserver")
    spec = DemoSpec(scale=0.02)
    demo = start_embedded_demo(tmp_path / "demo-pg", spec)
    try:
        assert demo.rows is not None and urlsplit(demo.url).path == "/procore_int_v2"
        assert sum(table_counts(demo.url).values()) == sum(demo.rows.values())
        again = start_embedded_demo(tmp_path / "demo-pg", spec)
        assert again.rows is None and again.url == demo.url  # reused, not rebuilt
        rebuilt = start_embedded_demo(tmp_path / "demo-pg", spec, rebuild=True)
        assert rebuilt.rows == demo.rows
    finally:
        demo.stop()
    with pytest.raises(psycopg2.OperationalError):
        psycopg2.connect(demo.url, connect_timeout=3).close()


# --- what the embedded server needs, checked first ------------------------------------------


def test_root_without_useradd_is_one_line_with_the_fix(tmp_path: Path) -> None:
    # what `env -i` as root gives: no /usr/sbin on PATH, and pgserver's user not made yet
    host = Host(as_root=True, path=str(tmp_path))
    with pytest.raises(ConfigError, match=r"useradd is not on PATH: run with PATH=\$PATH:/usr/sbin"):
        check_embedded(tmp_path / "pg", host, user="procore-no-such-user")
    check_embedded(tmp_path / "pg", Host(as_root=False, path=str(tmp_path)), user="procore-no-such-user")


def test_demo_cli_in_an_unwritable_place_fails_in_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    failed = run_cli("--embedded", "--data-dir", str(blocker / "sub" / "pg"))
    assert failed.returncode == 1
    lines = failed.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot create ") and "Traceback" not in failed.stderr
    assert "folder you can write to" in lines[0]


def test_quickstart_in_an_unwritable_place_fails_in_one_line(tmp_path: Path) -> None:
    (tmp_path / ".procore_ingest").write_text("a file where the embedded server's folder would go")
    done = subprocess.run([sys.executable, "-m", "procore_ingest.demo.quickstart", "--output-dir", str(tmp_path / "out")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert "error: cannot create" in done.stderr and "folder you can write to" in done.stderr
