"""render.py against a real PostgreSQL: every type renders exactly and parses back to the stored value."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from decimal import Decimal

import psycopg2
import pytest
from psycopg2 import sql
from psycopg2.extras import NumericRange

from procore_ingest.discovery.model import Column
from procore_ingest.documents.content import content_text_for, truncate_for_content
from procore_ingest.documents.values import (
    BYTEA_INLINE_MAX,
    BYTEA_MARKER_RE,
    bytea_marker,
    canonical_json,
    json_default,
    parse_pg_array,
    render_row,
    render_value,
)
from procore_ingest.source.casters import register_lossless_casters
from procore_ingest.source.pgtext import JSON_NULL, interval_to_iso
from procore_ingest.vespa.text import vespa_restore_text, vespa_safe_text

# Columns as discovery describes them, read from pg_catalog (domains and enums resolved).
COLUMNS_SQL = """
SELECT a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull, a.attnum,
       CASE t.typtype WHEN 'd' THEN format_type(t.typbasetype, t.typtypmod)
                      WHEN 'e' THEN 'enum' END,
       t.typcategory = 'A',
       CASE WHEN t.typcategory = 'A' THEN
           CASE e.typtype WHEN 'd' THEN format_type(e.typbasetype, e.typtypmod)
                          WHEN 'e' THEN 'enum'
                          ELSE format_type(e.oid, NULL) END END
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_type e ON e.oid = t.typelem
WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""


def catalog_columns(cur, table: str) -> list[Column]:
    cur.execute(COLUMNS_SQL, (table,))
    return [
        Column(name=name, data_type=dtype, is_nullable=nullable, default_value=None,
               ordinal_position=pos, base_type=base, is_array=is_array, element_type=elem)
        for name, dtype, nullable, pos, base, is_array, elem in cur.fetchall()
    ]


SCHEMA = r"""
CREATE TYPE mood AS ENUM ('happy', 'sad', 'it''s complicated');
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE TABLE everything (
    id bigint PRIMARY KEY,
    big_numeric numeric(40,20), nan_numeric numeric, money_numeric numeric(15,2),
    tiny_numeric numeric, dbl double precision, dbl_nan double precision, flt real,
    flag boolean,
    tstz timestamptz, ts3 timestamp(3), ts6 timestamp(6), ts_inf timestamp, ts_zero timestamp,
    d date, d_bc date, t time, t24 time, ttz timetz,
    iv interval, iv_neg interval,
    u uuid, ints integer[], texts text[], nested integer[], nums numeric[],
    doc jsonb, doc_null jsonb, doc_json json,
    m mood, moods mood[], p posint, ps posint[],
    ip inet, net cidr, mac macaddr, blob bytea, tsv tsvector, cash money,
    bits bit(3), vbits varbit, pt point, r int4range, tsr tstzrange,
    uuids uuid[], tstzs timestamptz[], ivs interval[],
    long_text text, ctrl text, padded char(5), nothing text
);
"""

INSERT = r"""
INSERT INTO everything VALUES (
    1,
    12345678901234567890.12345678901234567890, 'NaN', 1234.50,
    0.00000001, 0.1::float8 + 0.2::float8, 'NaN', 1.1,
    true,
    '2026-01-14 16:00:00.123', '2026-01-14 10:30:00.123', '2026-01-14 10:30:00.123456',
    'infinity', '2026-01-14 10:30:00',
    '2026-01-14', '0044-03-15 BC', '10:30:00.5', '24:00:00', '10:30:00+05:30',
    '1 mon 2 days 03:04:05.006', '-1 year -2 mons +3 days -04:05:06.7',
    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{1,NULL,3}',
    ARRAY['say "hi"', 'a,b', NULL, 'NULL', '', 'back\slash', '{braces}'],
    '{{1,2},{3,NULL}}', ARRAY[1.50, 'NaN', 12345678901234567890.123456789, NULL],
    '{"big": 12345678901234567890.123456789, "int": 123456789012345678901234567890,
      "uni": "é☃😀", "nested": {"z": [1, 2.50, null], "a": true}, "ctl": "tab\there"}',
    'null', '{"b": 1,  "a": [1.0, "x"]}',
    'it''s complicated', ARRAY['happy', 'it''s complicated', NULL]::mood[], 7, '{1,NULL,2}',
    '192.168.0.1/24', '10.0.0.0/8', '08:00:2b:01:02:03', '\xdeadbeef', 'a fat cat', 12.34,
    B'101', B'1', point(1, 2), int4range(1, 5), tstzrange('2026-01-01', '2026-02-01'),
    ARRAY['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, NULL],
    ARRAY['2026-01-01 05:30+05:30'::timestamptz, 'infinity'], ARRAY['1 mon'::interval, NULL],
    repeat('lorem ipsum ', 100000), 'a' || chr(11) || 'b' || chr(9243) || 'c', 'ab', NULL
)
"""

