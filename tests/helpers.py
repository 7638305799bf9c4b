"""Small helpers shared by tests: run SQL, run a script as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parents[1]


def execute(url: str, statements: str) -> None:
    """Run SQL (several statements allowed) as the owner, autocommit."""
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(statements)
    conn.close()


def query(url: str, statement: str, params=None) -> list[tuple]:
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(statement, params)
            return cur.fetchall()
    finally:
        conn.close()


@dataclass
class ScriptResult:
    returncode: int
    stdout: str
    stderr: str


def run_script(name: str, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
               timeout: float = 120) -> ScriptResult:
    """Run scripts/<name> in a subprocess with a clean PROCORE_/VESPA_ environment."""
    full_env = {k: v for k, v in os.environ.items()
                if not k.startswith(("PROCORE_", "VESPA_", "AWS_", "LOG_LEVEL"))}
    full_env.update(env or {})
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / name), *args],
        capture_output=True, text=True, env=full_env, cwd=cwd or ROOT, timeout=timeout,
    )
    return ScriptResult(proc.returncode, proc.stdout, proc.stderr)


ELEMENTWISE = {"interval"}
NO_EQUALITY = {"point", "line", "lseg", "box", "path", "polygon", "circle", "xml"}


def _cast_back(column, ref: str):
    """SQL that turns metadata text `ref` back into the column's value for comparison, and
    the column expression to compare it with (independent of the Python renderer)."""
    from psycopg2 import sql

    col = sql.SQL("t.{}").format(sql.Identifier(column.name))
    text = sql.SQL(ref)
    kind = column.effective_type
    if column.is_array and column.element_type in ELEMENTWISE:  # rendered as ISO 8601, unlike to_jsonb
        return (sql.SQL("(SELECT array_agg(e::{} ORDER BY o) FROM jsonb_array_elements_text(({})::jsonb)"
                        " WITH ORDINALITY AS x(e, o))").format(sql.SQL(column.element_type), text), col)
    if column.is_array:
        return sql.SQL("({})::jsonb").format(text), sql.SQL("to_jsonb({})").format(col)
    if kind in ("json", "jsonb"):
        return sql.SQL("({})::jsonb").format(text), sql.SQL("{}::jsonb").format(col)
    if kind == "bytea":  # hex up to 64 KiB, a marker with the SHA-256 beyond: compare digests
        return (sql.SQL("CASE WHEN left({t}, 7) = '<bytea ' THEN substring({t} from 'sha256=([0-9a-f]{{64}})') "
                        "ELSE encode(sha256(({t})::bytea), 'hex') END").format(t=text),
                sql.SQL("encode(sha256({}), 'hex')").format(col))
    if kind in NO_EQUALITY:  # geometric types and xml have no `=`: compare their canonical text
        return (sql.SQL("(({})::{})::text").format(text, sql.SQL(column.data_type)),
                sql.SQL("{}::text").format(col))
    return sql.SQL("({})::{}").format(text, sql.SQL(column.data_type)), col


# The signing parameters documents leave out of URLs (sensitive.SIGNING_PARAM), removed from
# the database's side in SQL, independently of the Python code under test.
_SIGNING = r"(sig|signature|expires|se|token|policy|key-pair-id|awsaccesskeyid|x-amz-[a-z-]*|x-goog-[a-z-]*)"


def _without_signatures(column, col):
    """`col` of a text or json column with URL signing parameters removed, as documents keep it."""
    from psycopg2 import sql

    if column.is_array or column.effective_type not in ("json", "jsonb", "text", "character varying"):
        return col
    value = r'[^&"\s]*'
    text = sql.SQL(
        "regexp_replace(regexp_replace(regexp_replace(({})::text, {}, '', 'gi'), {}, '?', 'gi'), {}, '', 'gi')"
    ).format(col, sql.Literal(f"&{_SIGNING}={value}"), sql.Literal(f"\\?{_SIGNING}={value}&"),
             sql.Literal(f"\\?{_SIGNING}={value}"))
    return sql.SQL("({})::jsonb").format(text) if column.effective_type in ("json", "jsonb") else text


def assert_documents_match_rows(url: str, table, docs: list[dict], withheld=(), live_only=False) -> None:
    """Every row of `table` has exactly one document whose metadata gives back every column
    value, as PostgreSQL itself compares them; NULL columns are absent from metadata.
    With `live_only`, rows whose deleted_at is set must have no document."""
    import json

    from psycopg2 import sql

    from procore_ingest.vespa.text import vespa_restore_text

    live = sql.SQL(" WHERE deleted_at IS NULL" if live_only else "")
    rows = query(url, sql.SQL("SELECT count(*) FROM {}.{}{}").format(
        sql.Identifier(table.schema), sql.Identifier(table.name), live))[0][0]
    assert len(docs) == rows, f"{table.qualified_name}: {len(docs)} documents for {rows} rows"
    if not table.primary_key or not docs:
        return
    metadata = [{k: vespa_restore_text(v) for k, v in d["fields"]["metadata"].items()} for d in docs]
    for m in metadata:
        assert not set(m) & set(withheld), f"withheld column fed: {set(m) & set(withheld)}"
    conds = []
    for k in table.primary_key:
        back, col = _cast_back(table.column(k), "d.m->>" + _lit(k))
        conds.append(sql.SQL("{} = {}").format(col, back))
    mismatches = []
    for column in table.columns:
        if column.name in withheld:
            continue
        back, col = _cast_back(column, "d.m->>" + _lit(column.name))
        col = _without_signatures(column, col)
        mismatches.append(sql.SQL(
            "count(*) FILTER (WHERE (d.m ? {name}) IS DISTINCT FROM ({col} IS NOT NULL)"
            " OR ({col} IS NOT NULL AND {back} IS DISTINCT FROM {col}))").format(
                name=sql.Literal(column.name), col=col, back=back))
    stmt = sql.SQL("SELECT count(*), {} FROM {}.{} t JOIN jsonb_array_elements(%s::jsonb) AS d(m) ON {}").format(
        sql.SQL(", ").join(mismatches), sql.Identifier(table.schema), sql.Identifier(table.name),
        sql.SQL(" AND ").join(conds))
    result = query(url, stmt, (json.dumps(metadata),))[0]
    assert result[0] == rows, f"{table.qualified_name}: only {result[0]} of {rows} rows matched a document"
    names = [c.name for c in table.columns if c.name not in withheld]
    bad = {n: c for n, c in zip(names, result[1:], strict=True) if c}
    assert not bad, f"{table.qualified_name}: columns not recoverable from metadata: {bad}"


def _lit(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"
