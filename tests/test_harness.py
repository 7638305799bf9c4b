"""The harness itself: every sample database loads with the row counts its README states."""

import psycopg2
import pytest

EXPECTED_TOTALS = {
    # (dataset fixture, schema, total rows in leaf tables) as each dataset's own README in the corpus gives them
    "pagila_url": ("public", 49_636),
    "chinook_url": ("public", 15_607),
    "northwind_url": ("public", 3_362),
    "pgexercises_url": ("cd", 4_084),
    "iso3166_url": ("public", 4_237),
}


def total_rows(url: str, schema: str) -> int:
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute(
            """SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = %s AND c.relkind = 'r'""",
            (schema,),
        )
        total = 0
        for (name,) in cur.fetchall():
            cur.execute(f"SELECT count(*) FROM {name}")  # noqa: S608 - regclass text is quoted
            total += cur.fetchone()[0]
    conn.close()
    return total


@pytest.mark.parametrize("fixture_name", sorted(EXPECTED_TOTALS))
def test_sample_database_loads_completely(fixture_name, request):
    url = request.getfixturevalue(fixture_name)
    schema, expected = EXPECTED_TOTALS[fixture_name]
    assert total_rows(url, schema) == expected


def test_each_test_gets_its_own_database(pg_url, pg_server):
    other = pg_server.create_database()
    assert other != pg_url
    conn = psycopg2.connect(pg_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE only_here (x int)")
    conn.close()
    conn = psycopg2.connect(other)
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass('only_here')")
        assert cur.fetchone()[0] is None
    conn.close()