EXPECTED = {
    "id": "1",
    "big_numeric": "12345678901234567890.12345678901234567890",
    "nan_numeric": "NaN",
    "money_numeric": "1234.50",
    "tiny_numeric": "0.00000001",
    "dbl": "0.30000000000000004",
    "dbl_nan": "NaN",
    "flt": "1.1",
    "flag": "true",
    "tstz": "2026-01-14T10:30:00.123+00:00",  # inserted in Asia/Kolkata, read in Chicago
    "ts3": "2026-01-14T10:30:00.123",
    "ts6": "2026-01-14T10:30:00.123456",
    "ts_inf": "infinity",
    "ts_zero": "2026-01-14T10:30:00",
    "d": "2026-01-14",
    "d_bc": "0044-03-15 BC",
    "t": "10:30:00.500",
    "t24": "24:00:00",
    "ttz": "10:30:00+05:30",
    "iv": "P1M2DT3H4M5.006S",
    "iv_neg": "P-1Y-2M3DT-4H-5M-6.7S",
    "u": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
    "ints": "[1,null,3]",
    "texts": r'["say \"hi\"","a,b",null,"NULL","","back\\slash","{braces}"]',
    "nested": "[[1,2],[3,null]]",
    "nums": '[1.50,"NaN",12345678901234567890.123456789,null]',
    "doc": (
        '{"big":12345678901234567890.123456789,"ctl":"tab\\there",'
        '"int":123456789012345678901234567890,"nested":{"a":true,"z":[1,2.50,null]},'
        '"uni":"é☃😀"}'
    ),
    "doc_null": "null",
    "doc_json": '{"a":[1.0,"x"],"b":1}',
    "m": "it's complicated",
    "moods": '["happy","it\'s complicated",null]',
    "p": "7",
    "ps": "[1,null,2]",
    "ip": "192.168.0.1/24",
    "net": "10.0.0.0/8",
    "mac": "08:00:2b:01:02:03",
    "blob": "\\xdeadbeef",
    "tsv": "'a' 'cat' 'fat'",
    "bits": "101",
    "vbits": "1",
    "pt": "(1,2)",
    "r": "[1,5)",
    "uuids": '["a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",null]',
    "tstzs": '["2026-01-01T00:00:00+00:00","infinity"]',
    "ivs": '["P1M",null]',
    "long_text": "lorem ipsum " * 100000,
    "ctrl": "a\u241b{B}b\u241b{241B}c",
    "padded": "ab   ",
}
# Rendered as PostgreSQL prints them under the reading session's settings.
AS_POSTGRES_PRINTS = ("cash", "tsr")
ARRAYS = ("ints", "texts", "nested", "nums", "moods", "ps", "uuids")


@pytest.fixture
def everything(pg_url: str) -> Iterator[tuple[psycopg2.extensions.connection, list[Column]]]:
    with psycopg2.connect(pg_url) as setup, setup.cursor() as cur:
        cur.execute(SCHEMA)
        cur.execute("SET TimeZone = 'Asia/Kolkata'")
        cur.execute(INSERT)
    setup.close()
    conn = psycopg2.connect(pg_url, options="-c TimeZone=America/Chicago")
    register_lossless_casters(conn)
    with conn.cursor() as cur:
        columns = catalog_columns(cur, "everything")
    yield conn, columns
    conn.close()


def fetch_rendered(conn, columns: list[Column]) -> dict[str, str]:
    with conn.cursor() as cur:
        cur.execute("SELECT * FROM everything")
        names = [d.name for d in cur.description]
        row = dict(zip(names, cur.fetchone(), strict=True))
    return render_row(row, columns)


def test_every_type_renders_exactly(everything) -> None:
    conn, columns = everything
    rendered = fetch_rendered(conn, columns)
    with conn.cursor() as cur:
        cur.execute("SELECT cash::text, tsr::text FROM everything")
        cash, tsr = cur.fetchone()
    assert rendered == {**EXPECTED, "cash": cash, "tsr": tsr}
    assert "nothing" not in rendered  # SQL NULL leaves the key out; JSON null does not
    assert rendered["doc_null"] == "null"


