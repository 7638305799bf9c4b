"""Lossless rendering of PostgreSQL values as strings, for the `metadata` map of a document.

Every non-NULL column of a row becomes one `metadata` entry (`map<string,string>`); SQL NULL
leaves the key out. Each value is rendered by the rule for its type below, so a reader who
knows the column's type (the document's `column_types`) can recover the stored value. The
connection that reads the rows must have `source.casters.register_lossless_casters` applied: psycopg2's
default conversions lose interval months, `infinity` timestamps, jsonb number precision and
the difference between JSON `null` and SQL NULL.

| PostgreSQL type | Rendering | How to parse it back |
|---|---|---|
| smallint, integer, bigint, oid | decimal digits: `562949953425831` | `int(s)` |
| numeric(p,s) | exact digits and scale, never an exponent: `1234.50`, `0.00000001`; `NaN`, `Infinity`, `-Infinity` | `Decimal(s)`; `s::numeric` |
| double precision, real | shortest text that round-trips (`repr`): `0.30000000000000004`, `1e+16`; `NaN`, `Infinity`, `-Infinity` | `float(s)`; `s::float8` |
| boolean | `true` / `false` | `s == "true"` |
| timestamp with time zone | the instant in UTC, ISO 8601 with offset: `2026-01-14T10:30:00.123+00:00` (fraction: none, 3 or 6 digits, exact) | `datetime.fromisoformat(s)`; `s::timestamptz` |
| timestamp without time zone | the stored wall-clock value unchanged, ISO 8601 without zone: `2026-01-14T10:30:00.123`. Never shifted to any zone (Prisma stores UTC here) | `datetime.fromisoformat(s)`; `s::timestamp` |
| date | `2026-01-14` | `date.fromisoformat(s)`; `s::date` |
| time, time with time zone | `10:30:00.500`, `10:30:00+02:00` (fraction as for timestamps; timetz keeps its own offset: it is not an instant) | `time.fromisoformat(s)`; `s::time` |
| date/time values Python cannot hold | PostgreSQL's text: `infinity`, `-infinity`, `0044-03-15 BC`, `24:00:00` | `s::timestamp` etc. |
| interval | ISO 8601 duration exactly as PostgreSQL prints it under `IntervalStyle = iso_8601`: `P1M2DT3H4M5.006S`, `P-1Y-2M3DT-4H-5M-6.7S`, `PT0S`. Months, days and time are kept apart, as PostgreSQL stores them | `s::interval` (any IntervalStyle) |
| json, jsonb | canonical JSON: keys sorted by code point, no whitespace, non-ASCII kept, numbers with their exact digits: `{"a":12345678901234567890.123456789,"b":"é"}`. JSON `null` renders `null`; SQL NULL leaves the key out | `json.loads(s, parse_float=Decimal)`; `s::jsonb` (equal as jsonb) |
| arrays (any dimension) | a JSON array, nested for multi-dimensional arrays, SQL NULL elements as `null`. Integers, finite numerics and floats are JSON numbers; booleans are JSON booleans; json/jsonb elements are nested JSON; every other element is a JSON string holding that element's rendering by this table (`["2026-01-14T10:30:00+00:00"]`). NaN/±Infinity elements are the strings `"NaN"`, `"Infinity"`, `"-Infinity"`. Lower bounds other than 1 (`[0:2]={...}`) are not kept | `json.loads(s, parse_float=Decimal)` |
| bytea | up to 64 KiB (`BYTEA_INLINE_MAX`): PostgreSQL's hex format, `\\x` and two hex digits a byte: `\\x00ff10`. Larger: a marker, `<bytea 1234 bytes sha256=9f86d0...>` (length and full SHA-256 hex) | `bytes.fromhex(s[2:])`; `s::bytea`. A marker: compare `sha256(col)` in SQL |
| text, varchar, char(n), uuid, inet, cidr, macaddr, enum, money, bit, varbit, tsvector, xml, geometric, ranges, composite, anything else | PostgreSQL's own text output, unchanged (char(n) keeps its padding; money follows the server's `lc_monetary`; ranges like `[1,5)`) | `s::type` |
| domains | rendered as their base type | as the base type |

Vespa refuses string values containing some code points (C0 controls other than tab, newline
and carriage return; U+FDD0-U+FDEF; U+xFFFE/U+xFFFF; surrogates). Every rendering therefore goes
through `vespa_safe_text`: each such code point, and the escape character `␛` (U+241B) itself,
becomes `␛{HEX}` (`"a\\x0bb"` -> `"a␛{B}b"`, `"␛"` -> `"␛{241B}"`). Values without them (nearly
all) are untouched. `vespa_restore_text` undoes it exactly; apply it before parsing.

Metadata is never truncated: it must be lossless. Vespa's default maximum document size is
128 MiB; `truncate_for_content` bounds only the BM25 `content_text` built by
`content_text_for`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

import orjson
from psycopg2.extras import Range

from ..discovery.model import Column
from ..discovery.sensitive import withhold_in_text, withhold_secrets
from ..source.pgtext import JSON_NULL, JsonNull, interval_to_iso, iso_interval, parse_json_exact
from ..vespa.text import vespa_safe_text

BYTEA_INLINE_MAX = 64 * 1024  # larger bytea values are stored as a marker (size and SHA-256)
BYTEA_MARKER = "<bytea {size} bytes sha256={sha256}>"
BYTEA_MARKER_RE = re.compile(r"^<bytea (\d+) bytes sha256=([0-9a-f]{64})>$")


# --- type categories --------------------------------------------------------------------------

_CATEGORY_BY_TYPE = {
    "smallint": "int", "integer": "int", "bigint": "int", "int2": "int", "int4": "int",
    "int8": "int", "oid": "int",
    "numeric": "numeric", "decimal": "numeric",
    "double precision": "float", "real": "float", "float4": "float", "float8": "float",
    "boolean": "bool", "bool": "bool",
    "json": "json", "jsonb": "json",
    "interval": "interval",
    "bytea": "bytea",
    "box": "box",  # the one built-in type whose array delimiter is ';'
}
TEXTUAL_TYPES = {
    "text", "character varying", "varchar", "character", "char", "bpchar", "citext", "name",
    "enum",
}
_TYPMOD = re.compile(r"\(\s*\d+(\s*,\s*-?\d+)?\s*\)")


def type_name(pg_type: str) -> str:
    """`format_type()` text without typmod or array brackets: `timestamp without time zone`."""
    return _TYPMOD.sub("", pg_type).replace("[]", "").strip().lower()


@functools.lru_cache(maxsize=1024)
def type_category(pg_type: str) -> str:
    """The rendering category of a type name; `text` for anything rendered as PostgreSQL prints it."""
    name = type_name(pg_type)
    if name.startswith("interval"):  # interval(3), interval day to second
        return "interval"
    return _CATEGORY_BY_TYPE.get(name, "text")


def is_array_column(column: Column) -> bool:
    return column.is_array or column.data_type.endswith("[]")


def element_type(column: Column) -> str:
    return column.element_type or column.effective_type


# --- scalars ----------------------------------------------------------------------------------


def bytea_marker(data: bytes | bytearray | memoryview) -> str:
    """The marker stored instead of a bytea value too large to keep: its length and SHA-256."""
    raw = bytes(data)
    return BYTEA_MARKER.format(size=len(raw), sha256=hashlib.sha256(raw).hexdigest())


def render_bytea(data: bytes | bytearray | memoryview) -> str:
    """A bytea value in PostgreSQL's hex format (`\\x0a1b`), lossless, up to
    BYTEA_INLINE_MAX bytes; a larger one as `bytea_marker`."""
    if len(data) > BYTEA_INLINE_MAX:
        return bytea_marker(data)
    return "\\x" + bytes(data).hex()


def _timespec(microsecond: int) -> str:
    # Python 3.10's fromisoformat reads only 0, 3 or 6 fraction digits; all three are exact.
    if microsecond == 0:
        return "seconds"
    return "milliseconds" if microsecond % 1000 == 0 else "microseconds"


def _render_datetime(value: datetime) -> str:
    if value.tzinfo is None:  # naive values are never shifted
        # The common case, done the cheap way: isoformat() without timespec writes no fraction
        # or 6 digits; of a whole number of milliseconds keep 3, as _timespec would.
        micro = value.microsecond
        text = value.isoformat()
        return text[:-3] if micro and micro % 1000 == 0 else text
    try:  # an aware value is an instant: show it in UTC
        value = value.astimezone(timezone.utc)
    except OverflowError:  # near year 1 or 9999; its own offset still names the instant
        pass
    return value.isoformat(timespec=_timespec(value.microsecond))


def _render_time(value: time) -> str:
    return value.isoformat(timespec=_timespec(value.microsecond))


def _render_decimal(value: Decimal) -> str:
    # Fast path: with the adjusted exponent in range 'f' cannot blow up, and 'f' text of at
    # most 20,000 characters means the exponent is within ±20,000: the rule below says 'f' too.
    if value.is_finite() and -20_000 <= value.adjusted() <= 20_000:
        text = format(value, "f")
        if len(text) <= 20_000:
            return text
    if not value.is_finite():
        return str(value)  # NaN, Infinity, -Infinity: PostgreSQL's spelling
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and abs(exponent) > 20_000:
        return str(value)  # only from json text like 1e999999999, which 'f' would blow up
    # 'f' keeps PostgreSQL's digits and scale (1.50, 0.00000001) where str() would say 1E-8.
    return format(value, "f")


_NON_FINITE = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}  # PostgreSQL's spelling


def _render_float(value: float) -> str:
    return repr(value) if math.isfinite(value) else _NON_FINITE[repr(value)]


def _render_timedelta(value: timedelta) -> str:
    # Only reached without register_lossless_casters, when months were already folded into days.
    micros = value.seconds * 1_000_000 + value.microseconds
    return iso_interval(0, value.days, micros)


def _render_range(value: Range) -> str:
    if value.isempty:
        return "empty"
    lower = "" if value.lower is None else _render_scalar(value.lower)
    upper = "" if value.upper is None else _render_scalar(value.upper)
    return f"{'[' if value.lower_inc else '('}{lower},{upper}{']' if value.upper_inc else ')'}"


# Dispatch on the Python type psycopg2 produced; the first class in the value's MRO wins, so
# bool is found before int and datetime before date.
_SCALAR: dict[type, Callable[[Any], str]] = {
    str: lambda v: v,
    bool: lambda v: "true" if v else "false",
    int: str,
    Decimal: _render_decimal,
    float: _render_float,
    datetime: _render_datetime,
    date: date.isoformat,
    time: _render_time,
    timedelta: _render_timedelta,
    memoryview: render_bytea,
    bytes: render_bytea,
    bytearray: render_bytea,
    UUID: str,
    Range: _render_range,
    JsonNull: lambda v: "null",
}


def _render_scalar(value: object) -> str:
    renderer = _SCALAR.get(type(value))  # the usual case: one lookup instead of an MRO walk
    if renderer is not None:
        return renderer(value)
    for cls in type(value).__mro__:
        renderer = _SCALAR.get(cls)
        if renderer is not None:
            return renderer(value)
    if isinstance(value, (Mapping, list, tuple)):  # e.g. hstore registered as dict
        return canonical_json(value)
    return str(value)  # ipaddress objects and other registered types print as PostgreSQL does


# --- JSON -------------------------------------------------------------------------------------

# What json.dumps(s, ensure_ascii=False) returns for a str (the same C function), without
# building a JSONEncoder on every call.
_json_string = json.encoder.encode_basestring


def _json_number(value: Decimal | float) -> str:
    finite = value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)
    if finite:
        return _render_scalar(value)
    return json.dumps(_render_scalar(value))  # JSON has no NaN/Infinity: a string says it


def canonical_json(value: Any) -> str:
    """Compact JSON with sorted keys and exact numbers; non-JSON scalars as their rendering."""
    # Exact types first, str leaves inline: what parsed json/jsonb values are made of.
    kind = type(value)
    if kind is str:
        return _json_string(value)
    if kind is dict:
        for key in value:
            if type(key) is not str:
                return _canonical_json_any(value)
        # keys are distinct strs: sorting the items compares keys only, by code point
        return "{" + ",".join([_json_string(k) + ":" + (_json_string(v) if type(v) is str else canonical_json(v))
                               for k, v in sorted(value.items())]) + "}"
    if kind is list:
        return "[" + ",".join([_json_string(v) if type(v) is str else canonical_json(v) for v in value]) + "]"
    if kind is int:
        return str(value)
    return _canonical_json_any(value)


def _canonical_json_any(value: object) -> str:
    if value is None or value is JSON_NULL:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (Decimal, float)):
        return _json_number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        items = sorted(((str(k), v) for k, v in value.items()), key=lambda kv: kv[0])
        return "{" + ",".join(
            f"{json.dumps(k, ensure_ascii=False)}:{canonical_json(v)}" for k, v in items
        ) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(canonical_json(v) for v in value) + "]"
    return json.dumps(_render_scalar(value), ensure_ascii=False)


# --- arrays -----------------------------------------------------------------------------------


def parse_pg_array(text: str, delimiter: str = ",") -> list[Any]:
    """Parse PostgreSQL's array output (`{a,"b c",NULL,{1,2}}`) into nested lists of str/None.

    psycopg2 hands over this text for array types it has no caster for (enum[], uuid[],
    arrays of domains). A leading dimension decoration (`[0:2]=`) is dropped.
    """
    if text.startswith("["):
        text = text[text.index("=") + 1:]
    pos = 0

    def parse_list() -> list[Any]:
        nonlocal pos
        pos += 1  # '{'
        items: list[Any] = []
        if text[pos] == "}":
            pos += 1
            return items
        while True:
            if text[pos] == "{":
                items.append(parse_list())
            elif text[pos] == '"':
                pos += 1
                chars: list[str] = []
                while text[pos] != '"':
                    if text[pos] == "\\":
                        pos += 1
                    chars.append(text[pos])
                    pos += 1
                pos += 1
                items.append("".join(chars))
            else:
                end = pos
                while text[end] not in (delimiter, "}"):
                    end += 1
                token = text[pos:end]
                items.append(None if token == "NULL" else token)
                pos = end
            separator = text[pos]
            pos += 1
            if separator == "}":
                return items

    if not text.startswith("{"):
        raise ValueError(f"not a PostgreSQL array literal: {text[:40]!r}")
    return parse_list()


def _number_from_text(text: str) -> int | Decimal | float:
    if text in ("NaN", "Infinity", "-Infinity"):
        return float(text)
    return Decimal(text)


# How an element of an array that arrived as text becomes a value the JSON rules understand.
_FROM_TEXT: dict[str, Callable[[str], object]] = {
    "int": int,
    "numeric": _number_from_text,
    "float": float,
    "bool": lambda t: t == "t",
    "json": parse_json_exact,
    "interval": lambda t: interval_to_iso(t),
    "bytea": lambda t: bytes.fromhex(t[2:]) if t.startswith("\\x") else t,
}


def _convert_text_items(items: list[Any], category: str) -> list[Any]:
    convert = _FROM_TEXT.get(category)
    out: list[Any] = []
    for item in items:
        if isinstance(item, list):
            out.append(_convert_text_items(item, category))
        elif item is None or convert is None:
            out.append(item)
        else:
            out.append(convert(item))
    return out


def _render_array(value: object, element_category: str) -> str:
    if isinstance(value, str):
        delimiter = ";" if element_category == "box" else ","
        value = _convert_text_items(parse_pg_array(value, delimiter), element_category)
    return canonical_json(withhold_secrets(value))  # json elements' secret keys, bearer values


# --- public API -------------------------------------------------------------------------------


def render_value(value: object, column: Column) -> str | None:
    """The string stored in metadata for this column value; None means 'leave the key out' (SQL NULL)."""
    if value is None:
        return None
    return column_renderer(column)(value)


Renderer = Callable[[Any], str]


def column_renderer(column: Column) -> Renderer:
    """`render_value(value, column)` for non-NULL values, with everything that depends only on
    the column (array? which type category?) decided once. Document building renders every
    value of a table with the renderers of its columns."""
    if is_array_column(column):
        return functools.partial(_render_array_value, type_category(element_type(column)))
    category = type_category(column.effective_type)
    if category == "json":
        return _render_json_value
    if category == "interval":
        return _render_interval_value
    return _render_plain_value


# Types whose rendering is ASCII letters, digits and punctuation only: never escaped, so the
# vespa_safe_text scan is skipped for them.
_ESCAPE_FREE = frozenset({bool, int, Decimal, float, datetime, date, time, timedelta, UUID,
                          bytes, bytearray, memoryview})


def _render_plain_value(value: Any) -> str:
    kind = type(value)
    if kind is str:  # secrets inside text (JSON members, bearer values, URL signatures) withheld
        return vespa_safe_text(withhold_in_text(value))
    if kind in _ESCAPE_FREE:
        return _SCALAR[kind](value)
    return vespa_safe_text(_render_scalar(value))


def _render_json_value(value: object) -> str:
    # secret-looking keys at any depth keep their key, their value is withheld (sensitive.py)
    return vespa_safe_text(canonical_parsed_json(withhold_secrets(value)))


def _orjson_default(value: object) -> object:
    if isinstance(value, Decimal):
        return orjson.Fragment(_json_number(value))  # the exact digits, as written
    if value is JSON_NULL:
        return orjson.Fragment(b"null")
    raise TypeError


def canonical_parsed_json(value: object) -> str:
    """`canonical_json` of a json/jsonb value as read (dicts, lists, str, int, Decimal, bool,
    JSON_NULL), written by orjson: the same text several times faster (same escapes, keys in
    code point order, which is UTF-8 byte order). What orjson refuses (integers beyond 64 bits,
    lone surrogates from a json column) takes the general path. Floats never occur: the reader
    parses fractions as Decimal, and PostgreSQL's JSON has no NaN or Infinity."""
    try:
        return orjson.dumps(value, default=_orjson_default, option=orjson.OPT_SORT_KEYS).decode()
    except orjson.JSONEncodeError:
        return canonical_json(value)


