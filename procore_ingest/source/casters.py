"""psycopg2 casters that return values `documents.values` can render without loss."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg2.extensions

from .pgtext import interval_to_iso, parse_json_exact


def _beyond_python_datetime(text: str) -> bool:
    # infinity, BC dates and years past 9999 have no datetime; psycopg2 would clamp or raise.
    return text.endswith(("infinity", " BC")) or (len(text) > 4 and text[4].isdigit())


def _keep_text_when(
    beyond: Callable[[str], bool], default: Any
) -> Callable[[str | None, Any], object]:
    if beyond is _beyond_python_datetime:
        # timestamps and dates: the test inlined, since this runs for every such value read
        def cast_datetime(text: str | None, cursor: Any) -> object:
            if text is None:
                return None
            if text.endswith(("infinity", " BC")) or (len(text) > 4 and text[4].isdigit()):
                return text
            return default(text, cursor)

        return cast_datetime

    def cast(text: str | None, cursor: Any) -> object:
        if text is None:
            return None
        return text if beyond(text) else default(text, cursor)

    return cast


def _cast_interval(text: str | None, cursor: Any) -> str | None:
    return None if text is None else interval_to_iso(text)


def _cast_text(text: str | None, cursor: Any) -> str | None:
    return text


def _cast_json(text: str | None, cursor: Any) -> object:
    # what psycopg2.extras.register_default_json(loads=_json_loads) installs, one call shallower
    return None if text is None else parse_json_exact(text)


_EXT = psycopg2.extensions
# (oid, array oid, name, psycopg2's own caster, when to keep PostgreSQL's text instead)
_TEMPORAL = [
    (1114, 1115, "TIMESTAMP", _EXT.PYDATETIME, _beyond_python_datetime),
    (1184, 1185, "TIMESTAMPTZ", _EXT.PYDATETIMETZ, _beyond_python_datetime),
    (1082, 1182, "DATE", _EXT.PYDATE, _beyond_python_datetime),
    (1083, 1183, "TIME", _EXT.PYTIME, lambda t: t.startswith("24:")),  # psycopg2 says 00:00
    (1266, 1270, "TIMETZ", _EXT.PYTIME, lambda t: t.startswith("24:")),
]
# int4range, numrange, tsrange, tstzrange, daterange, int8range and their arrays.
_RANGE_OIDS = (3904, 3906, 3908, 3910, 3912, 3926)
_RANGE_ARRAY_OIDS = (3905, 3907, 3909, 3911, 3913, 3927)


def register_lossless_casters(conn_or_cursor: Any) -> None:
    """Make psycopg2 return values this module can render without loss, on one connection.

    - timestamp, timestamptz, date, time, timetz: datetime objects as usual, but PostgreSQL's
      text (str) for values Python cannot hold (`infinity`, BC, year > 9999, `24:00:00`)
      instead of a clamped or wrong value or an exception;
    - interval: str, ISO 8601 (`P1M2DT3H4M5.006S`) instead of a timedelta that turns months
      into 30 days;
    - json, jsonb: parsed with exact numbers (Decimal for fractions, int for integers) and
      JSON `null` as `JSON_NULL`, so it is not mistaken for SQL NULL;
    - ranges: PostgreSQL's text (`[1,5)`) instead of psycopg2 Range objects;
    - the arrays of all of these likewise. numeric (Decimal) and float need no change.
    """
    register = _EXT.register_type
    for oid, array_oid, name, default, beyond in _TEMPORAL:
        caster = _EXT.new_type((oid,), f"LOSSLESS_{name}", _keep_text_when(beyond, default))
        register(caster, conn_or_cursor)
        register(_EXT.new_array_type((array_oid,), f"LOSSLESS_{name}_ARRAY", caster), conn_or_cursor)
    interval = _EXT.new_type((1186,), "LOSSLESS_INTERVAL", _cast_interval)
    register(interval, conn_or_cursor)
    register(_EXT.new_array_type((1187,), "LOSSLESS_INTERVAL_ARRAY", interval), conn_or_cursor)
    ranges = _EXT.new_type(_RANGE_OIDS, "LOSSLESS_RANGE", _cast_text)
    register(ranges, conn_or_cursor)
    register(_EXT.new_array_type(_RANGE_ARRAY_OIDS, "LOSSLESS_RANGE_ARRAY", ranges), conn_or_cursor)
    for oid, array_oid, name in ((114, 199, "JSON"), (3802, 3807, "JSONB")):  # as register_default_json(b)
        caster = _EXT.new_type((oid,), name, _cast_json)
        register(caster, conn_or_cursor)
        register(_EXT.new_array_type((array_oid,), f"{name}ARRAY", caster), conn_or_cursor)