def test_scalars_parse_back_to_the_stored_value(everything) -> None:
    """PostgreSQL reads each rendering back as a value it prints exactly like the column."""
    conn, columns = everything
    rendered = fetch_rendered(conn, columns)
    checked = 0
    with conn.cursor() as cur:
        for col in columns:
            if col.name not in rendered or col.is_array or col.data_type in ("bytea", "json", "jsonb"):
                continue
            cur.execute(
                sql.SQL("SELECT (%s::{type})::text, {col}::text FROM everything").format(
                    type=sql.SQL(col.data_type), col=sql.Identifier(col.name)
                ),
                (vespa_restore_text(rendered[col.name]),),
            )
            again, stored = cur.fetchone()
            assert again == stored, col.name
            checked += 1
        # Interval text compares months, days and time apart: '1 mon' is not '30 days' here.
        cur.execute("SET IntervalStyle = 'iso_8601'")
        cur.execute("SELECT iv::text, iv_neg::text FROM everything")
        assert cur.fetchone() == (EXPECTED["iv"], EXPECTED["iv_neg"])
    assert checked >= 35


def test_json_parses_back_equal_as_jsonb(everything) -> None:
    conn, columns = everything
    rendered = fetch_rendered(conn, columns)
    with conn.cursor() as cur:
        for name in ("doc", "doc_null", "doc_json"):
            cur.execute(
                sql.SQL("SELECT %s::jsonb = {col}::jsonb FROM everything").format(col=sql.Identifier(name)),
                (rendered[name],),
            )
            assert cur.fetchone()[0], name
        # Exact digits survive where a float would have rounded them.
        doc = json.loads(rendered["doc"], parse_float=Decimal)
        assert doc["big"] == Decimal("12345678901234567890.123456789")


# json/jsonb values the fast writer (orjson) must print exactly as the general one, or hand over.
JSON_EDGE_CASES = [
    ("""'{"ctl": "a\\u0001b\\tc\\n\\"q\\" \\\\ \\u007f \\u2028 é 😀"}'""", "jsonb"),
    ("""'{"😀": 1, "\uffff": 2, "é": 3, "B": 4, "a": 5, "": 6, "aa": {"z": [], "b": null}}'""", "jsonb"),
    ("""'{"b": 1, "aa": 2, "z": {"y": 1, "xx": 2}}'""", "jsonb"),  # jsonb keeps shorter keys first
    ("""'{"z": 1, "a": [{"d": 1, "c": 2}]}'""", "json"),  # json keeps the written order
    ("""'[1.50, 1e5, -0.0000001, 12345678901234567890.123456789, true, false, null, "x"]'""", "jsonb"),
    ("""'{"big": 123456789012345678901234567890, "neg": -9223372036854775809}'""", "jsonb"),  # > 64 bits
    ("""'{"max": 9223372036854775807, "min": -9223372036854775808}'""", "jsonb"),
    ("""'{"lone": "\\ud800", "dup": 1, "dup": 2}'""", "json"),  # json keeps what jsonb refuses
    ("""'null'""", "jsonb"),
    ("""'"just a string"'""", "json"),
]


def test_json_values_render_as_their_canonical_json(pg_url: str) -> None:
    """jsonb/json metadata is written by orjson when it can; it must be the canonical JSON the
    general writer gives, for every value, and equal as jsonb to what PostgreSQL stores."""
    conn = psycopg2.connect(pg_url)
    register_lossless_casters(conn)
    with conn.cursor() as cur:
        for literal, kind in JSON_EDGE_CASES:
            cur.execute(f"SELECT {literal}::{kind}")
            (value,) = cur.fetchone()
            rendered = render_value(value, Column("doc", kind, True, None, 1))
            assert rendered == vespa_safe_text(canonical_json(value)), literal
            if "ud800" not in literal:  # a lone surrogate is not jsonb: only the json column holds it
                cur.execute(f"SELECT %s::jsonb = {literal}::jsonb", (vespa_restore_text(rendered),))
                assert cur.fetchone()[0], literal
    conn.close()


def test_arrays_match_postgres_to_jsonb(everything) -> None:
    conn, columns = everything
    rendered = fetch_rendered(conn, columns)
    with conn.cursor() as cur:
        for name in ARRAYS:
            cur.execute(sql.SQL("SELECT to_jsonb({col})::text FROM everything").format(col=sql.Identifier(name)))
            expected = json.loads(cur.fetchone()[0], parse_float=Decimal)
            assert json.loads(rendered[name], parse_float=Decimal) == expected, name