def _render_interval_value(value: object) -> str:
    # a str when read through register_lossless_casters; tolerate a plain text caster too
    return vespa_safe_text(interval_to_iso(value) if isinstance(value, str) else _render_scalar(value))


def _render_array_value(element_category: str, value: object) -> str:
    return vespa_safe_text(_render_array(value, element_category))


def render_row(row: Mapping[str, object], columns: Sequence[Column]) -> dict[str, str]:
    """`metadata` for a row: every non-NULL column of `columns`, rendered."""
    return render_row_with(row, [(c.name, column_renderer(c)) for c in columns])


def render_row_with(row: Mapping[str, object], renderers: Sequence[tuple[str, Renderer]]) -> dict[str, str]:
    """`render_row` with the columns' renderers made beforehand: (name, column_renderer)."""
    return {name: render(value) for name, render in renderers if (value := row.get(name)) is not None}


def json_default(value: object) -> object:
    """`json.dumps(..., default=json_default)` for row values: exact, never lossy.

    Decimal becomes a JSON string with its exact digits (a float would round it); dates and
    times, intervals, UUIDs, ranges and bytea become their rendering above; JSON_NULL becomes
    null; sets become sorted lists.
    """
    if value is JSON_NULL:
        return None
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    for cls in type(value).__mro__:
        renderer = _SCALAR.get(cls)
        if renderer is not None:
            return renderer(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