def test_bytea_is_kept_in_hex_and_large_values_are_a_marker(everything) -> None:
    conn, columns = everything
    rendered = fetch_rendered(conn, columns)
    with conn.cursor() as cur:
        cur.execute("SELECT %s::bytea = blob, length(blob) FROM everything", (rendered["blob"],))
        equal, size = cur.fetchone()  # PostgreSQL itself reads the rendering back as the same bytes
        assert rendered["blob"].startswith("\\x") and equal and size <= BYTEA_INLINE_MAX
        cur.execute("SELECT %s::bytea, encode(sha256(%s::bytea), 'hex')", (b"z" * (BYTEA_INLINE_MAX + 1),) * 2)
        large, digest = cur.fetchone()
    col = next(c for c in columns if c.name == "blob")
    match = BYTEA_MARKER_RE.match(render_value(large, col))
    assert match and match.groups() == (str(BYTEA_INLINE_MAX + 1), digest)
    assert render_value(memoryview(b""), col) == "\\x"


def test_naive_timestamps_ignore_the_process_time_zone(everything, monkeypatch) -> None:
    conn, columns = everything
    monkeypatch.setenv("TZ", "America/Chicago")
    time.tzset()
    try:
        assert time.localtime(0).tm_hour != 0  # the zone really changed
        rendered = fetch_rendered(conn, columns)
    finally:
        monkeypatch.undo()
        time.tzset()
    for name in ("ts3", "ts6", "ts_zero", "tstz", "tstzs", "d", "t"):
        assert rendered[name] == EXPECTED[name], name


def test_without_casters_values_still_render_but_lose_what_psycopg2_loses(pg_url: str) -> None:
    """Why register_lossless_casters exists: the plain connection clamps and folds."""
    with psycopg2.connect(pg_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT '1 mon'::interval, 'infinity'::timestamp, 'null'::jsonb, int4range(1, 5)")
        iv, ts, doc, rng = cur.fetchone()
    conn.close()
    col = Column("c", "interval", True, None, 1)
    assert render_value(iv, col) == "P30D"  # months already lost in the timedelta
    assert render_value(ts, Column("c", "timestamp without time zone", True, None, 1)) == "9999-12-31T23:59:59.999999"
    assert doc is None  # JSON null reads as SQL NULL
    assert render_value(rng, Column("c", "int4range", True, None, 1)) == "[1,5)"
    assert render_value(NumericRange(None, 3, "(]"), Column("c", "int4range", True, None, 1)) == "(,3]"


def test_sample_databases_render_every_row(pagila_url: str, northwind_url: str) -> None:
    for url, table, key in ((pagila_url, "film", "film_id"), (northwind_url, "employees", "employee_id")):
        conn = psycopg2.connect(url)
        register_lossless_casters(conn)
        with conn.cursor() as cur:
            columns = catalog_columns(cur, table)
            cur.execute(sql.SQL("SELECT * FROM {} ORDER BY {}").format(sql.Identifier(table), sql.Identifier(key)))
            names = [d.name for d in cur.description]
            rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
            assert rows
            rendered = [render_row(row, columns) for row in rows]
            for row, out in zip(rows, rendered, strict=True):
                assert set(out) == {k for k, v in row.items() if v is not None}
                assert "None" not in out.values()
                for col in columns:
                    if col.data_type == "bytea" and col.name in out:
                        assert out[col.name].startswith("\\x") or BYTEA_MARKER_RE.match(out[col.name])
            # Every scalar parses back, checked in one query per column.
            for col in columns:
                if col.is_array or col.data_type == "bytea":
                    continue
                ids = [row[key] for row, out in zip(rows, rendered, strict=True) if col.name in out]
                values = [out[col.name] for out in rendered if col.name in out]
                if not ids:
                    continue
                cur.execute(
                    sql.SQL(
                        "SELECT count(*) FROM {t} JOIN unnest(%s::bigint[], %s::text[]) AS r(k, v) ON {t}.{k} = r.k"
                        " WHERE (r.v::{type})::text IS DISTINCT FROM {t}.{c}::text"
                    ).format(
                        t=sql.Identifier(table), k=sql.Identifier(key), type=sql.SQL(col.data_type),
                        c=sql.Identifier(col.name),
                    ),
                    (ids, values),
                )
                assert cur.fetchone()[0] == 0, f"{table}.{col.name}"
            for row in rows:
                content = content_text_for(row, columns)
                assert content == content_text_for(row, columns)
        conn.close()
        if table == "film":
            film = rows[0]
            assert rendered[0]["special_features"].startswith("[")
            assert json.loads(rendered[0]["special_features"]) == film["special_features"]
            text = content_text_for(film, columns)
            assert text.split("\n")[:2] == [film["title"], film["description"]]  # values, in column order
            assert "film_id" not in text and "fulltext" not in text and "rental_rate" not in text
        else:
            text = content_text_for(rows[0], columns)
            assert "\\x" not in text and "davolio.bmp" in text.split("\n")  # bytea out, URL -> file name
            assert rows[0]['last_name'] in text.split("\n")


def test_content_text_for_picks_readable_text() -> None:
    columns = [
        Column("id", "bigint", False, None, 1),
        Column("project_id", "bigint", False, None, 2),
        Column("title", "text", True, None, 3),
        Column("s3_key", "text", True, None, 4),
        Column("url", "text", True, None, 5),
        Column("attachment_s3_keys", "jsonb", True, None, 6),
        Column("custom_fields", "jsonb", True, None, 7),
        Column("access_token", "text", True, None, 8),
        Column("status", "status_enum", True, None, 9, base_type="enum"),
        Column("tags", "text[]", True, None, 10, is_array=True, element_type="text"),
        Column("amount", "numeric(15,2)", True, None, 11),
        Column("photo", "bytea", True, None, 12),
        Column("ratio", "text", True, None, 13),
    ]
    row = {
        "id": 562950208716653, "project_id": 562949953567479,
        "title": "Failed  AHU-1\nand Rem Chiller",
        "s3_key": "562949953425831/562949954923622/photos/562950208716653/IMG_1128.jpg",
        "url": "https://storage.procore.com/api/v5/files/us-east/abc?sig=Z",
        "attachment_s3_keys": {"562951022152066": "1/2/change_orders/3/EOS_CO11.pdf"},
        "custom_fields": {"b": {"note": "Leak\x01found"}, "a": ["562951022152066", "Roof"], "n": 5},
        "access_token": "secret-value", "status": "open", "tags": ["hvac", None, "urgent"],
        "amount": Decimal("12.50"), "photo": memoryview(b"\x00\x01"), "ratio": "N/A",
    }
    # values only, one line each: a column's name is no word anyone searches a row by
    assert content_text_for(row, columns) == (
        "Failed AHU-1 and Rem Chiller\n"
        "IMG_1128.jpg\n"
        "EOS_CO11.pdf\n"
        "Roof | Leak found\n"
        "open\n"
        "hvac, urgent\n"
        "N/A"
    )
    short = content_text_for(row, columns, max_chars=40)
    assert len(short) <= 40 and short.endswith("…")


def test_vespa_safe_text_round_trips() -> None:
    nasty = "".join(chr(c) for c in range(0x20)) + "\u241b{41}\ufdd0\uffff\U0001fffe ok é😀"
    safe = vespa_safe_text(nasty)
    assert vespa_restore_text(safe) == nasty
    assert "\x00" not in safe and "\x0b" not in safe and "\ufdd0" not in safe and "\U0001fffe" not in safe
    assert safe.count("\t") == safe.count("\n") == safe.count("\r") == 1  # allowed: kept as they are
    assert vespa_safe_text("plain text\twith tab") == "plain text\twith tab"


def test_helpers() -> None:
    assert parse_pg_array(r'[0:1]={"a\"b",NULL,"NULL",{x,y}}') == ['a"b', None, "NULL", ["x", "y"]]
    assert parse_pg_array("{}") == []
    assert interval_to_iso("@ 1 mon") == "@ 1 mon"  # unknown style: kept verbatim
    assert truncate_for_content("abc", 10) == "abc"
    assert canonical_json({"b": [Decimal("1.0"), float("inf")], "a": JSON_NULL}) == '{"a":null,"b":[1.0,"Infinity"]}'
    assert bytea_marker(b"") == "<bytea 0 bytes sha256=" + hashlib.sha256(b"").hexdigest() + ">"
    from datetime import datetime, timedelta, timezone

    payload = {
        "n": Decimal("0.00000001"), "t": datetime(2026, 1, 14, 10, 30, tzinfo=timezone(timedelta(hours=2))),
        "j": JSON_NULL, "b": memoryview(b"x"),
    }
    assert json.loads(json.dumps(payload, default=json_default)) == {
        "n": "0.00000001", "t": "2026-01-14T08:30:00+00:00", "j": None, "b": "\\x78",
    }
    with pytest.raises(TypeError):
        json.dumps(object(), default=json_default)
